package asl

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"math/big"
	mrand "math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

type intrinsicFunc func(args []any) (any, error)

// intrinsics lists every JSONPath intrinsic function of Appendix B with its
// argument count (max -1: no limit).
var intrinsics = map[string]struct {
	fn       intrinsicFunc
	min, max int
}{
	"States.Format":         {nil, 1, -1}, // evaluated by evalFormat: it needs the raw template
	"States.StringToJson":   {fnStringToJSON, 1, 1},
	"States.JsonToString":   {fnJSONToString, 1, 1},
	"States.Array":          {fnArray, 0, -1},
	"States.ArrayPartition": {fnArrayPartition, 2, 2},
	"States.ArrayContains":  {fnArrayContains, 2, 2},
	"States.ArrayRange":     {fnArrayRange, 3, 3},
	"States.ArrayGetItem":   {fnArrayGetItem, 2, 2},
	"States.ArrayLength":    {fnArrayLength, 1, 1},
	"States.ArrayUnique":    {fnArrayUnique, 1, 1},
	"States.Base64Encode":   {fnBase64Encode, 1, 1},
	"States.Base64Decode":   {fnBase64Decode, 1, 1},
	"States.Hash":           {fnHash, 2, 2},
	"States.JsonMerge":      {fnJSONMerge, 3, 3},
	"States.MathRandom":     {fnMathRandom, 2, 3},
	"States.MathAdd":        {fnMathAdd, 2, 2},
	"States.StringSplit":    {fnStringSplit, 2, 2},
	"States.UUID":           {fnUUID, 0, 0},
}

// eval runs the call on the Payload Template's input. Any failure is
// States.IntrinsicFailure.
func (c *intrinsic) eval(input any, en *env) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		switch {
		case a.call != nil:
			v, err := a.call.eval(input, en)
			if err != nil {
				return nil, err
			}
			args[i] = v
		case a.path != nil:
			v, ok := a.path.get(input, en)
			if !ok {
				return nil, statesErr(ErrNameIntrinsicFailure, "%s: the path %s matched nothing", c.name, a.path)
			}
			args[i] = v
		default:
			args[i] = a.literal
		}
	}
	var v any
	var err error
	if c.name == "States.Format" {
		v, err = c.evalFormat(args)
	} else {
		v, err = c.fn(args)
	}
	if err != nil {
		return nil, statesErr(ErrNameIntrinsicFailure, "%s: %v", c.name, err)
	}
	return v, nil
}

func (c *intrinsic) evalFormat(args []any) (any, error) {
	tmpl, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("the template is a %s, not a string", jsonType(args[0]))
	}
	if c.args[0].isStr {
		tmpl = c.args[0].raw
	}
	var b strings.Builder
	next := 1
	for i := 0; i < len(tmpl); i++ {
		ch := tmpl[i]
		if ch == '\\' && c.args[0].isStr && i+1 < len(tmpl) {
			i++
			b.WriteByte(tmpl[i])
			continue
		}
		if ch == '{' && i+1 < len(tmpl) && tmpl[i+1] == '}' {
			if next >= len(args) {
				return nil, fmt.Errorf("more placeholders than values")
			}
			writeFormatted(&b, args[next])
			next++
			i++
			continue
		}
		b.WriteByte(ch)
	}
	if next != len(args) {
		return nil, fmt.Errorf("%d values but %d placeholders", len(args)-1, next-1)
	}
	return b.String(), nil
}

// writeFormatted writes the "natural string representation" States.Format
// uses. Step Functions writes objects and arrays the way Java writes its
// maps and lists: {k=v, k2=[1, 2]}, strings inside them unquoted (keys
// sorted here: decoded objects keep no order).
func writeFormatted(b *strings.Builder, v any) {
	switch v := v.(type) {
	case string:
		b.WriteString(v)
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeFormatted(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			writeFormatted(b, v[k])
		}
		b.WriteByte('}')
	}
}

func argString(args []any, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", fmt.Errorf("argument %d must be a string, not a %s", i+1, jsonType(args[i]))
	}
	return s, nil
}

func argArray(args []any, i int) ([]any, error) {
	a, ok := args[i].([]any)
	if !ok {
		return nil, fmt.Errorf("argument %d must be an array, not a %s", i+1, jsonType(args[i]))
	}
	return a, nil
}

func argInt(args []any, i int) (int64, error) {
	n, ok := integer(args[i])
	if !ok {
		return 0, fmt.Errorf("argument %d must be an integer, not %s", i+1, encodeJSON(args[i]))
	}
	return n, nil
}

// fnStringToJSON: a blank string is null, as in Step Functions.
func fnStringToJSON(args []any) (any, error) {
	s, err := argString(args, 0)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	return decodeJSONString(s)
}

func fnJSONToString(args []any) (any, error) { return encodeJSON(args[0]), nil }

func fnArray(args []any) (any, error) { return append([]any{}, args...), nil }

func fnArrayPartition(args []any) (any, error) {
	a, err := argArray(args, 0)
	if err != nil {
		return nil, err
	}
	size, err := argInt(args, 1)
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("the chunk size must be a positive integer")
	}
	out := []any{}
	for i := 0; i < len(a); i += int(size) {
		end := min(i+int(size), len(a))
		out = append(out, append([]any{}, a[i:end]...))
	}
	return out, nil
}

