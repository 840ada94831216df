package inbound

import (
	"strings"
	"time"
)

// firstTime parses the first non-empty value in layout (UTC when the
// layout has no zone); zero when none parses: a source's time is a hint,
// and a message without one is timed by its arrival.
func firstTime(layout string, values ...string) time.Time {
	for _, v := range values {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
