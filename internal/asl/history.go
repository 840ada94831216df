package asl

import (
	"encoding/json"
	"strings"
	"time"
)

// HistoryEvent is one event of an execution's history, in the shape of the
// Step Functions GetExecutionHistory API.
type HistoryEvent struct {
	ID              int64
	PreviousEventID int64
	Type            string
	Timestamp       time.Time
	Details         *EventDetails // nil for events that carry none
}

// EventDetails holds the fields of every detail structure the runner
// writes; each event type uses its own subset, as in AWS.
type EventDetails struct {
	Name             string  `json:"name,omitempty"`
	Input            *string `json:"input,omitempty"`
	Output           *string `json:"output,omitempty"`
	Error            string  `json:"error,omitempty"`
	Cause            string  `json:"cause,omitempty"`
	Resource         string  `json:"resource,omitempty"`
	ResourceType     string  `json:"resourceType,omitempty"`
	Region           string  `json:"region,omitempty"`
	Parameters       *string `json:"parameters,omitempty"`
	TimeoutInSeconds *int64  `json:"timeoutInSeconds,omitempty"`
	RoleArn          string  `json:"roleArn,omitempty"`
	Length           *int64  `json:"length,omitempty"` // MapStateStarted
	Index            *int64  `json:"index,omitempty"`  // MapIteration*
	// AssignedVariables (StateExited): each variable the state set, its
	// value as JSON.
	AssignedVariables        map[string]string `json:"assignedVariables,omitempty"`
	AssignedVariablesDetails *Truncation       `json:"assignedVariablesDetails,omitempty"`
}

// Truncation says whether the API cut a value short; the runner never does.
type Truncation struct {
	Truncated bool `json:"truncated"`
}

// DetailsField is the name of the member that holds an event's details in
// the API, e.g. "taskScheduledEventDetails", or "" if it has none.
func (e HistoryEvent) DetailsField() string {
	t := e.Type
	switch {
	case e.Details == nil:
		return ""
	case strings.HasSuffix(t, "StateEntered"):
		return "stateEnteredEventDetails"
	case strings.HasSuffix(t, "StateExited"):
		return "stateExitedEventDetails"
	}
	return strings.ToLower(t[:1]) + t[1:] + "EventDetails"
}

// MarshalJSON writes the event as the AWS JSON 1.0 protocol does:
// timestamps in epoch seconds and details under their own member.
func (e HistoryEvent) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"id":        e.ID,
		"type":      e.Type,
		"timestamp": float64(e.Timestamp.UnixMilli()) / 1000,
	}
	if e.PreviousEventID > 0 {
		m["previousEventId"] = e.PreviousEventID
	}
	if f := e.DetailsField(); f != "" {
		m[f] = e.Details
	}
	return json.Marshal(m)
}

func strp(s string) *string { return &s }

func int64p(n int64) *int64 { return &n }
