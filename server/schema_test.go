package server_test

import (
	"strings"
	"testing"
)

// TestSchemaIsDocumented: every type, field, argument, input field and enum
// value of the schema has a description, so that GraphiQL and generated
// clients explain the whole API.
func TestSchemaIsDocumented(t *testing.T) {
	type described struct {
		Name        string
		Description *string
	}
	type field struct {
		described
		Args []described
	}
	var d struct {
		Schema struct {
			Types []struct {
				described
				Fields      []field
				InputFields []described
				EnumValues  []described
			}
		} `json:"__schema"`
	}
	data(t, newHandler(t, nil), `{ __schema { types { name description
		fields { name description args { name description } }
		inputFields { name description } enumValues { name description } } } }`, nil, &d)
	var missing []string
	check := func(path string, x described) {
		if x.Description == nil || strings.TrimSpace(*x.Description) == "" {
			missing = append(missing, path)
		}
	}
	for _, ty := range d.Schema.Types {
		if strings.HasPrefix(ty.Name, "__") || builtin[ty.Name] {
			continue
		}
		check(ty.Name, ty.described)
		for _, f := range ty.Fields {
			check(ty.Name+"."+f.Name, f.described)
			for _, a := range f.Args {
				check(ty.Name+"."+f.Name+"("+a.Name+")", a)
			}
		}
		for _, f := range ty.InputFields {
			check(ty.Name+"."+f.Name, f)
		}
		for _, v := range ty.EnumValues {
			check(ty.Name+"."+v.Name, v)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d parts of the schema have no description:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// builtin are the scalars every GraphQL schema has, described by the spec.
var builtin = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}
