package samtemplate_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// This file finds what a Lambda's code can do at run time: which
// environment variables it reads and which AWS operations it calls. It
// type-checks the module's own packages that the function imports, builds
// a call graph among their functions from the function's main (and every
// package initialiser), and collects, in the reachable functions only:
//
//   - AWS operations: any call passing a *<service>.<Op>Input of an AWS SDK
//     service package, whether on the SDK client or on an interface the
//     relay declares over it;
//   - environment variables: os.Getenv/os.LookupEnv with a constant
//     argument; calls with a constant argument to a module function that
//     passes its parameter on to one of those (transitively); constants
//     named Env* whose value looks like a variable name (the config
//     package's convention); and any constant string equal to a name in
//     ARCHITECTURE.md's environment table. The last two catch lookups
//     through an injected func(string) (string, bool).
//
// The call graph is a rapid type analysis: a call through an interface
// reaches the methods of that name of the module types the reachable code
// instantiates (composite literals, new, conversions, and what those
// embed). A package-level map from string constants to functions (a
// dispatch table such as app's builders) contributes an entry only when
// reachable code looks that key up: with a constant index, or by passing
// the constant down to the parameter used as the index. So
// app.Build(ctx, "api") reaches buildAPI, not the seven other builders. Short of reflection the
// result over-approximates what runs, which is the safe side for both
// checks.

// goPackage is the part of `go list -json` output the scan needs.
type goPackage struct {
	ImportPath string
	Name       string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	Export     string
	Standard   bool
	Module     *struct{ Path string }
	Deps       []string
}

// codeFacts is what one function's code can do.
type codeFacts struct {
	// Actions maps an IAM action ("dynamodb:PutItem") to where it is called.
	Actions map[string][]string
	// Env maps an environment variable to where it is read.
	Env map[string][]string
}

// awsServices maps an AWS SDK for Go v2 service package to its IAM prefix.
var awsServices = map[string]string{
	"github.com/aws/aws-sdk-go-v2/service/dynamodb":       "dynamodb",
	"github.com/aws/aws-sdk-go-v2/service/sfn":            "states",
	"github.com/aws/aws-sdk-go-v2/service/kms":            "kms",
	"github.com/aws/aws-sdk-go-v2/service/ssm":            "ssm",
	"github.com/aws/aws-sdk-go-v2/service/s3":             "s3",
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager": "secretsmanager",
	"github.com/aws/aws-sdk-go-v2/service/sns":            "sns",
	"github.com/aws/aws-sdk-go-v2/service/sqs":            "sqs",
	"github.com/aws/aws-sdk-go-v2/service/lambda":         "lambda",
	"github.com/aws/aws-sdk-go-v2/service/sesv2":          "ses",
}

// funcInfo is one node of the call graph.
type funcInfo struct {
	refs       []string          // functions referenced (called or taken as values)
	ifaceCalls []string          // names of interface methods called
	actions    map[string]string // AWS action -> position
	envConst   map[string]string // env names read directly -> position
	strConsts  map[string]string // constant strings used -> position
	// calls with constant string arguments: callee -> arg index -> values
	constArgs []constArg
	// envParams are the indexes of this function's parameters it passes to
	// os.Getenv/os.LookupEnv (or to another function's env parameter).
	envParams map[int]bool
	paramFwd  []paramForward
	// instantiates lists the module types this function creates values of.
	instantiates []string
	// indexes are the lookups this function makes in package-level maps.
	indexes []indexUse
}

// indexUse is m[k] for a package-level map m: k a constant, or the
// function's parameter number param.
type indexUse struct {
	table string // "pkgpath.name" of the map variable
	key   string
	param int // -1 when key is a constant
}

type constArg struct {
	callee string
	index  int
	value  string
	pos    string
}

// paramForward: this function passes its parameter param as argument index
// of callee.
type paramForward struct {
	param  int
	callee string
	index  int
}

type moduleScan struct {
	funcs     map[string]*funcInfo
	methods   map[string][]method // method name -> module methods
	initRoots map[string][]string // package path -> its initialiser keys
	// keyed maps a dispatch table ("pkgpath.name") and a key to the nodes
	// of its entries.
	keyed map[string]map[string][]string
	// embeds maps a module type to the types its struct embeds.
	embeds map[string][]string
	done   map[string]bool // packages already added
}

