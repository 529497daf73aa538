package tenants

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/swaggest/jsonschema-go"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/problem"
)

// A settings section is one business area's block of the tenant settings: the area declares its
// type, defaults and checks, and tenants stores it beside the core settings, serves it as a
// top-level member of GET /settings (filled with the defaults until saved), merges PATCHes into
// it like the core blocks and validates it before anything is saved. A new area thus adds
// settings without editing this package:
//
//	var Settings = tenants.Section[ServiceSettings]{Key: "service", Defaults: defaults, Check: check}
//	tenantsService.AddSection(Settings)      // in server.New
//	st, err := Settings.Get(ctx, tenantsService)
type Section[T any] struct {
	// Key is the section's member name in /settings; it must not be a core field's name.
	Key string
	// Defaults returns the values a tenant has before it saves the section. A saved section is
	// decoded over the defaults, so fields added later start at their default.
	Defaults func() T
	// Check, when set, runs after the struct's validate tags, inside the saving transaction.
	// Its field errors name fields relative to the section; they are reported under Key.
	Check func(ctx context.Context, tx *gorm.DB, v *T) error
}

// sectionDef is what the Service keeps of a Section, whatever its type.
type sectionDef interface {
	key() string
	// merge decodes patch over the section's current value (raw; nil: the defaults), validates
	// it and returns it encoded.
	merge(ctx context.Context, tx *gorm.DB, raw, patch json.RawMessage) (json.RawMessage, error)
	defaults() json.RawMessage
}

func (s Section[T]) key() string { return s.Key }

func (s Section[T]) value(raw json.RawMessage) T {
	v := s.Defaults()
	if len(raw) > 0 {
		// Stored sections were validated when saved; a field removed since is ignored.
		_ = json.Unmarshal(raw, &v)
	}
	return v
}

func (s Section[T]) defaults() json.RawMessage {
	b, err := json.Marshal(s.Defaults())
	if err != nil {
		panic(fmt.Sprintf("tenants: section %q defaults do not encode: %v", s.Key, err))
	}
	return b
}

func (s Section[T]) merge(ctx context.Context, tx *gorm.DB, raw, patch json.RawMessage) (json.RawMessage, error) {
	v := s.value(raw)
	if len(patch) > 0 {
		if err := api.DecodeJSON(patch, &v); err != nil {
			return nil, underKey(s.Key, err)
		}
	}
	if err := api.Validate.Struct(&v); err != nil {
		return nil, underKey(s.Key, api.ValidationError(err))
	}
	if s.Check != nil {
		if err := s.Check(ctx, tx, &v); err != nil {
			return nil, underKey(s.Key, err)
		}
	}
	return json.Marshal(v)
}

// From returns the section of st, with the defaults where it was never saved.
func (s Section[T]) From(st Settings) T { return s.value(st.Sections[s.Key]) }

