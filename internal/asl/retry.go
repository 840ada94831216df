package asl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// retrier is one element of a state's "Retry".
type retrier struct {
	errorEquals     []string
	intervalSeconds int64
	maxAttempts     int64
	backoffRate     float64
	maxDelaySeconds int64 // 0: no limit
	fullJitter      bool
}

// catcher is one element of a state's "Catch".
type catcher struct {
	errorEquals []string
	next        string
	resultPath  *path
	resultNull  bool
	assign      *assignment
}

func readErrorEquals(f *fields, last bool) ([]string, error) {
	raw, _ := f.raw("ErrorEquals")
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("\"ErrorEquals\" must be a non-empty array of error names")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("\"ErrorEquals\" must hold error names")
		}
		if s == ErrNameAll && (len(list) != 1 || !last) {
			return nil, fmt.Errorf("%q must appear alone, in the last element", ErrNameAll)
		}
		out = append(out, s)
	}
	return out, nil
}

func readRetry(f *fields) ([]retrier, error) {
	raw, ok := f.raw("Retry")
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("\"Retry\" must be an array")
	}
	var out []retrier
	for i, e := range list {
		rf, err := newFields(e)
		if err != nil {
			return nil, fmt.Errorf("in Retry[%d] %w", i, err)
		}
		r := retrier{intervalSeconds: 1, maxAttempts: 3, backoffRate: 2}
		if r.errorEquals, err = readErrorEquals(rf, i == len(list)-1); err != nil {
			return nil, fmt.Errorf("in Retry[%d]: %w", i, err)
		}
		if n, ok, err := rf.integer("IntervalSeconds"); err != nil || (ok && n <= 0) {
			return nil, fmt.Errorf("in Retry[%d]: \"IntervalSeconds\" must be a positive integer", i)
		} else if ok {
			r.intervalSeconds = n
		}
		if n, ok, err := rf.integer("MaxAttempts"); err != nil || (ok && n < 0) {
			return nil, fmt.Errorf("in Retry[%d]: \"MaxAttempts\" must be a non-negative integer", i)
		} else if ok {
			r.maxAttempts = n
		}
		if n, ok, err := rf.number("BackoffRate"); err != nil || (ok && n < 1) {
			return nil, fmt.Errorf("in Retry[%d]: \"BackoffRate\" must be a number >= 1.0", i)
		} else if ok {
			r.backoffRate = n
		}
		if n, ok, err := rf.integer("MaxDelaySeconds"); err != nil || (ok && n <= 0) {
			return nil, fmt.Errorf("in Retry[%d]: \"MaxDelaySeconds\" must be a positive integer", i)
		} else if ok {
			r.maxDelaySeconds = n
		}
		if js, ok, err := rf.str("JitterStrategy"); err != nil {
			return nil, fmt.Errorf("in Retry[%d]: %w", i, err)
		} else if ok {
			switch js {
			case "FULL":
				r.fullJitter = true
			case "NONE":
			default:
				return nil, unsupported("in Retry[%d]: JitterStrategy %q is", i, js)
			}
		}
		if extra := rf.unused(); len(extra) > 0 {
			return nil, fieldsErr(fmt.Sprintf("Retry[%d]", i), extra)
		}
		out = append(out, r)
	}
	return out, nil
}

func readCatch(f *fields) ([]catcher, error) {
	raw, ok := f.raw("Catch")
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("\"Catch\" must be an array")
	}
	var out []catcher
	for i, e := range list {
		cf, err := newFields(e)
		if err != nil {
			return nil, fmt.Errorf("in Catch[%d] %w", i, err)
		}
		var c catcher
		if c.errorEquals, err = readErrorEquals(cf, i == len(list)-1); err != nil {
			return nil, fmt.Errorf("in Catch[%d]: %w", i, err)
		}
		next, ok, err := cf.str("Next")
		if err != nil || !ok || next == "" {
			return nil, fmt.Errorf("in Catch[%d]: \"Next\" must name a state", i)
		}
		c.next = next
		if c.resultPath, c.resultNull, err = cf.nullablePath("ResultPath", true); err != nil {
			return nil, fmt.Errorf("in Catch[%d]: %w", i, err)
		}
		if err := checkResultPath(c.resultPath); err != nil {
			return nil, fmt.Errorf("in Catch[%d]: %w", i, err)
		}
		if c.assign, err = readAssign(cf); err != nil {
			return nil, fmt.Errorf("in Catch[%d]: %w", i, err)
		}
		if extra := cf.unused(); len(extra) > 0 {
			return nil, fieldsErr(fmt.Sprintf("Catch[%d]", i), extra)
		}
		out = append(out, c)
	}
	return out, nil
}

// matches tells whether an ErrorEquals list applies to an error name.
// States.ALL matches anything but States.Runtime; States.TaskFailed matches
// anything but the timeout, as in Step Functions.
func matches(errorEquals []string, name string) bool {
	for _, e := range errorEquals {
		switch {
		case e == name:
			return true
		case e == ErrNameAll:
			return name != ErrNameRuntime
		case e == ErrNameTaskFailed:
			if name != ErrNameRuntime && name != ErrNameTimeout {
				return true
			}
		}
	}
	return false
}

// delay is the wait before retry number attempt (0 for the first retry):
// IntervalSeconds × BackoffRate^attempt, capped by MaxDelaySeconds, and with
// FULL jitter a random duration between zero and that.
func (r *retrier) delay(attempt int64) time.Duration {
	secs := float64(r.intervalSeconds) * math.Pow(r.backoffRate, float64(attempt))
	if r.maxDelaySeconds > 0 && secs > float64(r.maxDelaySeconds) {
		secs = float64(r.maxDelaySeconds)
	}
	if r.fullJitter {
		secs *= rand.Float64()
	}
	return time.Duration(secs * float64(time.Second))
}
