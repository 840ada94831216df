package asl

import (
	"fmt"
	"regexp"
)

type taskKind int

const (
	// kindLambdaARN: the resource is a function ARN; the function's output
	// is the result.
	kindLambdaARN taskKind = iota
	// kindLambdaInvoke: arn:aws:states:::lambda:invoke; the result is the
	// Invoke response with the function's output in "Payload".
	kindLambdaInvoke
	// kindLambdaCallback: arn:aws:states:::lambda:invoke.waitForTaskToken;
	// the result is what SendTaskSuccess sends.
	kindLambdaCallback
)

type taskSpec struct {
	resource       string
	kind           taskKind
	timeoutSeconds int64
	timeoutPath    *path
}

var (
	lambdaIntegration = regexp.MustCompile(`^arn:aws[a-z-]*:states:::lambda:invoke(\.[A-Za-z]+)?$`)
	lambdaFunctionARN = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$`)
)

// lambdaParameters are the Parameters of the lambda:invoke integration the
// runner understands; InvocationType may only be RequestResponse.
var lambdaParameters = map[string]bool{
	"FunctionName": true, "Payload": true, "Qualifier": true,
	"InvocationType": true, "ClientContext": true, "LogType": true,
}

func (s *state) readTask(f *fields) error {
	res, ok, err := f.str("Resource")
	if err != nil || !ok || res == "" {
		return fmt.Errorf("a Task state needs a \"Resource\" URI")
	}
	t := &taskSpec{resource: res}
	switch m := lambdaIntegration.FindStringSubmatch(res); {
	case m != nil && m[1] == "":
		t.kind = kindLambdaInvoke
	case m != nil && m[1] == ".waitForTaskToken":
		t.kind = kindLambdaCallback
	case lambdaFunctionARN.MatchString(res):
		t.kind = kindLambdaARN
	default:
		return unsupported("Task resource %q is", res)
	}
	if t.kind != kindLambdaARN {
		if err := checkLambdaParameters(s.parameters, t.kind); err != nil {
			return err
		}
	}
	if t.timeoutSeconds, t.timeoutPath, err = readSeconds(f, "TimeoutSeconds"); err != nil {
		return err
	}
	// The relay sends no heartbeats: the runner leaves them out rather
	// than keep a path no AWS recording holds it to.
	for _, name := range []string{"HeartbeatSeconds", "HeartbeatSecondsPath"} {
		if f.has(name) {
			return unsupported("%q is", name)
		}
	}
	s.task = t
	return nil
}

// readSeconds reads TimeoutSeconds or TimeoutSecondsPath: at most
// one of them, a positive integer or a reference path.
func readSeconds(f *fields, name string) (int64, *path, error) {
	n, hasN, err := f.integer(name)
	if err != nil {
		return 0, nil, err
	}
	if hasN && n <= 0 {
		return 0, nil, fmt.Errorf("%q must be a positive integer", name)
	}
	src, hasPath, err := f.str(name + "Path")
	if err != nil {
		return 0, nil, err
	}
	if hasN && hasPath {
		return 0, nil, fmt.Errorf("a Task state must not have both %q and %q", name, name+"Path")
	}
	if !hasPath {
		return n, nil, nil
	}
	p, err := parseRefPath(src)
	if err != nil {
		return 0, nil, fmt.Errorf("%sPath: %w", name, err)
	}
	return 0, p, nil
}

func checkLambdaParameters(params *payloadTemplate, kind taskKind) error {
	if params == nil {
		return fmt.Errorf("the lambda:invoke integration needs \"Parameters\" with a \"FunctionName\"")
	}
	obj := params.root.(*tobject)
	for _, fl := range obj.fields {
		if !lambdaParameters[fl.name] {
			return unsupported("lambda:invoke parameter %q is", fl.name)
		}
		if fl.name == "InvocationType" {
			if lit, ok := fl.node.(tliteral); !ok || lit.v != "RequestResponse" {
				return unsupported("lambda:invoke InvocationType other than \"RequestResponse\" is")
			}
		}
	}
	if _, ok := params.field("FunctionName"); !ok {
		return fmt.Errorf("the lambda:invoke integration needs \"Parameters\" with a \"FunctionName\"")
	}
	if kind == kindLambdaCallback && !params.mentionsPath("$$.Task.Token") {
		return fmt.Errorf("a .waitForTaskToken task must pass \"$$.Task.Token\" in its Parameters")
	}
	return nil
}
