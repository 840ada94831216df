package inbound

import (
	"sync"
	"time"
)

// tokenCache remembers one-time tokens (Mailgun's) seen within the replay
// window by this process. It is a best-effort second line: a warm Lambda
// catches a token replayed to it, while the message-id de-duplication in
// the store catches every replay of the same message.
type tokenCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// maxTokens bounds the cache; when full, expired entries are dropped and,
// failing that, the cache starts over (a replay then needs the store to
// catch it, which it does by message id).
const maxTokens = 10000

// use records token at now and reports whether it was already used within
// twice ReplayWindow: a signed timestamp is accepted ReplayWindow either
// side of now, so a token stays replayable that long after it was seen.
func (c *tokenCache) use(token string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	if t, ok := c.seen[token]; ok && now.Sub(t) <= 2*ReplayWindow {
		return true
	}
	if len(c.seen) >= maxTokens {
		for k, t := range c.seen {
			if now.Sub(t) > 2*ReplayWindow {
				delete(c.seen, k)
			}
		}
		if len(c.seen) >= maxTokens {
			c.seen = map[string]time.Time{}
		}
	}
	c.seen[token] = now
	return false
}
