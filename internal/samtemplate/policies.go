package samtemplate

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Policy is one entry of a function's or state machine's Policies: a SAM
// policy template, an inline policy document, or a managed policy.
type Policy struct {
	// Template is the SAM policy template's name ("DynamoDBCrudPolicy")
	// and Params its parameters, values unresolved.
	Template string
	Params   map[string]any
	// Statements of an inline policy document.
	Statements []Statement
	// Managed is the name or ARN of a managed policy, or the logical id
	// of the template's AWS::IAM::ManagedPolicy it refers to (`!Ref X`),
	// whose Statements are then read from the template.
	Managed string
	// Condition is set when the policy sits in a branch of Fn::If: the
	// policy applies when the condition is true, or false if Negated.
	Condition string
	Negated   bool
}

// Statement is one IAM statement of an inline policy.
type Statement struct {
	Effect    string
	Actions   []string
	Resources []any
}

// templateActions lists the actions each SAM policy template grants, from
// the policy templates of the AWS SAM translator (policy_templates.json).
// Only templates the relay uses or may reasonably use are listed; Actions
// reports any other as unknown rather than guessing.
var templateActions = map[string][]string{
	"DynamoDBCrudPolicy": {
		"dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan",
		"dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem",
		"dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem",
	},
	"DynamoDBReadPolicy": {
		"dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem",
		"dynamodb:DescribeTable",
	},
	"DynamoDBWritePolicy":          {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"},
	"StepFunctionsExecutionPolicy": {"states:StartExecution"},
	"StepFunctionsCallbackPolicy":  {"states:SendTaskFailure", "states:SendTaskHeartbeat", "states:SendTaskSuccess"},
	"SSMParameterReadPolicy": {
		"ssm:DescribeParameters", "ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath",
	},
	"SSMParameterWithSlashPrefixReadPolicy": {
		"ssm:DescribeParameters", "ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath",
	},
	"AWSSecretsManagerGetSecretValuePolicy": {"secretsmanager:GetSecretValue"},
	"KMSDecryptPolicy":                      {"kms:Decrypt"},
	"KMSEncryptPolicy":                      {"kms:Encrypt"},
	"S3ReadPolicy": {
		"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion",
		"s3:GetLifecycleConfiguration",
	},
	"LambdaInvokePolicy":      {"lambda:InvokeFunction"},
	"SNSPublishMessagePolicy": {"sns:Publish"},
	"SQSSendMessagePolicy":    {"sqs:SendMessage*"},
}

// TemplateActions returns the actions a SAM policy template grants.
func TemplateActions(name string) ([]string, bool) {
	a, ok := templateActions[name]
	return a, ok
}

// Actions returns the actions the policy allows. The actions of a managed
// policy from outside the template are not known here (ok is false), nor
// an unlisted SAM policy template's.
func (p Policy) Actions() (actions []string, ok bool) {
	switch {
	case p.Template != "":
		return TemplateActions(p.Template)
	case p.Managed != "" && p.Statements == nil:
		return nil, false
	}
	for _, s := range p.Statements {
		if s.Effect == "Allow" {
			actions = append(actions, s.Actions...)
		}
	}
	return actions, true
}

// Allows reports whether any of the policies allows action ("kms:Decrypt"),
// with IAM's matching: case-insensitive, `*` and `?` wildcards.
func Allows(policies []Policy, action string) bool {
	for _, p := range policies {
		acts, _ := p.Actions()
		for _, a := range acts {
			if actionMatch(a, action) {
				return true
			}
		}
	}
	return false
}

// AllowedActions lists every action the policies allow, sorted.
func AllowedActions(policies []Policy) []string {
	seen := map[string]bool{}
	for _, p := range policies {
		acts, _ := p.Actions()
		for _, a := range acts {
			seen[a] = true
		}
	}
	return sortedKeys(seen)
}

func actionMatch(pattern, action string) bool {
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(action))
	return err == nil && ok
}