// Get returns the context tenant's section.
func (s Section[T]) Get(ctx context.Context, svc *Service) (T, error) {
	v, err := svc.Settings(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	return s.From(v.Settings), nil
}

// underKey moves the field errors of a section's validation under the section's key.
func underKey(key string, err error) error {
	pe, ok := err.(*problem.Error)
	if !ok || len(pe.Fields) == 0 {
		return err
	}
	out := *pe
	out.Fields = make([]problem.FieldError, len(pe.Fields))
	for i, f := range pe.Fields {
		if f.Field == "" {
			f.Field = key
		} else {
			f.Field = key + "." + f.Field
		}
		out.Fields[i] = f
	}
	return &out
}

// AddSection makes sec part of the settings. It is called while the server is wired, before any
// request; a key taken by the core settings or another section is a programming error.
func (s *Service) AddSection(sec sectionDef) {
	k := sec.key()
	if k == "" || coreKeys()[k] || k == "version" {
		panic(fmt.Sprintf("tenants: settings section key %q is reserved", k))
	}
	if s.sections == nil {
		s.sections = map[string]sectionDef{}
	}
	if _, dup := s.sections[k]; dup {
		panic(fmt.Sprintf("tenants: settings section %q added twice", k))
	}
	s.sections[k] = sec
}

// withDefaults fills in the sections st has never saved, for GET /settings.
func (s *Service) withDefaults(st Settings) Settings {
	if len(s.sections) == 0 {
		return st
	}
	out := make(map[string]json.RawMessage, len(s.sections))
	for k, v := range st.Sections {
		out[k] = v
	}
	for k, sec := range s.sections {
		if len(out[k]) == 0 {
			out[k] = sec.defaults()
		}
	}
	st.Sections = out
	return st
}

// settingsPatch is the body of PATCH /settings: the core fields, version and sections, each
// merged over the current value.
type settingsPatch struct{ raw json.RawMessage }

func (p *settingsPatch) UnmarshalJSON(b []byte) error {
	p.raw = append(json.RawMessage(nil), b...)
	return nil
}

// JSONSchema documents the body as the settings themselves.
func (settingsPatch) JSONSchema() (jsonschema.Schema, error) {
	var r jsonschema.Reflector
	return r.Reflect(new(SettingsView), jsonschema.InlineRefs)
}

// apply decodes a PATCH body over cur: core members (and version) strictly as before, each
// section's member merged over the section's current value. A member that is neither answers
// unknown_field.
func (s *Service) apply(ctx context.Context, tx *gorm.DB, body json.RawMessage) func(*SettingsView) error {
	return func(cur *SettingsView) error {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(body, &members); err != nil {
			return api.DecodeJSON(body, &struct{}{}) // the same bad_json / invalid_type answer as elsewhere
		}
		core := map[string]json.RawMessage{}
		var names []string
		for k, v := range members {
			if coreKeys()[k] || k == "version" {
				core[k] = v
				continue
			}
			if _, ok := s.sections[k]; !ok {
				return problem.Field(k, "unknown_field", "field.unknown_field")
			}
			names = append(names, k)
		}
		if len(core) > 0 {
			b, err := json.Marshal(core)
			if err != nil {
				return err
			}
			// Decoded over a copy of the current values, so that nested blocks merge.
			view := struct {
				plainSettings
				Version int64 `json:"version"`
			}{plainSettings(cur.Settings), cur.Version}
			if err := api.DecodeJSON(b, &view); err != nil {
				return err
			}
			sections := cur.Sections
			cur.Settings, cur.Version = Settings(view.plainSettings), view.Version
			cur.Sections = sections
		}
		sort.Strings(names)
		for _, k := range names {
			if m := bytes.TrimSpace(members[k]); len(m) == 0 || m[0] != '{' {
				return problem.Field(k, "invalid_type", "field.invalid_type", "object")
			}
			merged, err := s.sections[k].merge(ctx, tx, cur.Sections[k], members[k])
			if err != nil {
				return err
			}
			cur.Sections = cloneSections(cur.Sections)
			cur.Sections[k] = merged
		}
		return nil
	}
}

func cloneSections(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// plainSettings are Settings without their JSON methods: the core members only.
type plainSettings Settings

// MarshalJSON writes the core members and then each section as a member of its own.
func (st Settings) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(plainSettings(st))
	if err != nil || len(st.Sections) == 0 {
		return b, err
	}
	return appendMembers(b, st.Sections)
}

// UnmarshalJSON reads stored settings: core members into their fields, every other member into
// Sections.
func (st *Settings) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, (*plainSettings)(st)); err != nil {
		return err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return err
	}
	st.Sections = nil
	for k, v := range members {
		if coreKeys()[k] {
			continue
		}
		if st.Sections == nil {
			st.Sections = map[string]json.RawMessage{}
		}
		st.Sections[k] = v
	}
	return nil
}

// MarshalJSON writes the settings with their version.
func (v SettingsView) MarshalJSON() ([]byte, error) {
	b, err := v.Settings.MarshalJSON()
	if err != nil {
		return nil, err
	}
	ver, _ := json.Marshal(v.Version)
	return appendMembers(b, map[string]json.RawMessage{"version": ver})
}

// UnmarshalJSON reads GET /settings.
func (v *SettingsView) UnmarshalJSON(b []byte) error {
	var ver struct {
		Version int64 `json:"version"`
	}
	if err := json.Unmarshal(b, &ver); err != nil {
		return err
	}
	if err := v.Settings.UnmarshalJSON(b); err != nil {
		return err
	}
	delete(v.Sections, "version")
	if len(v.Sections) == 0 {
		v.Sections = nil
	}
	v.Version = ver.Version
	return nil
}

// appendMembers adds members (in key order) to the JSON object obj.
func appendMembers(obj []byte, members map[string]json.RawMessage) ([]byte, error) {
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	body := bytes.TrimSpace(obj)
	if len(body) < 2 || body[len(body)-1] != '}' {
		return nil, fmt.Errorf("tenants: settings did not encode as an object")
	}
	var out bytes.Buffer
	out.Write(body[:len(body)-1])
	empty := len(bytes.TrimSpace(body[1:len(body)-1])) == 0
	for _, k := range keys {
		if !empty {
			out.WriteByte(',')
		}
		empty = false
		kb, _ := json.Marshal(k)
		out.Write(kb)
		out.WriteByte(':')
		out.Write(members[k])
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

var coreKeysOnce = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeOf(plainSettings{})
	for _, f := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
})

// coreKeys are the JSON names of the core settings' fields.
func coreKeys() map[string]bool { return coreKeysOnce() }
