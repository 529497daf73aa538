package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// Run statuses: a run is queued until a worker takes it, running while it works, and ends
// succeeded or failed. Progress and total count the run's units of work (an import's rows).
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Run is the durable record of background work a user started — an import, say — with its
// progress and final report; GET /jobs/{id} shows it. It is tenant data like any other. The
// River job that does the work carries only the run's ID: the run row (and any input kept
// beside it) is the source of truth, so the work survives restarts and can be enqueued again.
type Run struct {
	TenantID uuid.UUID `gorm:"primaryKey"`
	ID       uuid.UUID `gorm:"primaryKey"`
	Kind     string
	Status   string
	Progress int64
	Total    int64
	// Params are the worker's inputs (options chosen at start, the requester's locale …).
	Params datatypes.JSON
	// Report is the kind's own JSON summary, written as the work goes and when it ends.
	Report     datatypes.JSON
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

// TableName is the runs table.
func (Run) TableName() string { return "job_runs" }

// Finished reports whether the run has ended.
func (r *Run) Finished() bool { return r.Status == StatusSucceeded || r.Status == StatusFailed }

// RunView is a run as the API shows it (API.md: status, progress, total, report).
type RunView struct {
	ID       uuid.UUID `json:"id"`
	Kind     string    `json:"kind"`
	Status   string    `json:"status" enum:"queued,running,succeeded,failed"`
	Progress int64     `json:"progress"`
	Total    int64     `json:"total"`
	// Report is null until the work has something to say; its shape depends on the kind.
	Report     json.RawMessage `json:"report" nullable:"true"`
	CreatedBy  *uuid.UUID      `json:"created_by"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	FinishedAt *time.Time      `json:"finished_at"`
}

// View renders the run for the API.
func (r *Run) View() RunView {
	v := RunView{ID: r.ID, Kind: r.Kind, Status: r.Status, Progress: r.Progress, Total: r.Total,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt}
	if len(r.Report) > 0 {
		v.Report = json.RawMessage(r.Report)
	}
	return v
}

// NewRun creates a queued run of kind in tx, started by the context's actor, with params kept
// (as JSON) for the worker.
func NewRun(ctx context.Context, tx *gorm.DB, kind string, params any, now time.Time) (*Run, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	r := &Run{ID: uuid.Must(uuid.NewV7()), Kind: kind, Status: StatusQueued, Params: datatypes.JSON(raw),
		CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	if a := tenantctx.ActorFrom(ctx); a.UserID != uuid.Nil && !a.Platform {
		id := a.UserID
		r.CreatedBy = &id
	}
	return r, tx.Create(r).Error
}

// FindRun reads a run of the context's tenant; not_found when there is none (another
// tenant's included, since the store scopes the query).
func FindRun(tx *gorm.DB, id uuid.UUID) (*Run, error) {
	var r Run
	err := tx.Take(&r, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFoundf("entity.job")
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// StartRun marks a queued run running. A run already running (a retry after a crash) stays
// so and resumes from its progress.
func StartRun(tx *gorm.DB, id uuid.UUID, now time.Time) error {
	return tx.Model(&Run{}).Where("id = ? AND status = ?", id, StatusQueued).
		Updates(map[string]any{"status": StatusRunning, "updated_at": now.UTC()}).Error
}

// SaveProgress records how far a run got, and its report so far. Writing it in the same
// transaction as the work it counts keeps the two in step across crashes and retries.
func SaveProgress(tx *gorm.DB, id uuid.UUID, progress, total int64, report any, now time.Time) error {
	raw, err := json.Marshal(report)
	if err != nil {
		return err
	}
	return tx.Model(&Run{}).Where("id = ?", id).Updates(map[string]any{
		"progress": progress, "total": total, "report": datatypes.JSON(raw), "updated_at": now.UTC()}).Error
}

// FinishRun ends a run with status (succeeded or failed) and its final report.
func FinishRun(tx *gorm.DB, id uuid.UUID, status string, report any, now time.Time) error {
	raw, err := json.Marshal(report)
	if err != nil {
		return err
	}
	return tx.Model(&Run{}).Where("id = ?", id).Updates(map[string]any{
		"status": status, "report": datatypes.JSON(raw), "updated_at": now.UTC(), "finished_at": now.UTC()}).Error
}

// QueuedRuns lists the tenant's runs of kind still queued that were created before the given
// time (their ID and creator): work whose River job may never have been inserted — the
// process stopped between the commit and the insert, or the queue was down — and is to be
// enqueued again.
func QueuedRuns(tx *gorm.DB, kind string, before time.Time) ([]Run, error) {
	var runs []Run
	err := tx.Select("id", "created_by").Where("kind = ? AND status = ? AND created_at < ?", kind, StatusQueued, before.UTC()).
		Order("id").Find(&runs).Error
	return runs, err
}