type method struct {
	recv string // the receiver's type, "pkgpath.Name"
	key  string
}

var (
	scanMu   sync.Mutex
	scanned  *moduleScan
	scanPkgs map[string]goPackage // import path -> package, for every package listed
	scanMain string               // module path
)

// scanFunction returns what the main package in pkgDir (relative to root,
// e.g. "./functions/api") can do. docNames are the documented environment
// variable names. The first call lists and type-checks the module's
// packages for every function under functions/ and the given one at once.
func scanFunction(t *testing.T, root, pkgDir string, docNames map[string]bool) *codeFacts {
	t.Helper()
	scanMu.Lock()
	defer scanMu.Unlock()
	if scanned == nil {
		scanned = &moduleScan{funcs: map[string]*funcInfo{}, methods: map[string][]method{}, initRoots: map[string][]string{},
			keyed: map[string]map[string][]string{}, embeds: map[string][]string{}, done: map[string]bool{}}
		scanPkgs = map[string]goPackage{}
	}
	pattern := pkgDir
	if scanMain == "" && strings.HasPrefix(pkgDir, "./functions/") {
		pattern = "./functions/..."
	}
	var target *goPackage
	for _, p := range scanPkgs {
		if p.Dir == filepath.Join(root, pkgDir) {
			target = &p
		}
	}
	if target == nil {
		pkgs, err := goList(root, pattern)
		if err != nil {
			t.Fatalf("go list %s: %v", pattern, err)
		}
		if err := scanned.addAll(pkgs); err != nil {
			t.Fatalf("scan %s: %v", pattern, err)
		}
		for _, p := range pkgs {
			scanPkgs[p.ImportPath] = p
			if p.Dir == filepath.Join(root, pkgDir) {
				target = &p
			}
		}
		if target == nil {
			t.Fatalf("go list %s did not list %s", pattern, pkgDir)
		}
	}
	roots := []string{target.ImportPath + ".main"}
	for _, dep := range append([]string{target.ImportPath}, target.Deps...) {
		roots = append(roots, scanned.initRoots[dep]...)
	}
	return scanned.facts(scanned.reachable(roots), docNames)
}

func goList(root, pattern string) ([]goPackage, error) {
	// The host platform: the export data is then what go test has already
	// built. The module's code has no platform-specific files.
	cmd := exec.Command("go", "list", "-deps", "-export", "-json", pattern)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr.String())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// addAll type-checks the module's packages among pkgs (with their imports
// from export data) and adds their functions to the graph.
func (ms *moduleScan) addAll(pkgs []goPackage) error {
	exports := map[string]string{}
	for _, p := range pkgs {
		exports[p.ImportPath] = p.Export
	}
	main := ""
	for _, p := range pkgs {
		if p.Module != nil && strings.HasPrefix(p.ImportPath, p.Module.Path) && p.Name == "main" {
			main = p.Module.Path
		}
	}
	if main == "" {
		return errors.New("no main package listed")
	}
	scanMain = main
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	for _, p := range pkgs {
		if p.Standard || p.Module == nil || p.Module.Path != main || ms.done[p.ImportPath] {
			continue
		}
		ms.done[p.ImportPath] = true
		if err := ms.add(fset, imp, p); err != nil {
			return err
		}
	}
	return nil
}

