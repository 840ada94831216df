package samtemplate

import (
	"reflect"
	"strings"
	"testing"
)

const sample = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
  Bucket:
    Type: String
    Default: ""
  Timeout:
    Type: Number
    Default: 30
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  HasBucket: !Not [!Equals [!Ref Bucket, ""]]
  ProdWithBucket: !And [!Condition IsProd, !Condition HasBucket]
Globals:
  Function:
    Runtime: provided.al2023
    Architectures: [arm64]
    Handler: bootstrap
    Timeout: 15
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
        SHARED: global
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
  ApiFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: go1.x
    Properties:
      CodeUri: functions/api/
      Timeout: 10
      Environment:
        Variables:
          SHARED: own
          ARN: !Sub arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${AWS::StackName}-x
          STAGE_URL: !Sub
            - https://${Host}/${Stage}
            - Host: !GetAtt Api.Endpoint
          OPTIONAL: !If [HasBucket, !Ref Bucket, !Ref AWS::NoValue]
          JOINED: !Join ["-", [a, !Ref Stage, !Select [1, !Split [",", "x,y,z"]]]]
          LITERAL: !Sub "${!NotAVariable}"
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Table
        - Statement:
            - Effect: Allow
              Action: [states:StopExecution]
              Resource: "*"
            - Effect: Deny
              Action: kms:*
              Resource: "*"
        - !If
          - HasBucket
          - S3ReadPolicy:
              BucketName: !Ref Bucket
          - !Ref AWS::NoValue
        - AWSLambdaBasicExecutionRole
      Events:
        Get:
          Type: HttpApi
          Properties:
            Method: get
            Path: /v1/things/{id}
        Proxy:
          Type: HttpApi
          Properties:
            Method: ANY
            Path: /files/{path+}
            PayloadFormatVersion: "1.0"
        Queue:
          Type: SQS
          Properties:
            Queue: arn
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/x.asl.json
      DefinitionSubstitutions:
        ApiArn: !GetAtt ApiFunction.Arn
        ApiName: !Ref ApiFunction
        TableName: !Ref Table
