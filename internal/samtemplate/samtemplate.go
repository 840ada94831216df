// Package samtemplate reads the relay's template.yaml: the functions (code
// directory, environment, policies), the HTTP API routes, the DynamoDB
// table and the state machine. The local stack serves the routes and
// creates the table from it, so that what runs locally is what `sam deploy`
// deploys, and the tests hold the template to the code with it.
//
// It reads the subset of CloudFormation and SAM the relay uses, not every
// template: short-form tags (!Ref, !Sub, !GetAtt, !If...) are expanded to
// their long forms, and Resolve evaluates the intrinsic functions a value
// may use against a Resolver.
package samtemplate

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Resource types the package reads.
const (
	TypeFunction     = "AWS::Serverless::Function"
	TypeHttpApi      = "AWS::Serverless::HttpApi"
	TypeStateMachine = "AWS::Serverless::StateMachine"
	TypeTable        = "AWS::DynamoDB::Table"
	TypeManaged      = "AWS::IAM::ManagedPolicy"
)

// Template is a parsed template.yaml.
type Template struct {
	// files holds the template and the files it names; dir is the
	// template's directory in it, which DefinitionUri is relative to.
	files fs.FS
	dir   string
	// Parameters by name.
	Parameters map[string]Parameter
	// Conditions by name, each a long-form condition expression.
	Conditions map[string]any
	// Mappings by name: top-level key, second-level key, value.
	Mappings map[string]any
	// Resources by logical id: type and raw properties, Fn::ForEach loops
	// expanded.
	Resources map[string]Resource
	// Functions, sorted by logical id, with Globals applied.
	Functions []Function
	// Routes of every HttpApi event, sorted by path then method.
	Routes []Route
	// Tables, sorted by logical id.
	Tables []Table
	// StateMachines, sorted by logical id.
	StateMachines []StateMachine
}

// Parameter is one template parameter.
type Parameter struct {
	Type string
	// Default is the parameter's default, as a string (CloudFormation
	// passes every parameter value as one); HasDefault says whether the
	// template gives one.
	Default    string
	HasDefault bool
}

// Resource is one entry of Resources.
type Resource struct {
	Type       string
	Condition  string
	Properties map[string]any
	Metadata   map[string]any
}

// Function is an AWS::Serverless::Function with the template's Globals
// applied.
type Function struct {
	LogicalID string
	// CodeURI as written ("functions/api/"); Dir is its cleaned, slash-
	// separated form ("functions/api") and Name its last element ("api").
	CodeURI string
	Dir     string
	Name    string

	Runtime       string
	Handler       string
	Architectures []string
	BuildMethod   string // Metadata.BuildMethod
	// ProjectRoot is Metadata.ProjectRootDirectory: the directory a
	// makefile build runs in, relative to the template.
	ProjectRoot string
	Timeout     int
	MemorySize  int

	// Environment is Globals' variables overridden by the function's own,
	// values unresolved (see Template.Environment).
	Environment map[string]any
	Policies    []Policy
}

// Route is one HttpApi event of a function.
type Route struct {
	Method string // upper case, or ANY
	Path   string // as in the template, e.g. /v1/checkpoints/{id}
	// Function is the logical id of the function that serves the route.
	Function string
	// Event is the name of the event in the function's Events.
	Event string
	// PayloadFormatVersion is "2.0" unless the event says otherwise.
	PayloadFormatVersion string
}

// Key is how API Gateway names the route: "POST /v1/checkpoints".
func (r Route) Key() string { return r.Method + " " + r.Path }

// Match reports whether a request for method and urlPath is served by the
// route and returns the path parameters it binds. A {name} segment binds
// one non-empty segment; {name+} binds the rest of the path.
func (r Route) Match(method, urlPath string) (map[string]string, bool) {
	if r.Method != "ANY" && !strings.EqualFold(r.Method, method) {
		return nil, false
	}
	want := strings.Split(strings.Trim(r.Path, "/"), "/")
	got := strings.Split(strings.Trim(urlPath, "/"), "/")
	params := map[string]string{}
	for i, w := range want {
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "+}") {
			if i >= len(got) || got[i] == "" {
				return nil, false
			}
			params[w[1:len(w)-2]] = strings.Join(got[i:], "/")
			return params, true
		}
		if i >= len(got) {
			return nil, false
		}
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") {
			if got[i] == "" {
				return nil, false
			}
			params[w[1:len(w)-1]] = got[i]
			continue
		}
		if w != got[i] {
			return nil, false
		}
	}
	if len(got) != len(want) {
		return nil, false
	}
	return params, true
}

