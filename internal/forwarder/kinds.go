package forwarder

import (
	"sort"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
)

// Channel is what a kind forwards.
type Channel string

const (
	ChannelSMS   Channel = "sms"
	ChannelEmail Channel = "email"
)

// Kind is one forwarder app or service: how its webhook calls are
// verified and read (an inbound.Source built for the device), and how
// often it is expected to be heard from when it sends heartbeats.
type Kind struct {
	Name    string
	Channel Channel
	// Heartbeat is the default expected interval; 0 for kinds that send no
	// heartbeat (silence is then normal).
	Heartbeat time.Duration
	source    func(inbound.Device) inbound.Source
}

// Source returns the parser of this kind's calls for one device.
func (k Kind) Source(d inbound.Device) inbound.Source { return k.source(d) }

var kinds = map[string]Kind{
	inbound.SourceSMSGate: {Name: inbound.SourceSMSGate, Channel: ChannelSMS, Heartbeat: time.Hour,
		source: func(d inbound.Device) inbound.Source { return inbound.SMSGate{Device: d} }},
	inbound.SourceToken: {Name: inbound.SourceToken, Channel: ChannelSMS,
		source: func(d inbound.Device) inbound.Source { return inbound.Token{Device: d} }},
	inbound.SourceHTTPSMS: {Name: inbound.SourceHTTPSMS, Channel: ChannelSMS,
		source: func(d inbound.Device) inbound.Source { return inbound.HTTPSMS{Device: d} }},
	inbound.SourceSMSForwarder: {Name: inbound.SourceSMSForwarder, Channel: ChannelSMS,
		source: func(d inbound.Device) inbound.Source { return inbound.SMSForwarder{Device: d} }},
	inbound.SourcePostmark: {Name: inbound.SourcePostmark, Channel: ChannelEmail,
		source: func(d inbound.Device) inbound.Source { return inbound.Postmark{Device: d} }},
	inbound.SourceForwardEmail: {Name: inbound.SourceForwardEmail, Channel: ChannelEmail,
		source: func(d inbound.Device) inbound.Source { return inbound.ForwardEmail{Device: d} }},
	inbound.SourceCloudflare: {Name: inbound.SourceCloudflare, Channel: ChannelEmail,
		source: func(d inbound.Device) inbound.Source { return inbound.Cloudflare{Device: d} }},
}

// KindOf returns the kind named name.
func KindOf(name string) (Kind, bool) {
	k, ok := kinds[name]
	return k, ok
}

// KindNames lists the kinds, sorted.
func KindNames() []string {
	names := make([]string, 0, len(kinds))
	for n := range kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
