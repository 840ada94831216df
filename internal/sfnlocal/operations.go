package sfnlocal

import (
	"strconv"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/asl"
)

// epoch writes a time as the protocol does: seconds since the epoch, with
// milliseconds.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func required(name, value string) error {
	if value == "" {
		return clientErr("ValidationException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", name)
	}
	return nil
}

func (s *Server) startExecution(body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		Name            string `json:"name"`
		Input           string `json:"input"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	arn, start, err := s.runner.StartExecution(in.StateMachineArn, in.Name, in.Input)
	if err != nil {
		return nil, err
	}
	return map[string]any{"executionArn": arn, "startDate": epoch(start)}, nil
}

func (s *Server) sendTaskSuccess(body []byte) (any, error) {
	var in struct {
		TaskToken string `json:"taskToken"`
		Output    string `json:"output"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("output", in.Output); err != nil {
		return nil, err
	}
	return struct{}{}, s.runner.SendTaskSuccess(in.TaskToken, in.Output)
}

func (s *Server) sendTaskFailure(body []byte) (any, error) {
	var in struct {
		TaskToken string `json:"taskToken"`
		Error     string `json:"error"`
		Cause     string `json:"cause"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, s.runner.SendTaskFailure(in.TaskToken, in.Error, in.Cause)
}

func (s *Server) stopExecution(body []byte) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
		Error        string `json:"error"`
		Cause        string `json:"cause"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	stop, err := s.runner.StopExecution(in.ExecutionArn, in.Error, in.Cause)
	if err != nil {
		return nil, err
	}
	return map[string]any{"stopDate": epoch(stop)}, nil
}

func (s *Server) describeExecution(body []byte) (any, error) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	d, err := s.runner.DescribeExecution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	out := executionListItem(d)
	out["input"] = d.Input
	out["inputDetails"] = map[string]any{"included": true}
	out["redriveCount"] = 0
	out["redriveStatus"] = "NOT_REDRIVABLE"
	if d.Output != nil {
		out["output"] = *d.Output
		out["outputDetails"] = map[string]any{"included": true}
	}
	if d.Error != "" {
		out["error"] = d.Error
	}
	if d.Cause != "" {
		out["cause"] = d.Cause
	}
	return out, nil
}

// executionListItem is the part of an execution ListExecutions shows.
func executionListItem(d asl.ExecutionDescription) map[string]any {
	out := map[string]any{
		"executionArn":    d.ExecutionARN,
		"stateMachineArn": d.StateMachineARN,
		"name":            d.Name,
		"status":          string(d.Status),
		"startDate":       epoch(d.StartDate),
	}
	if !d.StopDate.IsZero() {
		out["stopDate"] = epoch(d.StopDate)
	}
	return out
}

// page cuts a list for maxResults and nextToken, the token being the
// offset of the next item.
func page(n, maxResults int, nextToken string, def int) (start, end int, next string, err error) {
	if nextToken != "" {
		start, err = strconv.Atoi(nextToken)
		if err != nil || start < 0 || start > n {
			return 0, 0, "", clientErr("InvalidToken", "Invalid pagination token: '%s'", nextToken)
		}
	}
	if maxResults <= 0 || maxResults > 1000 {
		maxResults = def
	}
	end = min(start+maxResults, n)
	if end < n {
		next = strconv.Itoa(end)
	}
	return start, end, next, nil
}

func (s *Server) getExecutionHistory(body []byte) (any, error) {
	var in struct {
		ExecutionArn         string `json:"executionArn"`
		MaxResults           int    `json:"maxResults"`
		NextToken            string `json:"nextToken"`
		ReverseOrder         bool   `json:"reverseOrder"`
		IncludeExecutionData *bool  `json:"includeExecutionData"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	events, err := s.runner.GetExecutionHistory(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	if in.ReverseOrder {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	if in.IncludeExecutionData != nil && !*in.IncludeExecutionData {
		for i := range events {
			events[i] = withoutData(events[i])
		}
	}
	start, end, next, err := page(len(events), in.MaxResults, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"events": events[start:end]}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// withoutData drops inputs, outputs and parameters from an event, as
// includeExecutionData=false asks.
func withoutData(e asl.HistoryEvent) asl.HistoryEvent {
	if e.Details == nil {
		return e
	}
	d := *e.Details
	d.Input, d.Output, d.Parameters = nil, nil, nil
	e.Details = &d
	return e
}

func (s *Server) listExecutions(body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		StatusFilter    string `json:"statusFilter"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	list, err := s.runner.ListExecutions(in.StateMachineArn, asl.Status(in.StatusFilter))
	if err != nil {
		return nil, err
	}
	start, end, next, err := page(len(list), in.MaxResults, in.NextToken, 100)
	if err != nil {
		return nil, err
	}
	items := make([]map[string]any, 0, end-start)
	for _, d := range list[start:end] {
		items = append(items, executionListItem(d))
	}
	out := map[string]any{"executions": items}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (s *Server) describeStateMachine(body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	info, err := s.runner.DescribeStateMachine(in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"stateMachineArn": info.ARN,
		"name":            info.Name,
		"status":          "ACTIVE",
		"definition":      info.Definition,
		"roleArn":         info.RoleARN,
		"type":            "STANDARD",
		"creationDate":    epoch(info.Created),
	}, nil
}

// createStateMachine registers a STANDARD machine under this server's
// region and account. Creating a name again replaces its definition.
func (s *Server) createStateMachine(body []byte) (any, error) {
	var in struct {
		Name       string `json:"name"`
		Definition string `json:"definition"`
		Type       string `json:"type"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Type != "" && in.Type != "STANDARD" {
		return nil, clientErr("ValidationException", "the local runner runs STANDARD state machines only, not %s", in.Type)
	}
	arn := asl.StateMachineARN(s.region, s.account, in.Name)
	if err := s.runner.RegisterStateMachine(arn, []byte(in.Definition)); err != nil {
		return nil, err
	}
	info, err := s.runner.DescribeStateMachine(arn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"stateMachineArn": arn, "creationDate": epoch(info.Created)}, nil
}