func fnArrayContains(args []any) (any, error) {
	a, err := argArray(args, 0)
	if err != nil {
		return nil, err
	}
	for _, v := range a {
		if equalJSON(v, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

func fnArrayRange(args []any) (any, error) {
	var n [3]int64
	for i := range n {
		v, err := argInt(args, i)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	start, end, step := n[0], n[1], n[2]
	if step == 0 {
		return nil, fmt.Errorf("the step must not be zero")
	}
	out := []any{}
	for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
		if len(out) == 1000 {
			return nil, fmt.Errorf("the range has more than 1000 items")
		}
		out = append(out, v)
	}
	return out, nil
}

func fnArrayGetItem(args []any) (any, error) {
	a, err := argArray(args, 0)
	if err != nil {
		return nil, err
	}
	i, err := argInt(args, 1)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, fmt.Errorf("index %d is out of the array's bounds", i)
	}
	return a[i], nil
}

func fnArrayLength(args []any) (any, error) {
	a, err := argArray(args, 0)
	if err != nil {
		return nil, err
	}
	return int64(len(a)), nil
}

func fnArrayUnique(args []any) (any, error) {
	a, err := argArray(args, 0)
	if err != nil {
		return nil, err
	}
	out := []any{}
next:
	for _, v := range a {
		for _, seen := range out {
			if equalJSON(seen, v) {
				continue next
			}
		}
		out = append(out, v)
	}
	return out, nil
}

const maxEncodedChars = 10000

func fnBase64Encode(args []any) (any, error) {
	s, err := argString(args, 0)
	if err != nil {
		return nil, err
	}
	if len(s) > maxEncodedChars {
		return nil, fmt.Errorf("the string is longer than %d characters", maxEncodedChars)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(args []any) (any, error) {
	s, err := argString(args, 0)
	if err != nil {
		return nil, err
	}
	if len(s) > maxEncodedChars {
		return nil, fmt.Errorf("the string is longer than %d characters", maxEncodedChars)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func fnHash(args []any) (any, error) {
	data, ok := args[0].(string)
	if !ok {
		data = encodeJSON(args[0])
	}
	if len(data) > maxEncodedChars {
		return nil, fmt.Errorf("the data is longer than %d characters", maxEncodedChars)
	}
	alg, err := argString(args, 1)
	if err != nil {
		return nil, err
	}
	var h hash.Hash
	switch alg {
	case "MD5":
		h = md5.New()
	case "SHA-1":
		h = sha1.New()
	case "SHA-256":
		h = sha256.New()
	case "SHA-384":
		h = sha512.New384()
	case "SHA-512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("unknown hash algorithm %q", alg)
	}
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnJSONMerge(args []any) (any, error) {
	a, ok1 := args[0].(map[string]any)
	b, ok2 := args[1].(map[string]any)
	deep, ok3 := args[2].(bool)
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("the arguments must be two objects and a boolean")
	}
	return mergeObjects(a, b, deep), nil
}

func mergeObjects(a, b map[string]any, deep bool) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if deep {
			x, ok1 := out[k].(map[string]any)
			y, ok2 := v.(map[string]any)
			if ok1 && ok2 {
				out[k] = mergeObjects(x, y, true)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// argRounded reads a number, rounding a fraction half up (Java's
// Math.round: 2.5 is 3, -2.5 is -2), as MathAdd and MathRandom do in Step
// Functions.
func argRounded(args []any, i int) (int64, error) {
	if n, ok := integer(args[i]); ok {
		return n, nil
	}
	f, ok := args[i].(float64)
	if !ok || math.IsNaN(f) || math.Abs(f) >= 1<<53 {
		return 0, fmt.Errorf("argument %d must be a number, not %s", i+1, encodeJSON(args[i]))
	}
	return int64(math.Floor(f + 0.5)), nil
}

func fnMathRandom(args []any) (any, error) {
	start, err := argRounded(args, 0)
	if err != nil {
		return nil, err
	}
	end, err := argRounded(args, 1)
	if err != nil {
		return nil, err
	}
	if end < start {
		return nil, fmt.Errorf("the end %d is below the start %d", end, start)
	}
	span := uint64(end-start) + 1
	if len(args) == 3 {
		seed, err := argInt(args, 2)
		if err != nil {
			return nil, err
		}
		// The same seed gives the same number, as the specification asks.
		r := mrand.New(mrand.NewPCG(uint64(seed), uint64(seed)))
		return start + int64(r.Uint64N(span)), nil
	}
	n, err := rand.Int(rand.Reader, new(big.Int).SetUint64(span))
	if err != nil {
		return nil, err
	}
	return start + n.Int64(), nil
}

func fnMathAdd(args []any) (any, error) {
	a, err := argRounded(args, 0)
	if err != nil {
		return nil, err
	}
	b, err := argRounded(args, 1)
	if err != nil {
		return nil, err
	}
	return a + b, nil
}

func fnStringSplit(args []any) (any, error) {
	s, err := argString(args, 0)
	if err != nil {
		return nil, err
	}
	sep, err := argString(args, 1)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(sep, r) }) {
		out = append(out, part)
	}
	return out, nil
}

func fnUUID([]any) (any, error) { return newUUID(), nil }

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
