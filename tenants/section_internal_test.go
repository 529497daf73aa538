package tenants

import (
	"encoding/json"
	"testing"
)

type sampleSection struct {
	Days int `json:"days" validate:"gte=0"`
}

func TestAddSectionRefusesTakenKeys(t *testing.T) {
	for _, key := range []string{"", "currency", "pool", "version", "sample"} {
		t.Run(key, func(t *testing.T) {
			s := &Service{}
			if key == "sample" {
				s.AddSection(Section[sampleSection]{Key: key, Defaults: func() sampleSection { return sampleSection{} }})
			}
			defer func() {
				if recover() == nil {
					t.Errorf("AddSection(%q) did not panic", key)
				}
			}()
			s.AddSection(Section[sampleSection]{Key: key, Defaults: func() sampleSection { return sampleSection{} }})
		})
	}
}

// Stored settings keep their sections through a decode and an encode, beside the core members.
func TestSettingsJSONKeepsSections(t *testing.T) {
	st := DefaultSettings("en")
	st.Sections = map[string]json.RawMessage{"sample": json.RawMessage(`{"days":3}`)}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var back Settings
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Currency != st.Currency || string(back.Sections["sample"]) != `{"days":3}` || len(back.Sections) != 1 {
		t.Fatalf("round trip: %s → %+v", b, back)
	}
	sec := Section[sampleSection]{Key: "sample", Defaults: func() sampleSection { return sampleSection{Days: 7} }}
	if got := sec.From(back); got.Days != 3 {
		t.Errorf("From: %+v", got)
	}
	if got := sec.From(DefaultSettings("en")); got.Days != 7 {
		t.Errorf("From without the section: %+v, want the defaults", got)
	}
	v, err := json.Marshal(SettingsView{Settings: back, Version: 4})
	if err != nil {
		t.Fatal(err)
	}
	var view SettingsView
	if err := json.Unmarshal(v, &view); err != nil || view.Version != 4 || len(view.Sections) != 1 {
		t.Fatalf("view round trip: %s → %+v (%v)", v, view, err)
	}
}
