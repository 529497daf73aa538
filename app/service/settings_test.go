package service_test

// The service settings are the module's own section of /settings: defaults until saved, the
// number pattern checked, and the pattern and warranty default used from then on.

import (
	"strings"
	"testing"
	"time"

	"github.com/smecrm/crm/app/apitest"
)

func TestServiceSettings(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		owner := tm.co.Owner
		var st struct {
			Service struct {
				NumberPattern         string `json:"number_pattern"`
				DefaultWarrantyMonths int    `json:"default_warranty_months"`
				SurveyEnabled         bool   `json:"survey_enabled"`
				LinkValidHours        int    `json:"link_valid_hours"`
			} `json:"service"`
			Version int64 `json:"version"`
		}
		owner.MustDo(t, "GET", "/api/v1/settings", nil, 200, &st)
		if s := st.Service; s.NumberPattern != "FW{YYYY}{MM}{DD}-{SEQ:3}" || s.DefaultWarrantyMonths != 12 || !s.SurveyEnabled || s.LinkValidHours != 72 {
			t.Fatalf("defaults: %+v", s)
		}
		for _, bad := range []string{"WO-{YYYY}", "{SEQ}{SEQ}", "WO {SEQ}", "WO-{SEQ:0}", "WO-{SEQ:10}", "WO-{HH}{SEQ}", strings.Repeat("X", 60) + "{SEQ}"} {
			r := owner.Do(t, "PATCH", "/api/v1/settings", map[string]any{"version": st.Version, "service": map[string]any{"number_pattern": bad}})
			if r.Status != 422 {
				t.Errorf("pattern %q: %d %s", bad, r.Status, r.Body)
				continue
			}
			r.Problem(t).WantField(t, "service.number_pattern", "invalid_format")
		}
		r := owner.Do(t, "PATCH", "/api/v1/settings", map[string]any{"version": st.Version, "service": map[string]any{"link_valid_hours": 0}})
		if r.Status != 422 {
			t.Fatalf("link_valid_hours 0: %d %s", r.Status, r.Body)
		}
		r.Problem(t).WantField(t, "service.link_valid_hours", "out_of_range")
		if r := tm.mgr.Do(t, "PATCH", "/api/v1/settings", map[string]any{"version": st.Version, "service": map[string]any{"link_valid_hours": 1}}); r.Status != 403 {
			t.Errorf("service manager changes settings: %d", r.Status)
		}
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"version": st.Version,
			"service": map[string]any{"number_pattern": "SV{YY}{MM}/{SEQ:4}", "default_warranty_months": 36}}, 200, &st)
		if st.Service.NumberPattern != "SV{YY}{MM}/{SEQ:4}" || st.Service.LinkValidHours != 72 {
			t.Fatalf("after the patch: %+v", st.Service)
		}
		w := tm.register(t, map[string]any{"purchase_date": day(time.Now(), -30, 0)})
		want := "SV" + time.Now().In(mustLoc(t, "Asia/Shanghai")).Format("0601") + "/0001"
		if w.Number != want {
			t.Errorf("number %s, want %s", w.Number, want)
		}
		if w.TypeProposed != "free" {
			t.Errorf("36 months' default warranty, bought 30 months ago: proposed %s", w.TypeProposed)
		}
		if n := tm.register(t, nil).Number; n != want[:len(want)-1]+"2" {
			t.Errorf("next number %s", n)
		}
	})
}
