package server_test

import (
	"bytes"
	"mime/multipart"
	"testing"
	"time"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/ratelimit/redistest"
	"github.com/smecrm/crm/app/server"
)

// TestTwoReplicas runs two servers on one database and one Redis, as two replicas behind a
// load balancer, with the production defaults for caching, and moves a user between them: a
// session made on one works on the other, the request limit is counted across both, a role
// changed on one is enforced by the other, and a job enqueued on one is run by the other.
func TestTwoReplicas(t *testing.T) {
	redisURL := redistest.URL(t)
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		s := apitest.Setup{Config: func(c *config.Config) { c.RedisURL = redisURL },
			Options: server.Options{TokenRateLimit: 1 << 20, TenantRateLimit: 1 << 20, LoginRateLimit: 1 << 20, RateLimitPrefix: redistest.Prefix()}}
		a, b := env.Replica(t, s), env.Replica(t, s)
		acme := env.Signup(t)
		owner := acme.Owner

		t.Run("a session made on one replica works on the other", func(t *testing.T) {
			u := acme.AddUser(t, "salesperson")
			r := a.Do(t, "POST", "/api/v1/auth/login", map[string]any{"tenant": acme.Slug, "email": u.Email, "password": u.Password}, nil)
			if r.Status != 200 {
				t.Fatalf("login on a: %d %s", r.Status, r.Body)
			}
			var out struct {
				CSRFToken string `json:"csrf_token"`
			}
			r.JSON(t, &out)
			var cookie string
			for _, c := range r.Cookies {
				if cookie != "" {
					cookie += "; "
				}
				cookie += c.Name + "=" + c.Value
			}
			if r := b.Do(t, "GET", "/api/v1/me", nil, map[string]string{"Cookie": cookie}); r.Status != 200 {
				t.Fatalf("the session on b: %d %s", r.Status, r.Body)
			}
			if r := b.Do(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "跨副本客户"},
				map[string]string{"Cookie": cookie, "X-CSRF-Token": out.CSRFToken}); r.Status != 201 {
				t.Fatalf("a write with the session on b: %d %s", r.Status, r.Body)
			}
			// Signing out on b ends the session on a too.
			if r := b.Do(t, "POST", "/api/v1/auth/logout", nil, map[string]string{"Cookie": cookie, "X-CSRF-Token": out.CSRFToken}); r.Status/100 != 2 {
				t.Fatalf("logout on b: %d %s", r.Status, r.Body)
			}
			if r := a.Do(t, "GET", "/api/v1/me", nil, map[string]string{"Cookie": cookie}); r.Status != 401 {
				t.Fatalf("the ended session on a: %d, want 401", r.Status)
			}
		})

		t.Run("the request limit is counted across replicas", func(t *testing.T) {
			ls := apitest.Setup{Config: s.Config, Options: server.Options{TokenRateLimit: 4, TenantRateLimit: 1 << 20, LoginRateLimit: 1 << 20, RateLimitPrefix: redistest.Prefix()}}
			la, lb := env.Replica(t, ls), env.Replica(t, ls)
			u := acme.AddUser(t, "salesperson")
			for i := range 4 {
				if r := []*apitest.Env{la, lb}[i%2].Do(t, "GET", "/api/v1/me", nil, u.Headers("GET")); r.Status != 200 {
					t.Fatalf("request %d: %d", i, r.Status)
				}
			}
			if r := la.Do(t, "GET", "/api/v1/me", nil, u.Headers("GET")); r.Status != 429 {
				t.Fatalf("the fifth request (two on each replica before): %d, want 429", r.Status)
			}
		})

		t.Run("a role changed on one replica is enforced by the other", func(t *testing.T) {
			role := func(on *apitest.Env, perms []map[string]string) {
				t.Helper()
				if r := on.Do(t, "PUT", "/api/v1/roles/replica_probe", map[string]any{"name": "Probe", "data_scope": "all", "permissions": perms}, owner.Headers("PUT")); r.Status != 200 {
					t.Fatalf("PUT role: %d %s", r.Status, r.Body)
				}
			}
			role(a, []map[string]string{})
			u := acme.AddUser(t, "replica_probe")
			eventually := func(want int, what string) {
				t.Helper()
				// Another replica's change applies within the tenant-state cache's lifetime (1 s).
				deadline := time.Now().Add(3 * time.Second)
				for {
					r := b.Do(t, "GET", "/api/v1/customers", nil, u.Headers("GET"))
					if r.Status == want {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("%s: b still answers %d, want %d", what, r.Status, want)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			eventually(403, "no permission yet")
			role(a, []map[string]string{{"object": "customer", "action": "read"}})
			eventually(200, "granted on a")
			role(a, []map[string]string{})
			eventually(403, "revoked on a")
		})

		t.Run("a job enqueued on one replica is run by the other", func(t *testing.T) {
			b.StartJobs(t) // only b works the queue
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			fw, _ := w.CreateFormFile("file", "副本.csv")
			fw.Write([]byte("name\n副本导入有限公司\n"))
			w.Close()
			h := owner.Headers("POST")
			h["Content-Type"] = w.FormDataContentType()
			r := a.Do(t, "POST", "/api/v1/customers/import", buf.Bytes(), h)
			if r.Status != 202 {
				t.Fatalf("import on a: %d %s", r.Status, r.Body)
			}
			var accepted struct {
				JobID string `json:"job_id"`
			}
			r.JSON(t, &accepted)
			deadline := time.Now().Add(30 * time.Second)
			for {
				var j struct{ Status string }
				if r := a.Do(t, "GET", "/api/v1/jobs/"+accepted.JobID, nil, owner.Headers("GET")); r.Status == 200 {
					r.JSON(t, &j)
				}
				if j.Status == "succeeded" {
					break
				}
				if j.Status == "failed" || time.Now().After(deadline) {
					t.Fatalf("the job enqueued on a: %q", j.Status)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if n := env.CountRows(t, "customers", "tenant_id = ? AND name = ?", acme.ID, "副本导入有限公司"); n != 1 {
				t.Fatalf("%d imported customers, want 1", n)
			}
		})
	})
}
