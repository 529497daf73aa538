package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
)

// openapiCmd is `crm openapi`: the OpenAPI document that GET /api/v1/openapi.json serves, on
// stdout. `make types` turns it into the web app's TypeScript types.
func openapiCmd() *cobra.Command {
	return &cobra.Command{Use: "openapi", Short: "Print the OpenAPI document the server serves at /api/v1/openapi.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			doc, err := servedOpenAPI(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", doc)
			return err
		}}
}

// servedOpenAPI builds the server as `crm serve` does, on a throw-away SQLite database in a
// temporary folder (server.New needs a database; the document does not depend on its content
// nor on the environment), and asks it for /api/v1/openapi.json without listening anywhere.
func servedOpenAPI(ctx context.Context) (doc []byte, err error) {
	dir, err := os.MkdirTemp("", "crm-openapi-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	url := "sqlite://" + filepath.Join(dir, "crm.db")
	if err := store.Migrate(ctx, url, url, nil, jobs.Migrate); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	cfg := config.Config{
		BaseURL:   "http://localhost:8080",
		SecretKey: "crm openapi: a throw-away key for a server that is never started",
		PluginDir: filepath.Join(dir, "plugins"),
	}
	srv, err := server.New(cfg, db, slog.New(slog.DiscardHandler), server.Options{})
	if err != nil {
		return nil, err
	}
	res, err := srv.App.Test(httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil), -1)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, errors.New("GET /api/v1/openapi.json: " + res.Status + ": " + string(body))
	}
	return body, nil
}
