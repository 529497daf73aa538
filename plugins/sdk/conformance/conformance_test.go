package conformance_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/smecrm/crm/plugins/sdk"
	"github.com/smecrm/crm/plugins/sdk/conformance"
)

// build compiles a plugin package into the test's temporary folder.
func build(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build %s: %v", pkg, err)
	}
	return out
}

// The example plugins pass the conformance checks an integrator runs on their own plugin.
func TestExamplesConform(t *testing.T) {
	t.Run("classifier", func(t *testing.T) {
		conformance.Run(t, build(t, "../../examples/classifier"), conformance.Options{Config: map[string]any{"key": map[string]any{"min_annual_purchase": 100}}})
	})
	t.Run("commercial vehicle", func(t *testing.T) {
		r := conformance.Run(t, build(t, "../../examples/commercialvehicle"), conformance.Options{})
		if r.Manifest.ID != "commercial-vehicle" || len(r.Manifest.Routes) < 10 {
			t.Errorf("manifest: %+v", r.Manifest)
		}
	})
}

// CheckManifest finds what the host would refuse.
func TestCheckManifest(t *testing.T) {
	bad := sdk.Manifest{ID: "Bad ID", ProtocolVersion: 9, Capabilities: []string{"module", "teleport"},
		Permissions: []sdk.Permission{{Object: "thing", Actions: []string{"read"}, Grants: map[string][]string{"sales": {"delete"}}}},
		Routes:      []sdk.Route{{Name: "x", Method: "FETCH", Pattern: "no-slash", Object: "other", Action: "read"}}}
	errs := conformance.CheckManifest(bad)
	if len(errs) < 7 {
		t.Errorf("found %d problems: %v", len(errs), errs)
	}
	good := sdk.Manifest{ID: "good-one", Name: "Good", Version: "1", ProtocolVersion: sdk.ProtocolVersion, Capabilities: []string{"module"},
		Permissions: []sdk.Permission{{Object: "thing", Actions: []string{"read"}}},
		Routes:      []sdk.Route{{Name: "x", Method: "GET", Pattern: "/things/{id}", Object: "thing", Action: "read"}}}
	if errs := conformance.CheckManifest(good); len(errs) != 0 {
		t.Errorf("good manifest: %v", errs)
	}
}
