package samtemplate

import (
	"fmt"
	"strings"
	"unicode"
)

// forEachPrefix starts the key of an AWS::LanguageExtensions loop:
// `Fn::ForEach::Name: [Identifier, [values...], {fragment}]`.
const forEachPrefix = "Fn::ForEach::"

// expandForEach replaces every Fn::ForEach::<name> entry of a template
// section (Resources, Outputs, Conditions) by the entries its fragment makes
// for each value of the collection, as the AWS::LanguageExtensions transform
// does before CloudFormation (and SAM) read the template: in keys and
// strings, ${Identifier} becomes the value and &{Identifier} the value with
// its non-alphanumeric characters removed; {"Ref": Identifier} becomes the
// value itself. Loops nest. Only a literal list is supported as the
// collection.
func expandForEach(section map[string]any) (map[string]any, error) {
	out := map[string]any{}
	add := func(k string, v any) error {
		if _, dup := out[k]; dup {
			return fmt.Errorf("%s is declared twice (after Fn::ForEach expansion)", k)
		}
		out[k] = v
		return nil
	}
	for _, k := range sortedKeys(section) {
		v := section[k]
		if !strings.HasPrefix(k, forEachPrefix) {
			if err := add(k, v); err != nil {
				return nil, err
			}
			continue
		}
		args, ok := v.([]any)
		if !ok || len(args) != 3 {
			return nil, fmt.Errorf("%s takes [Identifier, Collection, Fragment]", k)
		}
		id := str(args[0])
		values, ok := args[1].([]any)
		if id == "" || !ok {
			return nil, fmt.Errorf("%s: the identifier must be a name and the collection a literal list", k)
		}
		fragment, ok := args[2].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: the fragment is not a mapping", k)
		}
		for _, item := range values {
			val := str(item)
			if val == "" {
				return nil, fmt.Errorf("%s: collection value %v is not a string", k, item)
			}
			expanded, err := expandForEach(replaceIdentifier(fragment, id, val).(map[string]any))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			for _, ek := range sortedKeys(expanded) {
				if err := add(ek, expanded[ek]); err != nil {
					return nil, fmt.Errorf("%s: %w", k, err)
				}
			}
		}
	}
	return out, nil
}

func replaceIdentifier(v any, id, val string) any {
	alnum := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, val)
	rep := strings.NewReplacer("${"+id+"}", val, "&{"+id+"}", alnum)
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			return rep.Replace(x)
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = walk(e)
			}
			return out
		case map[string]any:
			if ref, ok := x["Ref"].(string); ok && len(x) == 1 && ref == id {
				return val
			}
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[rep.Replace(k)] = walk(e)
			}
			return out
		}
		return v
	}
	return walk(v)
}
