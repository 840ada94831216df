// Command coldstart measures each Lambda's init: it builds every function
// of template.yaml with its Makefile target (for this machine's
// architecture, so the binary can run here), gives it the environment the
// template gives it in AWS (resolved with samconfig.toml's dev parameters),
// starts it against a local Lambda Runtime API and times it until its first
// request for an invocation (internal/coldstart). It prints, per function,
// the median of --runs starts, the SSM parameters init reads and any other
// AWS call init makes.
//
//	go run ./cmd/coldstart [--runs 7] [--function solve] [--json]
//
// Every AWS call init makes is answered on loopback, so the figures leave
// out the network time of the same calls in AWS (an SSM GetParameter is a
// few milliseconds in-region): compare the counts as well as the times.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/coldstart"
	"github.com/checkpoint-relay/checkpoint-relay/internal/samtemplate"
)

type row struct {
	Function   string   `json:"function"`
	MedianMS   float64  `json:"median_init_ms"`
	MinMS      float64  `json:"min_init_ms"`
	SSMReads   int      `json:"ssm_reads"`
	Parameters []string `json:"parameters"`
	Error      string   `json:"error,omitempty"`
}

func main() {
	runs := flag.Int("runs", 7, "cold starts per function")
	only := flag.String("function", "", "measure only this function (its directory name)")
	asJSON := flag.Bool("json", false, "print JSON")
	flag.Parse()
	if *runs < 1 {
		fmt.Fprintln(os.Stderr, "coldstart: --runs must be at least 1")
		os.Exit(2)
	}
	if err := run(*runs, *only, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(runs int, only string, asJSON bool) error {
	tmpl, err := samtemplate.Load(os.DirFS("."), "template.yaml")
	if err != nil {
		return fmt.Errorf("%w (run it from the repository root)", err)
	}
	params, err := devParameters("samconfig.toml")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "coldstart")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	var rows []row
	failed := false
	for _, f := range tmpl.Functions {
		if only != "" && f.Name != only {
			continue
		}
		r := row{Function: f.Name}
		if err := measure(ctx, tmpl, f, params, dir, runs, &r); err != nil {
			r.Error = err.Error()
			failed = true
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return fmt.Errorf("no function %q in template.yaml", only)
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return err
		}
	} else {
		fmt.Printf("init until the first /invocation/next, median of %d (%s/%s, AWS calls answered on loopback)\n\n", runs, runtime.GOOS, runtime.GOARCH)
		fmt.Printf("| function | median init | fastest | SSM reads at init |\n| --- | ---: | ---: | ---: |\n")
		for _, r := range rows {
			if r.Error != "" {
				fmt.Printf("| %s | failed: %s | | |\n", r.Function, r.Error)
				continue
			}
			fmt.Printf("| %s | %.1f ms | %.1f ms | %d |\n", r.Function, r.MedianMS, r.MinMS, r.SSMReads)
		}
	}
	if failed {
		return fmt.Errorf("some functions did not start")
	}
	return nil
}

func measure(ctx context.Context, tmpl *samtemplate.Template, f samtemplate.Function, params map[string]string, dir string, runs int, r *row) error {
	out := filepath.Join(dir, f.Name)
	cmd := exec.Command("make", "-s", "build-"+f.LogicalID, "ARTIFACTS_DIR="+out, "LAMBDA_GOARCH="+runtime.GOARCH)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("make build-%s: %w", f.LogicalID, err)
	}
	env, err := tmpl.Environment(f, &samtemplate.Resolver{Parameters: params, Region: "eu-west-1"})
	if err != nil {
		return err
	}
	vars := []string{
		"AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=coldstart", "AWS_SECRET_ACCESS_KEY=coldstart",
		"AWS_LAMBDA_FUNCTION_NAME=" + f.Name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + fmt.Sprint(f.MemorySize),
		"AWS_LAMBDA_LOG_FORMAT=JSON", "_HANDLER=bootstrap", "HOME=" + dir,
	}
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	var results []coldstart.Result
	for i := 0; i < runs; i++ {
		res, err := coldstart.Measure(ctx, filepath.Join(out, "bootstrap"), vars, 30*time.Second)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	med, _ := coldstart.Median(results)
	r.MedianMS = ms(med)
	r.MinMS = ms(results[0].Init)
	for _, res := range results {
		r.MinMS = min(r.MinMS, ms(res.Init))
	}
	r.SSMReads = results[0].Calls["AmazonSSM.GetParameter"]
	r.Parameters = results[0].Parameters
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// devParameters reads the parameter_overrides of samconfig.toml's default
// (dev) deploy section: the parameters a dev deployment runs with.
func devParameters(file string) (map[string]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	section, inList := "", false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "["):
			section, inList = line, false
		case section == "[default.deploy.parameters]" && strings.HasPrefix(line, "parameter_overrides"):
			inList = true
		case inList && strings.HasPrefix(line, "]"):
			inList = false
		case inList && strings.HasPrefix(line, `"`):
			kv := strings.Trim(strings.TrimSuffix(line, ","), `"`)
			if k, v, ok := strings.Cut(kv, "="); ok {
				out[k] = v
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no parameter_overrides in [default.deploy.parameters]", file)
	}
	return out, nil
}
