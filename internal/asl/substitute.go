package asl

import (
	"fmt"
	"regexp"
	"sort"
)

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_.:-]+)\}`)

// Substitute replaces the ${Name} placeholders of a definition file with
// their values, as the DefinitionSubstitutions of a SAM or CloudFormation
// state machine do, so that the local stack runs the file the template
// deploys. Values are inserted as they are. A placeholder with no value is
// an error that names every missing key.
func Substitute(def []byte, values map[string]string) ([]byte, error) {
	missing := map[string]bool{}
	out := placeholder.ReplaceAllFunc(def, func(m []byte) []byte {
		key := string(placeholder.FindSubmatch(m)[1])
		v, ok := values[key]
		if !ok {
			missing[key] = true
			return m
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		keys := make([]string, 0, len(missing))
		for k := range missing {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("asl: no substitution for %v", keys)
	}
	return out, nil
}