// MatchRoute finds the route that serves a request, as API Gateway does:
// of the routes that match, the one with the most literal segments, then
// the fewest greedy parameters, then a method over ANY.
func (t *Template) MatchRoute(method, urlPath string) (Route, map[string]string, bool) {
	best, bestParams, found := Route{}, map[string]string(nil), false
	score := func(r Route) (int, int, int) {
		literal, greedy, exact := 0, 0, 0
		for _, seg := range strings.Split(strings.Trim(r.Path, "/"), "/") {
			switch {
			case strings.HasSuffix(seg, "+}"):
				greedy++
			case !strings.HasPrefix(seg, "{"):
				literal++
			}
		}
		if r.Method != "ANY" {
			exact = 1
		}
		return literal, -greedy, exact
	}
	for _, r := range t.Routes {
		params, ok := r.Match(method, urlPath)
		if !ok {
			continue
		}
		if found {
			l1, g1, e1 := score(r)
			l0, g0, e0 := score(best)
			if l1 < l0 || (l1 == l0 && (g1 < g0 || (g1 == g0 && e1 <= e0))) {
				continue
			}
		}
		best, bestParams, found = r, params, true
	}
	return best, bestParams, found
}

// Table is an AWS::DynamoDB::Table.
type Table struct {
	LogicalID string
	// TableName is the TableName property, nil when CloudFormation names
	// the table.
	TableName            any
	BillingMode          string
	AttributeDefinitions []AttributeDefinition
	KeySchema            []KeyElement
	// TTLAttribute is the TimeToLiveSpecification attribute when enabled.
	TTLAttribute        string
	PointInTimeRecovery bool
	SSEEnabled          bool
	SSEType             string
}

// AttributeDefinition is one of a table's AttributeDefinitions.
type AttributeDefinition struct {
	Name string
	Type string // S, N or B
}

// KeyElement is one of a table's KeySchema elements.
type KeyElement struct {
	Name    string
	KeyType string // HASH or RANGE
}

// StateMachine is an AWS::Serverless::StateMachine.
type StateMachine struct {
	LogicalID string
	Name      any
	Type      string
	// DefinitionURI is relative to the template's directory.
	DefinitionURI string
	// Substitutions are the DefinitionSubstitutions, values unresolved.
	Substitutions map[string]any
	Policies      []Policy
}

