package asl

import "testing"

func TestSubstitute(t *testing.T) {
	df := `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${SolveArn}",
	  "Parameters": {"msg.$": "States.Format('{}', $.a)", "table": "${Table}"}, "End": true}}}`
	out, err := Substitute([]byte(df), map[string]string{
		"SolveArn": "arn:aws:lambda:us-east-1:123456789012:function:solve", "Table": "relay",
	})
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, string(out), `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:solve",
	  "Parameters": {"msg.$": "States.Format('{}', $.a)", "table": "relay"}, "End": true}}}`)
	if _, err := Parse(out); err != nil {
		t.Errorf("the substituted definition does not parse: %v", err)
	}
	_, err = Substitute([]byte(df), map[string]string{"Table": "relay"})
	if err == nil || err.Error() != "asl: no substitution for [SolveArn]" {
		t.Errorf("error %v", err)
	}
}
