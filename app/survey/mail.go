package survey

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/publiclink"
	"github.com/smecrm/crm/app/store"
)

// Survey mail. A survey made at sign-off is mailed by a River job queued once the sign-off
// commits (the mail never names a survey that was rolled back); when the job cannot be queued
// the mail goes at once. The periodic sweep mails what is still pending a while later — a
// crash between commit and queueing, a failed attempt — up to maxMailAttempts times, after
// which the survey is marked failed and waits, like one without an address, for customer
// service to call. The link is not stored: the mail is written from the link's row (see
// publiclink.Links.Token), so a retry sends the same link.

const (
	maxMailAttempts = 5
	mailSweepEvery  = 10 * time.Minute
	// mailGrace is how long a pending mail is left to its job before the sweep takes it.
	mailGrace = 5 * time.Minute
)

type mailArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	SurveyID uuid.UUID `json:"survey_id"`
}

func (mailArgs) Kind() string { return "survey.mail" }

func (mailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type mailWorker struct {
	river.WorkerDefaults[mailArgs]
	s *Service
}

func (w *mailWorker) Work(ctx context.Context, job *river.Job[mailArgs]) error {
	return w.s.SendMail(jobs.TenantContext(ctx, job.Args.TenantID, uuid.Nil), job.Args.SurveyID)
}

type mailSweepArgs struct{}

func (mailSweepArgs) Kind() string { return "survey.mail_sweep" }

type mailSweepWorker struct {
	river.WorkerDefaults[mailSweepArgs]
	s *Service
}

func (w *mailSweepWorker) Work(ctx context.Context, _ *river.Job[mailSweepArgs]) error {
	return w.s.SweepMail(ctx)
}

// RegisterJobs adds the survey mail job and its sweep.
func (s *Service) RegisterJobs(q *jobs.Queue) {
	jobs.Register(q, &mailWorker{s: s})
	jobs.Register(q, &mailSweepWorker{s: s})
	q.Every("survey.mail_sweep", mailSweepEvery, func() river.JobArgs { return mailSweepArgs{} })
}

// queueMail queues the mail of survey id (tenant tid), or sends it now when no queue takes it.
func (s *Service) queueMail(ctx context.Context, tid, id uuid.UUID) {
	if s.Jobs != nil {
		if _, err := s.Jobs.Insert(ctx, mailArgs{TenantID: tid, SurveyID: id}, nil); err == nil {
			return
		}
	}
	if err := s.SendMail(jobs.TenantContext(ctx, tid, uuid.Nil), id); err != nil {
		s.logWarn("survey mail not sent; the sweep retries", id, err)
	}
}

// SendMail mails pending survey id of the context tenant to its contact, in the tenant's
// language: who did the work, the work order, the link and until when it works. A survey
// that is answered, already mailed or not pending mail is left alone; one whose contact lost
// their address becomes no_address. A failed send counts an attempt and is returned.
func (s *Service) SendMail(ctx context.Context, id uuid.UUID) error {
	var sv Survey
	var m notify.Mail
	// next is the mail status to record instead of sending ("": send m).
	next := ""
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&sv, "id = ?", id).Error; err != nil {
			return err
		}
		if sv.MailStatus != MailPending || sv.Status != StatusPending || sv.LinkID == nil {
			next = "-"
			return nil
		}
		contact, ok, err := customer.MailContactOf(tx, sv.CustomerID, sv.ContactID)
		if err != nil {
			return err
		}
		if !ok {
			next = MailNoAddress
			return nil
		}
		l, err := publiclink.Find(tx, *sv.LinkID)
		if err != nil {
			return err
		}
		if l.UsedAt != nil || l.RevokedAt != nil || !s.now().Before(l.ExpiresAt) {
			next = MailFailed // the link cannot be used any more: too late to send it
			return nil
		}
		snd, err := publiclink.SenderOf(ctx, tx)
		if err != nil {
			return err
		}
		tech := ""
		if sv.TechnicianID != nil {
			names, err := org.UserNames(tx, []uuid.UUID{*sv.TechnicianID})
			if err != nil {
				return err
			}
			tech = names[*sv.TechnicianID]
		}
		m = notify.Mail{To: contact.Email,
			Subject: problem.Message(snd.Locale, "survey.mail.subject", snd.Company, sv.WorkOrderNumber),
			Text: problem.Message(snd.Locale, "survey.mail.body", contact.Name, snd.Company, sv.WorkOrderNumber, tech,
				s.Links.URL(Purpose, l), snd.Expiry(l)) + "\n"}
		return nil
	})
	if problem.Is(err, problem.NotFound) {
		return nil // gone with its customer or work order
	}
	if err != nil {
		return err
	}
	switch next {
	case "":
	case "-":
		return nil
	default:
		return s.setMail(ctx, sv.ID, next, false)
	}
	if s.Mail == nil {
		return errors.New("survey: no mailer")
	}
	if err := s.Mail.Send(ctx, m); err != nil {
		if serr := s.setMail(ctx, sv.ID, "", true); serr != nil {
			return errors.Join(err, serr)
		}
		return err
	}
	return s.setMail(ctx, sv.ID, MailSent, false)
}

// setMail records the outcome of a mail: a status, or (failed) one more attempt — failed for
// good after maxMailAttempts.
func (s *Service) setMail(ctx context.Context, id uuid.UUID, status string, failed bool) error {
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var sv Survey
		if err := tx.Take(&sv, "id = ?", id).Error; err != nil {
			return err
		}
		if sv.MailStatus != MailPending {
			return nil
		}
		upd := map[string]any{"updated_at": s.now()}
		switch {
		case failed:
			upd["mail_attempts"] = sv.MailAttempts + 1
			if sv.MailAttempts+1 >= maxMailAttempts {
				upd["mail_status"] = MailFailed
			}
		case status == MailSent:
			upd["mail_status"], upd["mailed_at"] = MailSent, s.now()
		default:
			upd["mail_status"] = status
		}
		return tx.Model(&Survey{}).Where("id = ? AND mail_status = ?", id, MailPending).Updates(upd).Error
	})
}

// SweepMail mails, for every tenant that is not cancelled, the surveys whose mail has been
// pending longer than its job should take. One tenant's failures do not stop the others.
func (s *Service) SweepMail(ctx context.Context) error {
	ids, err := store.LiveTenantIDs(ctx, s.DB)
	if err != nil {
		return err
	}
	var errs []error
	for _, tid := range ids {
		tctx := jobs.TenantContext(ctx, tid, uuid.Nil)
		var pending []uuid.UUID
		if err := s.DB.Read(tctx, func(tx *gorm.DB) error {
			return tx.Model(&Survey{}).Where("mail_status = ? AND status = ? AND created_at < ?", MailPending, StatusPending, s.now().Add(-mailGrace)).
				Order("id").Limit(200).Pluck("id", &pending).Error
		}); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", tid, err))
			continue
		}
		for _, id := range pending {
			if err := s.SendMail(tctx, id); err != nil {
				errs = append(errs, fmt.Errorf("tenant %s survey %s: %w", tid, id, err))
			}
		}
	}
	return errors.Join(errs...)
}