// Load reads and parses the template at name in files, which also holds
// the state machine definitions it names: os.DirFS for a checkout, the
// files embedded in the binary otherwise.
func Load(files fs.FS, name string) (*Template, error) {
	b, err := fs.ReadFile(files, name)
	if err != nil {
		return nil, err
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t.files, t.dir = files, path.Dir(name)
	return t, nil
}

// Parse parses a template. It names no files: Definition fails.
func Parse(b []byte) (*Template, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	v, err := decode(&doc)
	if err != nil {
		return nil, err
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("template is not a mapping")
	}
	t := &Template{
		Parameters: map[string]Parameter{},
		Conditions: map[string]any{},
		Mappings:   asMap(root["Mappings"]),
		Resources:  map[string]Resource{},
	}
	for name, p := range asMap(root["Parameters"]) {
		pm := asMap(p)
		par := Parameter{Type: str(pm["Type"])}
		if d, ok := pm["Default"]; ok {
			par.Default, par.HasDefault = fmt.Sprint(d), true
		}
		t.Parameters[name] = par
	}
	conditions, err := expandForEach(asMap(root["Conditions"]))
	if err != nil {
		return nil, fmt.Errorf("section Conditions: %w", err)
	}
	for name, c := range conditions {
		t.Conditions[name] = c
	}
	resources, err := expandForEach(asMap(root["Resources"]))
	if err != nil {
		return nil, fmt.Errorf("section Resources: %w", err)
	}
	if len(resources) == 0 {
		return nil, errors.New("template has no Resources")
	}
	for id, r := range resources {
		rm := asMap(r)
		t.Resources[id] = Resource{
			Type:       str(rm["Type"]),
			Condition:  str(rm["Condition"]),
			Properties: asMap(rm["Properties"]),
			Metadata:   asMap(rm["Metadata"]),
		}
	}
	globals := asMap(asMap(root["Globals"])["Function"])
	for _, id := range sortedKeys(t.Resources) {
		r := t.Resources[id]
		switch r.Type {
		case TypeFunction:
			f, routes, err := parseFunction(id, r, globals, t.Resources)
			if err != nil {
				return nil, err
			}
			t.Functions = append(t.Functions, f)
			t.Routes = append(t.Routes, routes...)
		case TypeTable:
			t.Tables = append(t.Tables, parseTable(id, r))
		case TypeStateMachine:
			sm, err := parseStateMachine(id, r, t.Resources)
			if err != nil {
				return nil, err
			}
			t.StateMachines = append(t.StateMachines, sm)
		}
	}
	sort.Slice(t.Routes, func(i, j int) bool {
		if t.Routes[i].Path != t.Routes[j].Path {
			return t.Routes[i].Path < t.Routes[j].Path
		}
		return t.Routes[i].Method < t.Routes[j].Method
	})
	return t, nil
}

func parseFunction(id string, r Resource, globals map[string]any, resources map[string]Resource) (Function, []Route, error) {
	// Globals apply unless the function sets the property itself;
	// Environment.Variables merge key by key, the function's winning.
	prop := func(name string) any {
		if v, ok := r.Properties[name]; ok {
			return v
		}
		return globals[name]
	}
	f := Function{
		LogicalID:   id,
		CodeURI:     str(r.Properties["CodeUri"]),
		Runtime:     str(prop("Runtime")),
		Handler:     str(prop("Handler")),
		BuildMethod: str(r.Metadata["BuildMethod"]),
		ProjectRoot: str(r.Metadata["ProjectRootDirectory"]),
		Timeout:     num(prop("Timeout")),
		MemorySize:  num(prop("MemorySize")),
		Environment: map[string]any{},
	}
	if f.CodeURI == "" {
		return f, nil, fmt.Errorf("function %s: no CodeUri (only local code directories are supported)", id)
	}
	f.Dir = path.Clean(filepath.ToSlash(f.CodeURI))
	f.Name = path.Base(f.Dir)
	for _, a := range asSlice(prop("Architectures")) {
		f.Architectures = append(f.Architectures, str(a))
	}
	for k, v := range asMap(asMap(globals["Environment"])["Variables"]) {
		f.Environment[k] = v
	}
	for k, v := range asMap(asMap(r.Properties["Environment"])["Variables"]) {
		f.Environment[k] = v
	}
	pols, err := parsePolicies(r.Properties["Policies"], resources)
	if err != nil {
		return f, nil, fmt.Errorf("function %s: %w", id, err)
	}
	f.Policies = pols

	var routes []Route
	events := asMap(r.Properties["Events"])
	for _, name := range sortedKeys(events) {
		ev := asMap(events[name])
		if str(ev["Type"]) != "HttpApi" {
			continue
		}
		p := asMap(ev["Properties"])
		rt := Route{
			Method:               strings.ToUpper(str(p["Method"])),
			Path:                 str(p["Path"]),
			Function:             id,
			Event:                name,
			PayloadFormatVersion: str(p["PayloadFormatVersion"]),
		}
		if rt.Method == "" || rt.Path == "" {
			return f, nil, fmt.Errorf("function %s event %s: HttpApi event needs Method and Path", id, name)
		}
		if rt.PayloadFormatVersion == "" {
			rt.PayloadFormatVersion = "2.0"
		}
		routes = append(routes, rt)
	}
	return f, routes, nil
}

func parseTable(id string, r Resource) Table {
	p := r.Properties
	t := Table{
		LogicalID:   id,
		TableName:   p["TableName"],
		BillingMode: str(p["BillingMode"]),
	}
	for _, a := range asSlice(p["AttributeDefinitions"]) {
		am := asMap(a)
		t.AttributeDefinitions = append(t.AttributeDefinitions, AttributeDefinition{Name: str(am["AttributeName"]), Type: str(am["AttributeType"])})
	}
	for _, k := range asSlice(p["KeySchema"]) {
		km := asMap(k)
		t.KeySchema = append(t.KeySchema, KeyElement{Name: str(km["AttributeName"]), KeyType: str(km["KeyType"])})
	}
	if ttl := asMap(p["TimeToLiveSpecification"]); ttl["Enabled"] == true {
		t.TTLAttribute = str(ttl["AttributeName"])
	}
	t.PointInTimeRecovery = asMap(p["PointInTimeRecoverySpecification"])["PointInTimeRecoveryEnabled"] == true
	sse := asMap(p["SSESpecification"])
	t.SSEEnabled = sse["SSEEnabled"] == true
	t.SSEType = str(sse["SSEType"])
	return t
}

func parseStateMachine(id string, r Resource, resources map[string]Resource) (StateMachine, error) {
	p := r.Properties
	sm := StateMachine{
		LogicalID:     id,
		Name:          p["Name"],
		Type:          str(p["Type"]),
		DefinitionURI: str(p["DefinitionUri"]),
		Substitutions: asMap(p["DefinitionSubstitutions"]),
	}
	if sm.Type == "" {
		sm.Type = "STANDARD"
	}
	if sm.DefinitionURI == "" {
		return sm, fmt.Errorf("state machine %s: no DefinitionUri (an inline Definition is not supported)", id)
	}
	if sm.Substitutions == nil {
		sm.Substitutions = map[string]any{}
	}
	pols, err := parsePolicies(p["Policies"], resources)
	if err != nil {
		return sm, fmt.Errorf("state machine %s: %w", id, err)
	}
	sm.Policies = pols
	return sm, nil
}

// Function returns the function with the logical id, or the one whose code
// directory is named name ("sms-webhook").
func (t *Template) Function(idOrName string) (Function, bool) {
	for _, f := range t.Functions {
		if f.LogicalID == idOrName || f.Name == idOrName {
			return f, true
		}
	}
	return Function{}, false
}

// Table returns the template's only table; ok is false unless there is
// exactly one.
func (t *Template) Table() (Table, bool) {
	if len(t.Tables) != 1 {
		return Table{}, false
	}
	return t.Tables[0], true
}

// StateMachine returns the template's only state machine; ok is false
// unless there is exactly one.
func (t *Template) StateMachine() (StateMachine, bool) {
	if len(t.StateMachines) != 1 {
		return StateMachine{}, false
	}
	return t.StateMachines[0], true
}

// Definition reads the state machine's definition file.
func (t *Template) Definition(sm StateMachine) ([]byte, error) {
	if t.files == nil {
		return nil, errors.New("the template was parsed from bytes: it names no files")
	}
	return fs.ReadFile(t.files, path.Join(t.dir, filepath.ToSlash(sm.DefinitionURI)))
}

// FunctionRefs maps each DefinitionSubstitutions key that names a function
// (`!GetAtt Fn.Arn` or `!Ref Fn`) to that function's logical id. The local
// runner uses it to route a Task's FunctionName to the right handler.
func (sm StateMachine) FunctionRefs(t *Template) map[string]string {
	out := map[string]string{}
	for k, v := range sm.Substitutions {
		id := ""
		m := asMap(v)
		if ga := asSlice(m["Fn::GetAtt"]); len(ga) == 2 && str(ga[1]) == "Arn" {
			id = str(ga[0])
		} else if ref := str(m["Ref"]); ref != "" {
			id = ref
		}
		if r, ok := t.Resources[id]; ok && r.Type == TypeFunction {
			out[k] = id
		}
	}
	return out
}

// Environment resolves a function's environment. Variables whose value
// resolves to AWS::NoValue (an !If branch) are left out.
//
// The values are the AWS ones: KMS key ids, SSM parameter names in the
// *_PARAM variables. A local stack takes the names from here (which
// variables a function reads) and the values from its own configuration,
// or resolves with a Resolver whose Refs and Parameters point at local
// resources.
func (t *Template) Environment(f Function, r *Resolver) (map[string]string, error) {
	out := make(map[string]string, len(f.Environment))
	for _, k := range sortedKeys(f.Environment) {
		v, ok, err := t.Resolve(f.Environment[k], r)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", f.LogicalID, k, err)
		}
		if ok {
			out[k] = v
		}
	}
	return out, nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	switch s := v.(type) {
	case []any:
		return s
	case nil:
		return nil
	default:
		return []any{s}
	}
}

func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case nil:
		return ""
	case int, float64, bool:
		return fmt.Sprint(s)
	}
	return ""
}

func num(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case float64:
		return int(n)
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
