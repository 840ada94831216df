package publicaddr

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestReason(t *testing.T) {
	for _, tc := range []struct {
		ip     string
		public bool
	}{
		{"93.184.215.14", true},
		{"8.8.8.8", true},
		{"2606:4700:4700::1111", true},
		{"64:ff9b::5db8:d70e", true}, // NAT64 of a public address
		{"2002:5db8:d70e::1", true},  // 6to4 of a public address
		{"169.254.169.254", false},   // instance metadata
		{"169.254.170.2", false},     // ECS task metadata
		{"fd00:ec2::254", false},     // instance metadata over IPv6
		{"::ffff:169.254.169.254", false},
		{"::ffff:127.0.0.1", false},
		{"::169.254.169.254", false},  // IPv4-compatible
		{"64:ff9b::a9fe:a9fe", false}, // NAT64 of the metadata address
		{"2002:a9fe:a9fe::1", false},  // 6to4 of it
		{"10.0.0.1", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"100.64.0.1", false}, // CGNAT
		{"100.127.255.254", false},
		{"127.0.0.1", false},
		{"127.1.2.3", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"255.255.255.255", false},
		{"224.0.0.1", false},
		{"240.0.0.1", false},
		{"198.18.0.1", false},
		{"192.0.0.170", false},
		{"192.0.2.1", false},
		{"::", false},
		{"::1", false},
		{"fd00::1", false},
		{"fc00::1", false},
		{"fe80::1", false},
		{"fec0::1", false},
		{"ff02::1", false},
		{"2001:db8::1", false},
		{"2001::1", false}, // Teredo
		{"100::1", false},
		{"64:ff9b:1::1", false},
	} {
		r := Reason(netip.MustParseAddr(tc.ip))
		if (r == "") != tc.public {
			t.Errorf("Reason(%s) = %q, want public %v", tc.ip, r, tc.public)
		}
	}
	if Reason(netip.MustParseAddr("fe80::1%eth0")) == "" {
		t.Error("a zoned address is public")
	}
}

func TestCheckHost(t *testing.T) {
	for _, tc := range []struct {
		host          string
		allowLoopback bool
		ok            bool
	}{
		{"app.example.com", false, true},
		{"app.example.com.", false, true},
		{"93.184.215.14", false, true},
		{"[2606:4700:4700::1111]", false, true},
		{"localhost", false, false},
		{"LOCALHOST.", false, false},
		{"api.localhost", false, false},
		{"169.254.169.254", false, false},
		{"[::ffff:169.254.169.254]", false, false},
		{"[::ffff:a9fe:a9fe]", false, false},
		{"[fd00::1]", false, false},
		{"[fe80::1%25eth0]", false, false},
		{"0.0.0.0", false, false},
		{"2852039166", false, false}, // 169.254.169.254 in decimal
		{"0xa9fea9fe", false, false},
		{"0251.0376.0251.0376", false, false},
		{"127.1", false, false},
		{"1.2.3.0x4", false, false},
		{"metadata", false, false}, // a single label resolves through search domains
		{"", false, false},
		{"localhost", true, true},
		{"127.0.0.1", true, true},
		{"[::1]", true, true},
		{"10.0.0.1", true, false},
		{"169.254.169.254", true, false},
	} {
		err := CheckHost(tc.host, tc.allowLoopback)
		if (err == nil) != tc.ok {
			t.Errorf("CheckHost(%q, loopback=%v) = %v, want ok %v", tc.host, tc.allowLoopback, err, tc.ok)
		}
	}
}

// The dialer checks the address a name resolved to, when it connects: a
// name that resolves (or rebinds) to a private address is refused before
// any packet reaches it.
func TestDialerRefusesNonPublicAddressesAfterResolving(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, host := range []string{"127.0.0.1", "localhost"} {
		addr := net.JoinHostPort(host, itoa(port))
		_, err := Dialer(false).DialContext(ctx, "tcp", addr)
		if !errors.Is(err, ErrNotPublic) {
			t.Fatalf("dial %s: %v, want ErrNotPublic", addr, err)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("%d connections reached the listener", n)
	}
	c, err := Dialer(true).DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", itoa(port)))
	if err != nil {
		t.Fatalf("loopback allowed: %v", err)
	}
	c.Close()
}

func itoa(n int) string { return strconv.Itoa(n) }