`

func parseSample(t *testing.T) *Template {
	t.Helper()
	tmpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func TestParseAppliesGlobalsAndFunctionOverrides(t *testing.T) {
	tmpl := parseSample(t)
	f, ok := tmpl.Function("api")
	if !ok {
		t.Fatal("function api not found by its code directory name")
	}
	if f.LogicalID != "ApiFunction" || f.Dir != "functions/api" || f.Name != "api" {
		t.Errorf("got id %q dir %q name %q", f.LogicalID, f.Dir, f.Name)
	}
	if f.Runtime != "provided.al2023" || f.Handler != "bootstrap" || f.BuildMethod != "go1.x" {
		t.Errorf("globals not applied: runtime %q handler %q build %q", f.Runtime, f.Handler, f.BuildMethod)
	}
	if f.Timeout != 10 {
		t.Errorf("Timeout = %d, want the function's own 10 over the global 15", f.Timeout)
	}
	if !reflect.DeepEqual(f.Architectures, []string{"arm64"}) {
		t.Errorf("Architectures = %v", f.Architectures)
	}
	if f.Environment["SHARED"] != "own" {
		t.Errorf("SHARED = %v, want the function's value", f.Environment["SHARED"])
	}
	if !reflect.DeepEqual(f.Environment["TABLE_NAME"], map[string]any{"Ref": "Table"}) {
		t.Errorf("TABLE_NAME = %#v, want the global !Ref in long form", f.Environment["TABLE_NAME"])
	}
}

func TestEnvironmentResolvesIntrinsics(t *testing.T) {
	tmpl := parseSample(t)
	f, _ := tmpl.Function("ApiFunction")
	r := &Resolver{
		Refs:      map[string]string{"Table": "local-table"},
		Attrs:     map[string]string{"Api.Endpoint": "127.0.0.1:3000"},
		Region:    "eu-west-1",
		StackName: "relay",
	}
	env, err := tmpl.Environment(f, r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"TABLE_NAME": "local-table",
		"SHARED":     "own",
		"ARN":        "arn:aws:states:eu-west-1:123456789012:stateMachine:relay-x",
		"STAGE_URL":  "https://127.0.0.1:3000/dev",
		"JOINED":     "a-dev-y",
		"LITERAL":    "${NotAVariable}",
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("environment:\n got %v\nwant %v", env, want)
	}

	r.Parameters = map[string]string{"Bucket": "mail", "Stage": "prod"}
	env, err = tmpl.Environment(f, r)
	if err != nil {
		t.Fatal(err)
	}
	if env["OPTIONAL"] != "mail" || env["JOINED"] != "a-prod-y" {
		t.Errorf("with overrides: OPTIONAL=%q JOINED=%q", env["OPTIONAL"], env["JOINED"])
	}
}

func TestConditions(t *testing.T) {
	tmpl := parseSample(t)
	for _, tc := range []struct {
		params map[string]string
		cond   string
		want   bool
	}{
		{nil, "IsProd", false},
		{map[string]string{"Stage": "prod"}, "IsProd", true},
		{map[string]string{"Stage": "prod"}, "ProdWithBucket", false},
		{map[string]string{"Stage": "prod", "Bucket": "b"}, "ProdWithBucket", true},
	} {
		got, err := tmpl.Condition(tc.cond, &Resolver{Parameters: tc.params})
		if err != nil || got != tc.want {
			t.Errorf("%s with %v = %v, %v; want %v", tc.cond, tc.params, got, err, tc.want)
		}
	}
	if _, err := tmpl.Condition("Missing", nil); err == nil {
		t.Error("an unknown condition evaluated without error")
	}
}

func TestResolveRejectsUnknownNames(t *testing.T) {
	tmpl := parseSample(t)
	for _, v := range []any{
		map[string]any{"Ref": "NoSuchThing"},
		map[string]any{"Fn::Sub": "x-${NoSuchThing}"},
		map[string]any{"Fn::Base64": "x"},
	} {
		if _, _, err := tmpl.Resolve(v, nil); err == nil {
			t.Errorf("Resolve(%v) succeeded", v)
		}
	}
}

func TestRoutesOnlyHttpApiEvents(t *testing.T) {
	tmpl := parseSample(t)
	var keys []string
	for _, r := range tmpl.Routes {
		keys = append(keys, r.Key()+" "+r.PayloadFormatVersion)
	}
	want := []string{"ANY /files/{path+} 1.0", "GET /v1/things/{id} 2.0"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("routes = %v, want %v", keys, want)
	}
}

func TestRouteMatch(t *testing.T) {
	get := Route{Method: "GET", Path: "/v1/things/{id}"}
	proxy := Route{Method: "ANY", Path: "/files/{path+}"}
	exact := Route{Method: "POST", Path: "/v1/webhooks/sms/twilio"}
	for _, tc := range []struct {
		r            Route
		method, path string
		want         map[string]string
	}{
		{get, "GET", "/v1/things/cp_1", map[string]string{"id": "cp_1"}},
		{get, "get", "/v1/things/cp_1/", map[string]string{"id": "cp_1"}},
		{get, "POST", "/v1/things/cp_1", nil},
		{get, "GET", "/v1/things", nil},
		{get, "GET", "/v1/things/a/b", nil},
		{get, "GET", "/v1/things//", nil},
		{proxy, "DELETE", "/files/a/b/c", map[string]string{"path": "a/b/c"}},
		{proxy, "GET", "/files", nil},
		{exact, "POST", "/v1/webhooks/sms/twilio", map[string]string{}},
		{exact, "POST", "/v1/webhooks/sms/vonage", nil},
	} {
		got, ok := tc.r.Match(tc.method, tc.path)
		if ok != (tc.want != nil) || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("%s matching %s %s = %v, %v; want %v", tc.r.Key(), tc.method, tc.path, got, ok, tc.want)
		}
	}
}

func TestPolicies(t *testing.T) {
	tmpl := parseSample(t)
	f, _ := tmpl.Function("api")
	if len(f.Policies) != 4 {
		t.Fatalf("got %d policies, want 4 (template, statements, conditional template, managed): %+v", len(f.Policies), f.Policies)
	}
	if p := f.Policies[2]; p.Template != "S3ReadPolicy" || p.Condition != "HasBucket" || p.Negated {
		t.Errorf("conditional policy parsed as %+v", p)
	}
	if p := f.Policies[3]; p.Managed != "AWSLambdaBasicExecutionRole" {
		t.Errorf("managed policy parsed as %+v", p)
	}
	for action, want := range map[string]bool{
		"dynamodb:PutItem":      true,
		"DynamoDB:putitem":      true, // IAM actions are case-insensitive
		"dynamodb:CreateTable":  false,
		"states:StopExecution":  true,
		"states:StartExecution": false,
		"kms:Decrypt":           false, // only a Deny mentions it
		"s3:GetObject":          true,
	} {
		if got := Allows(f.Policies, action); got != want {
			t.Errorf("Allows(%s) = %v, want %v", action, got, want)
		}
	}
	if !Allows([]Policy{{Template: "SQSSendMessagePolicy"}}, "sqs:SendMessageBatch") {
		t.Error("a wildcard action did not match")
	}
	if _, ok := (Policy{Template: "NoSuchPolicy"}).Actions(); ok {
		t.Error("an unknown policy template claimed known actions")
	}
}

func TestStateMachineFunctionRefs(t *testing.T) {
	tmpl := parseSample(t)
	sm, ok := tmpl.StateMachine()
	if !ok {
		t.Fatal("no state machine")
	}
	got := sm.FunctionRefs(tmpl)
	want := map[string]string{"ApiArn": "ApiFunction", "ApiName": "ApiFunction"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FunctionRefs = %v, want %v (the table is not a function)", got, want)
	}
	if sm.Type != "STANDARD" {
		t.Errorf("Type = %q, want the STANDARD default", sm.Type)
	}
}

func TestTableCreateTableInput(t *testing.T) {
	tmpl := parseSample(t)
	tbl, ok := tmpl.Table()
	if !ok {
		t.Fatal("no table")
	}
	if tbl.TTLAttribute != "ttl" {
		t.Errorf("TTLAttribute = %q", tbl.TTLAttribute)
	}
	in := tbl.CreateTableInput("t1")
	if *in.TableName != "t1" || len(in.KeySchema) != 2 || *in.KeySchema[1].AttributeName != "sk" ||
		in.KeySchema[1].KeyType != "RANGE" || in.BillingMode != "PAY_PER_REQUEST" || in.ProvisionedThroughput != nil {
		t.Errorf("CreateTableInput = %+v", in)
	}
}

func TestParseErrors(t *testing.T) {
	for name, src := range map[string]string{
		"unknown tag":     "Resources:\n  X:\n    Type: !Bogus x\n",
		"bad GetAtt":      "Resources:\n  X:\n    Type: T\n    Properties:\n      A: !GetAtt NoDot\n",
		"no resources":    "Parameters: {}\n",
		"no CodeUri":      "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: x\n",
		"not a mapping":   "- a\n- b\n",
		"inline ASL only": "Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Definition: {}\n",
	} {
		if _, err := Parse([]byte(src)); err == nil {
			t.Errorf("%s: parsed without error", name)
		} else if strings.Contains(err.Error(), "panic") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestMatchRoutePrefersTheMostSpecific(t *testing.T) {
	tmpl := &Template{Routes: []Route{
		{Method: "ANY", Path: "/{proxy+}", Function: "Catch"},
		{Method: "GET", Path: "/v1/checkpoints/{id}", Function: "Status"},
		{Method: "ANY", Path: "/v1/checkpoints/health", Function: "AnyHealth"},
		{Method: "GET", Path: "/v1/checkpoints/health", Function: "Health"},
	}}
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/v1/checkpoints/cp_1", "Status"},
		{"GET", "/v1/checkpoints/health", "Health"},
		{"POST", "/v1/checkpoints/health", "AnyHealth"},
		{"POST", "/v1/checkpoints/cp_1", "Catch"},
		{"GET", "/elsewhere", "Catch"},
	} {
		r, _, ok := tmpl.MatchRoute(tc.method, tc.path)
		if !ok || r.Function != tc.want {
			t.Errorf("%s %s -> %q (%v), want %q", tc.method, tc.path, r.Function, ok, tc.want)
		}
	}
	if _, _, ok := (&Template{}).MatchRoute("GET", "/"); ok {
		t.Error("a template without routes matched a request")
	}
}
