package customer

import (
	"sort"
	"strings"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/tenants"
)

// importTarget reports whether key is a field an import column may be mapped to.
func importTarget(key string) bool {
	if k, ok := strings.CutPrefix(key, "custom_fields."); ok {
		return k != "" && len(k) <= 64
	}
	for _, f := range transferFields {
		if f.key == key {
			return f.importable
		}
	}
	return false
}

func importTargets() string {
	var keys []string
	for _, f := range transferFields {
		if f.importable {
			keys = append(keys, f.key)
		}
	}
	return strings.Join(append(keys, "custom_fields.<key>"), ", ")
}

// mappedColumn is one file column imported into a customer field.
type mappedColumn struct {
	index  int
	header string
	target string
}

// resolveMapping checks a mapping (source header → field) against the file's header and the
// tenant's custom fields. With no mapping, columns whose header is a field's key or its label
// in any language (a custom field's key or label) map to it.
func resolveMapping(header []string, mapping map[string]string, defs []tenants.FieldDef) ([]mappedColumn, error) {
	custom := map[string]bool{}
	for _, d := range defs {
		custom[d.Key] = true
	}
	index := map[string]int{}
	for i, h := range header {
		if _, dup := index[h]; !dup && h != "" {
			index[h] = i
		}
	}
	var cols []mappedColumn
	if mapping == nil {
	next:
		for i, h := range header {
			for _, f := range transferFields {
				if f.importable && (strings.EqualFold(h, f.key) || f.label.matches(h) || headerAliases[h] == f.key) {
					cols = append(cols, mappedColumn{index: i, header: h, target: f.key})
					continue next
				}
			}
			for _, d := range defs {
				if h == d.Key || h == d.Label || h == "custom_fields."+d.Key {
					cols = append(cols, mappedColumn{index: i, header: h, target: "custom_fields." + d.Key})
					continue next
				}
			}
		}
	} else {
		var fes []problem.FieldError
		sources := make([]string, 0, len(mapping))
		for src := range mapping {
			sources = append(sources, src)
		}
		sort.Strings(sources)
		for _, src := range sources {
			target := strings.TrimSpace(mapping[src])
			if target == "" {
				continue // column explicitly ignored
			}
			field := "mapping." + src
			i, ok := index[strings.TrimSpace(src)]
			k, isCustom := strings.CutPrefix(target, "custom_fields.")
			switch {
			case isCustom && !custom[k]:
				fes = append(fes, problem.FieldError{Field: field, Code: "unknown_field", Key: "field.unknown_custom_field"})
			case !importTarget(target):
				fes = append(fes, problem.FieldError{Field: field, Code: "invalid_choice", Key: "field.invalid_choice", Args: []any{importTargets()}})
			case !ok:
				fes = append(fes, problem.FieldError{Field: field, Code: "not_found", Key: "import.no_column", Args: []any{src}})
			default:
				cols = append(cols, mappedColumn{index: i, header: src, target: target})
			}
		}
		if len(fes) > 0 {
			return nil, problem.Fields(fes...)
		}
	}
	seen := map[string]bool{}
	hasName := false
	for _, c := range cols {
		if seen[c.target] {
			return nil, problem.Field("mapping."+c.header, "duplicate", "import.duplicate_target", c.target)
		}
		seen[c.target] = true
		hasName = hasName || c.target == "name"
	}
	if !hasName {
		return nil, problem.Field("mapping", "required", "import.name_unmapped")
	}
	sort.Slice(cols, func(i, j int) bool { return cols[i].index < cols[j].index })
	return cols, nil
}