func (ms *moduleScan) add(fset *token.FileSet, imp types.Importer, p goPackage) error {
	var files []*ast.File
	for _, name := range append(append([]string{}, p.GoFiles...), p.CgoFiles...) {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	info := &types.Info{
		Types: map[ast.Expr]types.TypeAndValue{},
		Defs:  map[*ast.Ident]types.Object{},
		Uses:  map[*ast.Ident]types.Object{},
	}
	conf := types.Config{Importer: imp}
	pkg, err := conf.Check(p.ImportPath, fset, files, info)
	if err != nil {
		return fmt.Errorf("type-check %s: %w", p.ImportPath, err)
	}
	// What each struct type embeds: a value of the outer type also carries
	// the methods of the embedded ones.
	for _, name := range pkg.Scope().Names() {
		tn, ok := pkg.Scope().Lookup(name).(*types.TypeName)
		if !ok {
			continue
		}
		if st, ok := tn.Type().Underlying().(*types.Struct); ok {
			for i := range st.NumFields() {
				if f := st.Field(i); f.Embedded() {
					if k := typeKey(f.Type()); k != "" {
						ms.embeds[typeKey(tn.Type())] = append(ms.embeds[typeKey(tn.Type())], k)
					}
				}
			}
		}
	}
	initKey := p.ImportPath + ".init"
	ms.initRoots[p.ImportPath] = []string{initKey}
	initInfo := ms.node(initKey)
	for _, f := range files {
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				obj, _ := info.Defs[d.Name].(*types.Func)
				if obj == nil {
					continue
				}
				key := funcKey(obj)
				if d.Name.Name == "init" && d.Recv == nil {
					key = fmt.Sprintf("%s.init#%d", p.ImportPath, fset.Position(d.Pos()).Offset)
					ms.initRoots[p.ImportPath] = append(ms.initRoots[p.ImportPath], key)
				}
				if d.Recv != nil {
					recv := typeKey(obj.Type().(*types.Signature).Recv().Type())
					ms.methods[d.Name.Name] = append(ms.methods[d.Name.Name], method{recv: recv, key: key})
				}
				fi := ms.node(key)
				if d.Body != nil {
					ms.walk(fset, info, fi, paramIndex(info, d.Type), d.Body)
				}
			case *ast.GenDecl:
				// Package-level var initialisers run at start-up, except the
				// entries of a dispatch table (see the file comment).
				if d.Tok != token.VAR {
					continue
				}
				for _, spec := range d.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, v := range vs.Values {
						if len(vs.Names) == len(vs.Values) && ms.dispatchTable(fset, info, p.ImportPath+"."+vs.Names[i].Name, v) {
							continue
						}
						ms.walk(fset, info, initInfo, nil, v)
					}
				}
			}
		}
	}
	return nil
}

// dispatchTable adds a map[string]F composite literal whose keys are
// constants as keyed entries, and reports whether v was one.
func (ms *moduleScan) dispatchTable(fset *token.FileSet, info *types.Info, table string, v ast.Expr) bool {
	lit, ok := v.(*ast.CompositeLit)
	if !ok {
		return false
	}
	m, ok := info.Types[lit].Type.Underlying().(*types.Map)
	if !ok || !types.Identical(m.Key(), types.Typ[types.String]) {
		return false
	}
	if _, isFunc := m.Elem().Underlying().(*types.Signature); !isFunc {
		return false
	}
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return false
		}
		tv := info.Types[kv.Key]
		if tv.Value == nil || tv.Value.Kind() != constant.String {
			return false
		}
	}
	entries := map[string][]string{}
	for _, e := range lit.Elts {
		kv := e.(*ast.KeyValueExpr)
		key := constant.StringVal(info.Types[kv.Key].Value)
		node := fmt.Sprintf("%s[%q]", table, key)
		ms.walk(fset, info, ms.node(node), nil, kv.Value)
		entries[key] = append(entries[key], node)
	}
	ms.keyed[table] = entries
	return true
}

func (ms *moduleScan) node(key string) *funcInfo {
	fi, ok := ms.funcs[key]
	if !ok {
		fi = &funcInfo{actions: map[string]string{}, envConst: map[string]string{}, strConsts: map[string]string{},
			envParams: map[int]bool{}}
		ms.funcs[key] = fi
	}
	return fi
}

func funcKey(f *types.Func) string { return f.Origin().FullName() }

// typeKey names a (pointer to a) named type: "pkgpath.Name", or "".
func typeKey(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return ""
	}
	return n.Obj().Pkg().Path() + "." + n.Origin().Obj().Name()
}

// paramIndex maps each parameter object of a function to its index.
func paramIndex(info *types.Info, ft *ast.FuncType) map[types.Object]int {
	idx := map[types.Object]int{}
	i := 0
	for _, field := range ft.Params.List {
		if len(field.Names) == 0 {
			i++
			continue
		}
		for _, n := range field.Names {
			if obj := info.Defs[n]; obj != nil {
				idx[obj] = i
			}
			i++
		}
	}
	return idx
}

