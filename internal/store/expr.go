package store

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// update builds one UpdateItem's expressions. Names are always aliased
// (#a0, #a1…) so attribute names never clash with DynamoDB reserved words
// such as status, type, ttl or mode.
type update struct {
	set, remove, add, del, cond []string
	names                       map[string]string
	values                      map[string]types.AttributeValue
	err                         error
}

func newUpdate() *update {
	return &update{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

// n aliases an attribute name.
func (u *update) n(attr string) string {
	for k, v := range u.names {
		if v == attr {
			return k
		}
	}
	k := fmt.Sprintf("#a%d", len(u.names))
	u.names[k] = attr
	return k
}

// v adds a value placeholder.
func (u *update) v(val any) string {
	k := fmt.Sprintf(":v%d", len(u.values))
	av, err := attributevalue.Marshal(val)
	if err != nil && u.err == nil {
		u.err = fmt.Errorf("marshal %s: %w", k, err)
	}
	u.values[k] = av
	return k
}

// raw adds an already-built value placeholder (string sets).
func (u *update) raw(av types.AttributeValue) string {
	k := fmt.Sprintf(":v%d", len(u.values))
	u.values[k] = av
	return k
}

func (u *update) Set(attr string, val any) *update {
	u.set = append(u.set, u.n(attr)+" = "+u.v(val))
	return u
}

func (u *update) Remove(attrs ...string) *update {
	for _, a := range attrs {
		u.remove = append(u.remove, u.n(a))
	}
	return u
}

func (u *update) Add(attr string, n int) *update {
	u.add = append(u.add, u.n(attr)+" "+u.v(n))
	return u
}

func (u *update) AddToSet(attr, member string) *update {
	u.add = append(u.add, u.n(attr)+" "+u.raw(&types.AttributeValueMemberSS{Value: []string{member}}))
	return u
}

// AppendEvent appends to the history list, creating it if needed.
func (u *update) AppendEvent(e Event) *update {
	e.Detail = clipText(e.Detail, MaxEventDetail)
	ev := u.n("events")
	u.set = append(u.set, fmt.Sprintf("%s = list_append(if_not_exists(%s, %s), %s)",
		ev, ev, u.v([]Event{}), u.v([]Event{e})))
	return u
}

// attr marks an argument of If as an attribute name rather than a value.
type attr string

// path marks an argument of If as a document path already built by elem.
type path string

// elem is the document path of one field of one list element,
// list[i].field, with both names aliased.
func (u *update) elem(list string, i int, field string) path {
	return path(fmt.Sprintf("%s[%d].%s", u.n(list), i, u.n(field)))
}

// SetPath sets a document path built by elem.
func (u *update) SetPath(p path, val any) *update {
	u.set = append(u.set, string(p)+" = "+u.v(val))
	return u
}

// RemovePath removes a document path built by elem.
func (u *update) RemovePath(p path) *update {
	u.remove = append(u.remove, string(p))
	return u
}

// If adds a condition; the format's %s verbs are filled by names given as
// attr and values given as anything else.
func (u *update) If(format string, args ...any) *update {
	out := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(attr); ok {
			out[i] = u.n(string(s))
		} else if p, ok := a.(path); ok {
			out[i] = string(p)
		} else {
			out[i] = u.v(a)
		}
	}
	u.cond = append(u.cond, "("+fmt.Sprintf(format, out...)+")")
	return u
}

func (u *update) expression() string {
	var parts []string
	if len(u.set) > 0 {
		parts = append(parts, "SET "+strings.Join(u.set, ", "))
	}
	if len(u.remove) > 0 {
		parts = append(parts, "REMOVE "+strings.Join(u.remove, ", "))
	}
	if len(u.add) > 0 {
		parts = append(parts, "ADD "+strings.Join(u.add, ", "))
	}
	if len(u.del) > 0 {
		parts = append(parts, "DELETE "+strings.Join(u.del, ", "))
	}
	return strings.Join(parts, " ")
}

func (u *update) condition() *string {
	if len(u.cond) == 0 {
		return nil
	}
	c := strings.Join(u.cond, " AND ")
	return &c
}
