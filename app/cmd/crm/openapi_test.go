package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

// `crm openapi` prints the document a running server serves, byte for byte, and needs neither
// the environment's database nor a listening server.
func TestOpenAPIIsTheServedDocument(t *testing.T) {
	e := newCLIEnv(t)
	t.Setenv("CRM_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none") // not used
	out := mustCRM(t, "openapi")
	status, served, _ := e.do(t, "GET", "/api/v1/openapi.json", nil, nil)
	if status != 200 {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", status, served)
	}
	if got := bytes.TrimSuffix([]byte(out), []byte("\n")); !bytes.Equal(got, served) {
		t.Fatalf("crm openapi printed %d bytes, the server serves %d bytes that differ", len(got), len(served))
	}
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Paths["/api/v1/customers"] == nil {
		t.Fatalf("unexpected document: openapi %q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
}