var envName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*_[A-Z0-9_]+$`)

func (ms *moduleScan) walk(fset *token.FileSet, info *types.Info, fi *funcInfo, params map[types.Object]int, root ast.Node) {
	pos := func(n ast.Node) string {
		p := fset.Position(n.Pos())
		return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
	}
	isEnvCall := func(callee string) bool { return callee == "os.Getenv" || callee == "os.LookupEnv" }
	ast.Inspect(root, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok {
			if tv, ok := info.Types[e]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
				fi.strConsts[constant.StringVal(tv.Value)] = pos(e)
			}
		}
		switch x := n.(type) {
		case *ast.Ident:
			switch obj := info.Uses[x].(type) {
			case *types.Func:
				if sig, _ := obj.Type().(*types.Signature); sig != nil && sig.Recv() != nil && types.IsInterface(sig.Recv().Type()) {
					fi.ifaceCalls = append(fi.ifaceCalls, obj.Name())
				} else {
					fi.refs = append(fi.refs, funcKey(obj))
				}
			case *types.Const:
				if strings.HasPrefix(obj.Name(), "Env") && obj.Val().Kind() == constant.String && envName.MatchString(constant.StringVal(obj.Val())) {
					fi.envConst[constant.StringVal(obj.Val())] = pos(x)
				}
			}
		case *ast.CompositeLit:
			if k := typeKey(info.Types[x].Type); k != "" {
				fi.instantiates = append(fi.instantiates, k)
			}
		case *ast.IndexExpr:
			if id, ok := ast.Unparen(x.X).(*ast.Ident); ok {
				if v, ok := info.Uses[id].(*types.Var); ok && v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
					use := indexUse{table: v.Pkg().Path() + "." + v.Name(), param: -1}
					if tv := info.Types[x.Index]; tv.Value != nil && tv.Value.Kind() == constant.String {
						use.key = constant.StringVal(tv.Value)
						fi.indexes = append(fi.indexes, use)
					} else if pid, ok := ast.Unparen(x.Index).(*ast.Ident); ok {
						if pi, ok := params[info.Uses[pid]]; ok {
							use.param = pi
							fi.indexes = append(fi.indexes, use)
						}
					}
				}
			}
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if tv := info.Types[call.Fun]; tv.IsType() { // a conversion T(x)
			if k := typeKey(tv.Type); k != "" {
				fi.instantiates = append(fi.instantiates, k)
			}
		}
		if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && id.Name == "new" && len(call.Args) == 1 {
			if _, builtin := info.Uses[id].(*types.Builtin); builtin {
				if k := typeKey(info.Types[call.Args[0]].Type); k != "" {
					fi.instantiates = append(fi.instantiates, k)
				}
			}
		}
		for _, arg := range call.Args {
			if action, ok := sdkAction(info.Types[arg].Type); ok {
				fi.actions[action] = pos(call)
			}
		}
		callee := calleeKey(info, call)
		if callee == "" {
			return true
		}
		for i, arg := range call.Args {
			if tv, ok := info.Types[arg]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
				v := constant.StringVal(tv.Value)
				if isEnvCall(callee) {
					fi.envConst[v] = pos(call)
				} else {
					fi.constArgs = append(fi.constArgs, constArg{callee: callee, index: i, value: v, pos: pos(call)})
				}
				continue
			}
			if id, ok := ast.Unparen(arg).(*ast.Ident); ok {
				if pi, ok := params[info.Uses[id]]; ok {
					if isEnvCall(callee) {
						fi.envParams[pi] = true
					} else {
						fi.paramFwd = append(fi.paramFwd, paramForward{param: pi, callee: callee, index: i})
					}
				}
			}
		}
		return true
	})
}

// calleeKey names the function a call statically calls, or "".
func calleeKey(info *types.Info, call *ast.CallExpr) string {
	var id *ast.Ident
	switch fn := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fn
	case *ast.SelectorExpr:
		id = fn.Sel
	case *ast.IndexExpr: // generic instantiation f[T](...)
		switch g := fn.X.(type) {
		case *ast.Ident:
			id = g
		case *ast.SelectorExpr:
			id = g.Sel
		}
	}
	if id == nil {
		return ""
	}
	if f, ok := info.Uses[id].(*types.Func); ok {
		return funcKey(f)
	}
	return ""
}

// sdkAction recognises *<service>.<Op>Input.
func sdkAction(t types.Type) (string, bool) {
	ptr, ok := t.(*types.Pointer)
	if !ok {
		return "", false
	}
	named, ok := ptr.Elem().(*types.Named)
	if !ok || named.Obj().Pkg() == nil {
		return "", false
	}
	prefix, ok := awsServices[named.Obj().Pkg().Path()]
	name := named.Obj().Name()
	if !ok || !strings.HasSuffix(name, "Input") || name == "Input" {
		return "", false
	}
	return prefix + ":" + strings.TrimSuffix(name, "Input"), true
}

// reachable runs the rapid type analysis from roots to a fixed point.
func (ms *moduleScan) reachable(roots []string) map[string]bool {
	seen := map[string]bool{}
	insts := map[string]bool{}
	ifaceNames := map[string]bool{}
	var instantiate func(string)
	instantiate = func(t string) {
		if insts[t] {
			return
		}
		insts[t] = true
		for _, e := range ms.embeds[t] {
			instantiate(e)
		}
	}
	stack := append([]string{}, roots...)
	for {
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[k] {
				continue
			}
			fi, ok := ms.funcs[k]
			if !ok {
				continue // outside the module: the standard library, the SDK
			}
			seen[k] = true
			stack = append(stack, fi.refs...)
			for _, t := range fi.instantiates {
				instantiate(t)
			}
			for _, m := range fi.ifaceCalls {
				ifaceNames[m] = true
			}
		}
		for name := range ifaceNames {
			for _, m := range ms.methods[name] {
				if insts[m.recv] && !seen[m.key] {
					stack = append(stack, m.key)
				}
			}
		}
		for table, key := range ms.dispatchKeys(seen) {
			for _, node := range ms.keyed[table][key] {
				if !seen[node] {
					stack = append(stack, node)
				}
			}
		}
		if len(stack) == 0 {
			return seen
		}
	}
}

// dispatchKeys returns, for each dispatch table, the keys the reachable
// functions look up: constants used as the index, and constants passed
// (through any number of calls) to a parameter that ends up as the index.
func (ms *moduleScan) dispatchKeys(reach map[string]bool) iter.Seq2[string, string] {
	type sink struct {
		fn    string
		param int
	}
	sinks := map[sink][]string{} // parameter -> tables it indexes
	for k, fi := range ms.funcs {
		for _, u := range fi.indexes {
			if u.param >= 0 {
				sinks[sink{k, u.param}] = append(sinks[sink{k, u.param}], u.table)
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for k, fi := range ms.funcs {
			for _, fw := range fi.paramFwd {
				for _, table := range sinks[sink{fw.callee, fw.index}] {
					s := sink{k, fw.param}
					if !slices.Contains(sinks[s], table) {
						sinks[s] = append(sinks[s], table)
						changed = true
					}
				}
			}
		}
	}
	return func(yield func(string, string) bool) {
		for k := range reach {
			fi := ms.funcs[k]
			for _, u := range fi.indexes {
				if u.param < 0 && !yield(u.table, u.key) {
					return
				}
			}
			for _, ca := range fi.constArgs {
				for _, table := range sinks[sink{ca.callee, ca.index}] {
					if !yield(table, ca.value) {
						return
					}
				}
			}
		}
	}
}

func (ms *moduleScan) facts(reach map[string]bool, docNames map[string]bool) *codeFacts {
	facts := &codeFacts{Actions: map[string][]string{}, Env: map[string][]string{}}
	// Which functions read the environment with a parameter, to a fixed point.
	for changed := true; changed; {
		changed = false
		for _, fi := range ms.funcs {
			for _, fw := range fi.paramFwd {
				if callee, ok := ms.funcs[fw.callee]; ok && callee.envParams[fw.index] && !fi.envParams[fw.param] {
					fi.envParams[fw.param] = true
					changed = true
				}
			}
		}
	}
	keys := make([]string, 0, len(reach))
	for k := range reach {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fi := ms.funcs[k]
		for a, p := range fi.actions {
			facts.Actions[a] = append(facts.Actions[a], k+" ("+p+")")
		}
		for e, p := range fi.envConst {
			facts.Env[e] = append(facts.Env[e], k+" ("+p+")")
		}
		for _, ca := range fi.constArgs {
			if callee, ok := ms.funcs[ca.callee]; ok && callee.envParams[ca.index] {
				facts.Env[ca.value] = append(facts.Env[ca.value], k+" ("+ca.pos+")")
			}
		}
		for s, p := range fi.strConsts {
			if docNames[s] {
				facts.Env[s] = append(facts.Env[s], k+" ("+p+")")
			}
		}
	}
	return facts
}