func parsePolicies(v any, resources map[string]Resource) ([]Policy, error) {
	var out []Policy
	for _, e := range asSlice(v) {
		ps, err := parsePolicy(e, "", false, resources)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

func parsePolicy(v any, cond string, negated bool, resources map[string]Resource) ([]Policy, error) {
	switch x := v.(type) {
	case string:
		return []Policy{{Managed: x, Condition: cond, Negated: negated}}, nil
	case map[string]any:
		if ifArgs, ok := x["Fn::If"]; ok && len(x) == 1 {
			args := asSlice(ifArgs)
			if len(args) != 3 {
				return nil, fmt.Errorf("policy Fn::If takes [condition, then, else]: %v", ifArgs)
			}
			if cond != "" {
				return nil, fmt.Errorf("policy Fn::If inside Fn::If %s is not supported", cond)
			}
			name := str(args[0])
			var out []Policy
			for i, branch := range args[1:] {
				if isNoValue(branch) {
					continue
				}
				ps, err := parsePolicy(branch, name, i == 1, resources)
				if err != nil {
					return nil, err
				}
				out = append(out, ps...)
			}
			return out, nil
		}
		if stmts, ok := x["Statement"]; ok {
			return parseDocument(stmts, cond, negated, "")
		}
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			// A managed policy of this template: its statements are known.
			if r, ok := resources[ref]; ok && r.Type == TypeManaged {
				doc := asMap(r.Properties["PolicyDocument"])
				return parseDocument(doc["Statement"], cond, negated, ref)
			}
		}
		if len(x) == 1 {
			for name, params := range x {
				if _, isIntrinsic := map[string]bool{"Ref": true, "Fn::Sub": true, "Fn::GetAtt": true}[name]; isIntrinsic {
					return []Policy{{Managed: fmt.Sprint(x), Condition: cond, Negated: negated}}, nil
				}
				return []Policy{{Template: name, Params: asMap(params), Condition: cond, Negated: negated}}, nil
			}
		}
	}
	return nil, fmt.Errorf("unrecognised policy %v", v)
}

// parseDocument reads a policy document's statements. The unconditional
// ones make one Policy; each statement in a branch of Fn::If makes its own,
// under that condition (the policy's own condition, if any, must then be
// absent: nested conditions are not supported).
func parseDocument(stmts any, cond string, negated bool, managed string) ([]Policy, error) {
	base := Policy{Condition: cond, Negated: negated, Managed: managed}
	var conditional []Policy
	for _, s := range asSlice(stmts) {
		sm := asMap(s)
		if ifArgs, ok := sm["Fn::If"]; ok && len(sm) == 1 {
			args := asSlice(ifArgs)
			if len(args) != 3 {
				return nil, fmt.Errorf("statement Fn::If takes [condition, then, else]: %v", ifArgs)
			}
			if cond != "" {
				return nil, fmt.Errorf("statement Fn::If %v inside a policy under condition %s is not supported", args[0], cond)
			}
			for i, branch := range args[1:] {
				if isNoValue(branch) {
					continue
				}
				conditional = append(conditional, Policy{
					Condition: str(args[0]), Negated: i == 1, Managed: managed,
					Statements: []Statement{parseStatement(asMap(branch))},
				})
			}
			continue
		}
		base.Statements = append(base.Statements, parseStatement(sm))
	}
	var out []Policy
	if len(base.Statements) > 0 {
		out = append(out, base)
	}
	out = append(out, conditional...)
	if len(out) == 0 {
		return nil, fmt.Errorf("policy %s has no statement", managed)
	}
	return out, nil
}

func parseStatement(sm map[string]any) Statement {
	st := Statement{Effect: str(sm["Effect"]), Resources: asSlice(sm["Resource"])}
	for _, a := range asSlice(sm["Action"]) {
		st.Actions = append(st.Actions, str(a))
	}
	return st
}

func isNoValue(v any) bool { return asMap(v)["Ref"] == "AWS::NoValue" }

// PolicyTemplates lists the SAM policy templates whose actions the package
// knows, sorted.
func PolicyTemplates() []string {
	names := make([]string, 0, len(templateActions))
	for n := range templateActions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
