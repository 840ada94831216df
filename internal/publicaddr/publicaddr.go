// Package publicaddr keeps the relay's outbound calls to app-supplied URLs
// (the callbacks) on the public internet.
//
// A callback URL is chosen by whoever holds the relay API key. Without this
// guard it could aim the relay at the instance or task metadata endpoints,
// the Lambda runtime API on loopback, or anything in the VPC. Hosts are
// checked twice: at registration (CheckHost: IP literals, localhost, names
// that are numbers in disguise), and at connect time (Dialer: the address
// the name resolved to), so a name that resolves, or later rebinds, to a
// private address fails before any packet is sent to it.
package publicaddr

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrNotPublic is the error of a host or address the relay does not call.
var ErrNotPublic = errors.New("not a public address")

// blocked lists the ranges that are not public unicast destinations, with
// why. IPv4-mapped, IPv4-compatible, NAT64 and 6to4 addresses are checked
// by the IPv4 address they embed.
var blocked = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified (this network)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (instance and task metadata)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved, broadcast"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments (Teredo included)"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("fc00::/7"), "unique-local (IPv6 instance metadata included)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

var (
	ipv4Compatible = netip.MustParsePrefix("::/96")
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
)

// Reason says why ip is not a public unicast address; "" when it is.
func Reason(ip netip.Addr) string {
	if ip.Zone() != "" {
		return "scoped to an interface"
	}
	ip = ip.Unmap()
	if ip.Is6() {
		b := ip.As16()
		switch {
		case ipv4Compatible.Contains(ip) && !ip.IsUnspecified() && !ip.IsLoopback():
			return Reason(netip.AddrFrom4([4]byte(b[12:16])))
		case nat64.Contains(ip):
			return Reason(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return Reason(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	for _, b := range blocked {
		if b.prefix.Contains(ip) {
			return b.why
		}
	}
	return ""
}

// allowed is Reason with the local stack's exception: loopback when
// allowLoopback.
func allowed(ip netip.Addr, allowLoopback bool) error {
	why := Reason(ip)
	if why == "" || allowLoopback && ip.Unmap().IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNotPublic, why)
}

// CheckHost checks a URL's host (as url.URL.Host gives it, brackets and
// port allowed) before anything is resolved: an IP literal must be public;
// localhost and its subdomains are loopback; a host whose last label is a
// number is an IPv4 address in some form (decimal, octal, hex, short) and
// must be written as a canonical public one; a single label would resolve
// through the resolver's search domains, inside the network.
func CheckHost(host string, allowLoopback bool) error {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	host = strings.ToLower(strings.TrimRight(host, "."))
	if host == "" {
		return fmt.Errorf("%w: no host", ErrNotPublic)
	}
	if ip, err := netip.ParseAddr(strings.Replace(host, "%25", "%", 1)); err == nil {
		return allowed(ip, allowLoopback)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		if allowLoopback {
			return nil
		}
		return fmt.Errorf("%w: loopback", ErrNotPublic)
	}
	labels := strings.Split(host, ".")
	if numeric(labels[len(labels)-1]) {
		return fmt.Errorf("%w: an IPv4 address must be written as four decimal numbers", ErrNotPublic)
	}
	if len(labels) < 2 {
		return fmt.Errorf("%w: a single-label name resolves inside the network", ErrNotPublic)
	}
	return nil
}

// numeric reports whether a label is a number as inet_aton reads one
// (decimal, octal with a leading 0, hex with 0x): the WHATWG URL rule for
// a host that is an IPv4 address.
func numeric(label string) bool {
	if label == "" {
		return false
	}
	digits := label
	hex := strings.HasPrefix(digits, "0x")
	if hex {
		digits = digits[2:]
	}
	for _, c := range digits {
		if !(c >= '0' && c <= '9' || hex && (c >= 'a' && c <= 'f')) {
			return false
		}
	}
	return true
}

// Dialer returns a dialer whose connections may only reach public
// addresses (and loopback when allowLoopback). The check runs in Control,
// after resolution and before connect, for every address tried.
func Dialer(allowLoopback bool) *net.Dialer {
	return &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s is not an IP address", ErrNotPublic, address)
			}
			return allowed(ap.Addr(), allowLoopback)
		},
	}
}
