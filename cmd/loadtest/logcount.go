package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
)

// logCounter is the slog handler of the in-process stack and its
// functions. Under load, the info lines (one per registration, code and
// execution end) would bury everything; warnings and errors are what tell
// where the relay struggled, so they are counted by level and message, and
// the first of each kind is kept with its attributes for the report.
type logCounter struct {
	shared *logCounts
	// pre holds the attributes of WithAttrs, already written out with the
	// groups open at the time; prefix is the groups open now.
	pre    string
	prefix string
}

type logCounts struct {
	mu      sync.Mutex
	out     io.Writer // nil: count only
	counts  map[string]int
	example map[string]string
}

// logLine is one kind of warning or error, for the report.
type logLine struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	Count   int    `json:"count"`
	// Example is the first such line's attributes.
	Example string `json:"example"`
}

func newLogCounter(stderr io.Writer, verbose bool) *logCounter {
	c := &logCounts{counts: map[string]int{}, example: map[string]string{}}
	if verbose {
		c.out = stderr
	}
	return &logCounter{shared: c}
}

func (h *logCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *logCounter) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(h.pre)
	r.Attrs(func(a slog.Attr) bool { writeAttr(&b, h.prefix, a); return true })
	key := r.Level.String() + "\x00" + r.Message

	c := h.shared
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[key]++
	if _, ok := c.example[key]; !ok {
		c.example[key] = b.String()
	}
	if c.out != nil {
		fmt.Fprintf(c.out, "%s %s %s\n", r.Level, r.Message, b.String())
	}
	return nil
}

func (h *logCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.pre)
	for _, a := range attrs {
		writeAttr(&b, h.prefix, a)
	}
	n := *h
	n.pre = b.String()
	return &n
}

func (h *logCounter) WithGroup(name string) slog.Handler {
	n := *h
	n.prefix += name + "."
	return &n
}

func writeAttr(b *strings.Builder, prefix string, a slog.Attr) {
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	fmt.Fprintf(b, "%s%s=%v", prefix, a.Key, a.Value)
}

// lines returns every kind seen, most frequent first.
func (h *logCounter) lines() []logLine {
	c := h.shared
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]logLine, 0, len(c.counts))
	for key, n := range c.counts {
		level, msg, _ := strings.Cut(key, "\x00")
		out = append(out, logLine{Level: level, Message: msg, Count: n, Example: c.example[key]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Message < out[j].Message
	})
	return out
}
