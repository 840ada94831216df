package samtemplate

import (
	"reflect"
	"strings"
	"testing"
)

const loopSample = `
Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Parameters:
  Key:
    Type: String
    Default: ""
Conditions:
  HasKey: !Not [!Equals [!Ref Key, ""]]
Mappings:
  Limits:
    One: {Threshold: 1}
    Two: {Threshold: 10}
Resources:
  Shared:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: [dynamodb:GetItem]
            Resource: "*"
          - !If
            - HasKey
            - Effect: Allow
              Action: ssm:GetParameter
              Resource: !Sub arn:aws:ssm:::parameter${Key}
            - !Ref AWS::NoValue
  Fn::ForEach::Things:
    - Name
    - [One, Two]
    - ${Name}Function:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: functions/&{Name}/
          Environment:
            Variables:
              LIMIT: !FindInMap [Limits, !Ref Name, Threshold]
              SELF: !Sub ${${Name}Function}
          Policies:
            - !Ref Shared
      Fn::ForEach::Inner:
        - Kind
        - [Log, Alarm]
        - ${Name}${Kind}:
            Type: AWS::Logs::LogGroup
            Properties:
              LogGroupName: !Sub /x/${Name}/${Kind}
`

func TestForEachExpandsAsLanguageExtensionsDoes(t *testing.T) {
	tmpl, err := Parse([]byte(loopSample))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"OneAlarm", "OneFunction", "OneLog", "Shared", "TwoAlarm", "TwoFunction", "TwoLog"}
	if got := sortedKeys(tmpl.Resources); !reflect.DeepEqual(got, want) {
		t.Fatalf("resources = %v, want %v", got, want)
	}
	f, ok := tmpl.Function("TwoFunction")
	if !ok || f.Dir != "functions/Two" {
		t.Fatalf("TwoFunction: %+v", f)
	}
	env, err := tmpl.Environment(f, &Resolver{Refs: map[string]string{"TwoFunction": "two-fn"}})
	if err != nil {
		t.Fatal(err)
	}
	if env["LIMIT"] != "10" || env["SELF"] != "two-fn" {
		t.Errorf("environment = %v, want LIMIT 10 (FindInMap by the loop value) and SELF two-fn", env)
	}
	if name, _, _ := tmpl.Resolve(tmpl.Resources["OneAlarm"].Properties["LogGroupName"], nil); name != "/x/One/Alarm" {
		t.Errorf("nested loop: LogGroupName %q", name)
	}
}

func TestManagedPolicyOfTheTemplateIsRead(t *testing.T) {
	tmpl, err := Parse([]byte(loopSample))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := tmpl.Function("OneFunction")
	if len(f.Policies) != 2 {
		t.Fatalf("policies = %+v, want the unconditional statements and the conditional one", f.Policies)
	}
	if p := f.Policies[0]; p.Managed != "Shared" || p.Condition != "" || !Allows(f.Policies[:1], "dynamodb:GetItem") {
		t.Errorf("first policy %+v", p)
	}
	if p := f.Policies[1]; p.Condition != "HasKey" || p.Negated || !Allows(f.Policies[1:], "ssm:GetParameter") {
		t.Errorf("conditional statement %+v", p)
	}
	if Allows(f.Policies, "kms:Decrypt") {
		t.Error("a managed policy of the template allowed an action it does not list")
	}
}

func TestForEachErrors(t *testing.T) {
	for name, frag := range map[string]string{
		"not a list":     "Fn::ForEach::X: [N, !Ref Key, {A: {Type: T}}]",
		"duplicate":      "AX: {Type: T}\n  Fn::ForEach::X:\n    - N\n    - [X]\n    - A${N}: {Type: T}",
		"wrong arity":    "Fn::ForEach::X: [N, [a]]",
		"fragment shape": "Fn::ForEach::X: [N, [a], [b]]",
	} {
		src := "Parameters:\n  Key: {Type: CommaDelimitedList}\nResources:\n  " + frag + "\n"
		if _, err := Parse([]byte(src)); err == nil || !strings.Contains(err.Error(), "Fn::ForEach") && !strings.Contains(err.Error(), "twice") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
