package jobs_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// mustCreateRun creates a queued run in c's tenant, started by user.
func mustCreateRun(t *testing.T, env *apitest.Env, c *apitest.Company, user uuid.UUID, kind string) *jobs.Run {
	t.Helper()
	ctx := tenantctx.WithActor(tenantctx.WithTenant(context.Background(), c.ID), tenantctx.Actor{UserID: user, Via: "test"})
	var run *jobs.Run
	err := env.DB.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		run, err = jobs.NewRun(ctx, tx, kind, map[string]any{"file": "a.csv"}, time.Now())
		return err
	})
	if err != nil {
		t.Fatalf("create run: %v", err)
	}
	return run
}

func TestRunLifecycle(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		run := mustCreateRun(t, env, acme, acme.Owner.UserID, "test.kind")
		ctx := tenantctx.WithTenant(context.Background(), acme.ID)
		otherCtx := tenantctx.WithTenant(context.Background(), other.ID)
		now := time.Now()

		step := func(fn func(tx *gorm.DB) error) {
			t.Helper()
			if err := env.DB.Tx(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		get := func() *jobs.Run {
			t.Helper()
			var r *jobs.Run
			step(func(tx *gorm.DB) error {
				var err error
				r, err = jobs.FindRun(tx, run.ID)
				return err
			})
			return r
		}
		if r := get(); r.Status != jobs.StatusQueued || r.Finished() || r.CreatedBy == nil || *r.CreatedBy != acme.Owner.UserID {
			t.Fatalf("new run: %+v", r)
		}
		var queued []jobs.Run
		step(func(tx *gorm.DB) error {
			var err error
			queued, err = jobs.QueuedRuns(tx, "test.kind", now.Add(time.Minute))
			return err
		})
		if len(queued) != 1 || queued[0].ID != run.ID || *queued[0].CreatedBy != acme.Owner.UserID {
			t.Errorf("queued runs: %+v", queued)
		}
		step(func(tx *gorm.DB) error { return jobs.StartRun(tx, run.ID, now) })
		step(func(tx *gorm.DB) error {
			return jobs.SaveProgress(tx, run.ID, 5, 10, map[string]int{"created": 5}, now)
		})
		if r := get(); r.Status != jobs.StatusRunning || r.Progress != 5 || r.Total != 10 {
			t.Errorf("running: %+v", r)
		}
		// Starting again (a retry) keeps the progress.
		step(func(tx *gorm.DB) error { return jobs.StartRun(tx, run.ID, now) })
		step(func(tx *gorm.DB) error {
			return jobs.FinishRun(tx, run.ID, jobs.StatusSucceeded, map[string]int{"created": 10}, now)
		})
		r := get()
		v := r.View()
		raw, _ := json.Marshal(v)
		if r.Status != jobs.StatusSucceeded || !r.Finished() || r.FinishedAt == nil || !strings.Contains(string(raw), `"report":{"created":10}`) {
			t.Errorf("finished: %+v %s", r, raw)
		}

		// Another tenant's context finds nothing and changes nothing.
		err := env.DB.Read(otherCtx, func(tx *gorm.DB) error {
			_, err := jobs.FindRun(tx, run.ID)
			return err
		})
		if !problem.Is(err, problem.NotFound) {
			t.Errorf("other tenant: %v", err)
		}
		if err := env.DB.Tx(otherCtx, func(tx *gorm.DB) error {
			return jobs.FinishRun(tx, run.ID, jobs.StatusFailed, nil, now)
		}); err != nil {
			t.Fatal(err)
		}
		if r := get(); r.Status != jobs.StatusSucceeded {
			t.Errorf("another tenant changed the run: %+v", r)
		}
		// Without a tenant the store refuses the statement.
		if err := env.DB.Read(context.Background(), func(tx *gorm.DB) error {
			_, err := jobs.FindRun(tx, run.ID)
			return err
		}); err == nil {
			t.Error("unscoped read succeeded")
		}
	})
}

func TestJobsAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		tech := acme.AddUser(t, "service_technician")
		run := mustCreateRun(t, env, acme, tech.UserID, "test.kind")
		ownersRun := mustCreateRun(t, env, acme, acme.Owner.UserID, "test.kind")
		url := "/api/v1/jobs/" + run.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: url, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "GET", URL: url, As: other.Owner, Status: 404, Code: "not_found"},
			{Name: "another user's job, even the owner's view of it", Method: "GET", URL: url, As: acme.Owner, Status: 404, Code: "not_found"},
			{Name: "not found", Method: "GET", URL: "/api/v1/jobs/" + uuid.Must(uuid.NewV7()).String(), As: tech, Status: 404, Code: "not_found"},
			{Name: "malformed id", Method: "GET", URL: "/api/v1/jobs/123", As: tech, Status: 404, Code: "not_found"},
			{Name: "success", Method: "GET", URL: url, As: tech, Status: 200,
				Contains: []string{`"status":"queued"`, `"progress":0`, `"total":0`, `"report":null`, `"kind":"test.kind"`, run.ID.String()}},
			{Name: "owner's own", Method: "GET", URL: "/api/v1/jobs/" + ownersRun.ID.String(), As: acme.Owner, Status: 200},
		})
	})
}
