package main

import (
	"encoding/json"
	"testing"
)

func TestResend(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantOut string
	}{
		{"acknowledged", 200, `{"object":"CheckpointResend","account_id":"acc_1","success":true}`,
			`{"outcome":"resent","http_status":200,"account_id":"acc_1"}`},
		{"not acknowledged", 200, `{"object":"CheckpointResend","account_id":"acc_1","success":false}`,
			`{"outcome":"retry","http_status":200,"account_id":"acc_1"}`},
		{"intent killed", 500, `{"title":"Internal Server Error","detail":"The current authentication intent was killed after failure. Start again from the beginning.","type":"errors/authentication_intent_error","status":500}`,
			`{"outcome":"restart","http_status":500,"error_type":"errors/authentication_intent_error","detail":"The current authentication intent was killed after failure. Start again from the beginning.","account_id":"acc_1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeProvider(t, tt.status, tt.body)
			code, out, errOut := runCLI("resend", "--api", "postpress", "--base-url", f.URL, "--api-key", "k",
				"--account-id", "acc_1", "--provider", "LINKEDIN")
			if code != 0 {
				t.Fatalf("exit %d err %q", code, errOut)
			}
			var got, want any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("stdout %q", out)
			}
			_ = json.Unmarshal([]byte(tt.wantOut), &want)
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("stdout %s, want %s", g, w)
			}
			if f.calls() != 1 || f.paths[0] != "/v1/accounts/checkpoint/resend" || f.bodies[0] != `{"account_id":"acc_1","provider":"LINKEDIN"}` {
				t.Errorf("requests %v %v", f.paths, f.bodies)
			}
		})
	}
}
