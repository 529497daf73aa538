// Command prober is a test plugin that tries what an untrusted plugin must not be able to do
// and reports what it got: read files the server holds (the paths come in its config), read
// the server's environment and /proc, look at its working directory, its user and its file
// descriptors. Its other routes answer what the host must refuse or guard: an oversized
// body, redirects, and HTML.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/smecrm/crm/plugins/sdk"
)

type prober struct{}

func (prober) Manifest() sdk.Manifest {
	return sdk.Manifest{ID: "test-prober", Name: "Sandbox prober (test)", Version: "0.0.1",
		Capabilities: []string{sdk.CapModule},
		Permissions:  []sdk.Permission{{Object: "probe", Actions: []string{"read"}}},
		Routes: []sdk.Route{
			{Name: "probe", Method: "GET", Pattern: "/probe", Object: "probe", Action: "read"},
			{Name: "big", Method: "GET", Pattern: "/big", Object: "probe", Action: "read"},
			{Name: "redirect", Method: "GET", Pattern: "/redirect", Object: "probe", Action: "read"},
			{Name: "page", Method: "GET", Pattern: "/page", Object: "probe", Action: "read"},
		}}
}

// config is what the test tells the prober to try.
type config struct {
	Read     map[string]string `json:"read"`      // name -> path to read
	Env      []string          `json:"env"`       // server variables to look for
	BigBytes int               `json:"big_bytes"` // size of /big's body
	Location string            `json:"location"`  // /redirect's Location
}

// attempt is the outcome of reading one file.
type attempt struct {
	Error string `json:"error"`
	Bytes int    `json:"bytes"`
}

func (prober) HandleHTTP(_ context.Context, call *sdk.Call, req sdk.HTTPRequest) (sdk.HTTPResponse, error) {
	var cfg config
	if err := json.Unmarshal(call.Config, &cfg); err != nil {
		return sdk.HTTPResponse{}, err
	}
	switch req.Route {
	case "probe":
		out := map[string]any{}
		reads := map[string]attempt{}
		for name, p := range cfg.Read {
			b, err := os.ReadFile(p)
			a := attempt{Bytes: len(b)}
			if err != nil {
				a.Error = err.Error()
			}
			reads[name] = a
		}
		out["reads"] = reads
		found := map[string]string{}
		for _, k := range cfg.Env {
			if v, ok := os.LookupEnv(k); ok {
				found[k] = v
			}
		}
		out["env_found"] = found
		out["environ"] = os.Environ()
		// The server's environment through /proc: its parent chain (the launcher exec'd
		// into this process, so the parent is the server).
		ppid := os.Getppid()
		_, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", ppid))
		out["parent_environ_error"] = errString(err)
		cwd, err := os.Getwd()
		out["cwd"], out["cwd_error"] = cwd, errString(err)
		var entries []string
		if des, err := os.ReadDir("."); err == nil {
			for _, e := range des {
				entries = append(entries, e.Name())
			}
		} else {
			out["cwd_list_error"] = err.Error()
		}
		out["cwd_entries"] = entries
		out["tmpdir"] = os.TempDir()
		// A file in its own working directory can be written and read back.
		werr := os.WriteFile("scratch.txt", []byte("ok"), 0o600)
		if werr == nil {
			_, werr = os.ReadFile("scratch.txt")
			os.Remove("scratch.txt")
		}
		out["own_dir_error"] = errString(werr)
		out["uid"], out["gid"] = os.Getuid(), os.Getgid()
		fds := map[string]string{}
		if des, err := os.ReadDir("/proc/self/fd"); err == nil {
			for _, e := range des {
				t, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
				fds[e.Name()] = t
			}
		} else {
			out["fd_list_error"] = err.Error()
		}
		out["fds"] = fds
		return sdk.JSON(200, out)
	case "big":
		return sdk.HTTPResponse{Status: 200, Headers: map[string]string{"Content-Type": "text/plain"}, Body: []byte(strings.Repeat("x", cfg.BigBytes))}, nil
	case "redirect":
		return sdk.HTTPResponse{Status: 302, Headers: map[string]string{"Location": cfg.Location}}, nil
	case "page":
		return sdk.HTTPResponse{Status: 200, Headers: map[string]string{"Content-Type": "text/html; charset=utf-8"},
			Body: []byte(`<!doctype html><title>module</title><script>fetch('/api/v1/customers')</script><p>hello</p>`)}, nil
	}
	return sdk.Problem(404, "not_found", "no route", nil)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func main() { sdk.Serve(prober{}) }
