package coldstart

import (
	"context"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func buildFixture(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./testdata/fixture")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return bin
}

var baseEnv = []string{"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "HOME=/nonexistent"}

// The real aws-lambda-go runtime, started as Lambda starts it, reaches
// /invocation/next after reading its secret from the local SSM endpoint.
func TestMeasureTimesInitUntilTheFirstNext(t *testing.T) {
	bin := buildFixture(t)
	ctx := context.Background()
	res, err := Measure(ctx, bin, baseEnv, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Init <= 0 || res.Init > 20*time.Second {
		t.Errorf("init %v", res.Init)
	}
	if res.Calls["AmazonSSM.GetParameter"] != 1 || !reflect.DeepEqual(res.Parameters, []string{"/fixture/secret"}) {
		t.Errorf("calls %v, parameters %v", res.Calls, res.Parameters)
	}
	t.Logf("fixture init %v", res.Init)

	if _, err := Measure(ctx, bin, append(baseEnv, "FIXTURE_MODE=kms"), 20*time.Second); err == nil || !strings.Contains(err.Error(), "TrentService.DescribeKey") {
		t.Errorf("a KMS call during init: err = %v", err)
	}
	if _, err := Measure(ctx, bin, append(baseEnv, "FIXTURE_MODE=exit"), 20*time.Second); err == nil || !strings.Contains(err.Error(), "configuration missing") {
		t.Errorf("an init that exits: err = %v", err)
	}
}

func TestMedian(t *testing.T) {
	runs := []Result{{Init: 5}, {Init: 1}, {Init: 3}}
	if m, err := Median(runs); err != nil || m != 3 {
		t.Errorf("median %v, %v", m, err)
	}
	if _, err := Median(nil); err == nil {
		t.Error("median of nothing")
	}
}
