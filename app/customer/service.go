package customer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/fieldcrypt"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// Service runs the customer archive.
type Service struct {
	DB    *store.DB
	Authz *policies.Authorizer
	Keys  *fieldcrypt.Keys
	// ExportRowCap bounds one export (0: MaxExportRows).
	ExportRowCap int
	Jobs         *jobs.Queue
	Now          func() time.Time

	// Classifiers resolves the tenant's classifier plugin (PLG-2); nil, or a nil answer, means
	// the built-in rules, which also stand in when the plugin fails (classify.go).
	Classifiers func(ctx context.Context) Classifier
	// Summaries supplies customers' transaction summaries (the sales module plugs in here);
	// nil means no transactions yet: summaries are zero and the ABC refresh does not run.
	Summaries TxSummaries
	// PoolExemptions keep idle customers out of the public pool, e.g. those with open
	// opportunities (pool.go).
	PoolExemptions []PoolExemption
	// MergeHooks move the later modules' records (follow-ups, opportunities, orders, …) from a
	// merged customer, in order, in the merge's transaction, after its contacts moved.
	MergeHooks []MergeHook
	// TimelineSources feed the customer's timeline beside its audit history.
	TimelineSources []TimelineSource
}

// RegisterJobs adds every background job of the customer archive to the queue.
func (s *Service) RegisterJobs(q *jobs.Queue) {
	s.abcJobs(q)        // abc.go: nightly ABC value classes
	s.classifyJobs(q)   // classify.go: nightly re-classification
	s.poolJobs(q)       // pool_job.go: hourly pool recycling and warnings
	s.recycleBinJobs(q) // recyclebin.go: purge after 30 days
	s.importJobs(q)     // transfer.go: imports and their sweep
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Input is the body of POST /customers.
type Input struct {
	Type                string         `json:"type" validate:"required,oneof=enterprise individual"`
	Name                string         `json:"name" validate:"required,max=200"`
	ShortName           string         `json:"short_name" validate:"max=100"`
	CreditCode          string         `json:"credit_code" validate:"omitempty,len=18,alphanum"`
	Industry            string         `json:"industry" validate:"max=100"`
	Scale               Scale          `json:"scale"`
	Address             Address        `json:"address"`
	Region              string         `json:"region" validate:"max=100"`
	BusinessScope       string         `json:"business_scope" validate:"max=2000"`
	LegalRepresentative string         `json:"legal_representative" validate:"max=100"`
	Source              string         `json:"source" validate:"omitempty,oneof=market_research industry_event partner_referral online cold_call walk_in other"`
	Stage               string         `json:"stage" validate:"omitempty,oneof=potential prospect deal"`
	Tier                string         `json:"tier" validate:"omitempty,oneof=key general potential"`
	IntentClass         *string        `json:"intent_class" validate:"omitempty,oneof=A B C"`
	OwnerID             *uuid.UUID     `json:"owner_id"`
	DepartmentID        *uuid.UUID     `json:"department_id"`
	Tags                []string       `json:"tags" validate:"max=50,dive,min=1,max=50"`
	Phone               string         `json:"phone" validate:"max=40"`
	IDNumber            string         `json:"id_number" validate:"max=40"`
	Email               string         `json:"email" validate:"omitempty,email,max=254"`
	Birthday            *string        `json:"birthday" validate:"omitempty,datetime=2006-01-02"`
	CustomFields        map[string]any `json:"custom_fields"`
	Profile             Profile        `json:"profile"`
	// AllowDuplicate confirms a create after a duplicate warning (tenant policy "warn").
	AllowDuplicate bool `json:"allow_duplicate"`
}

// Create adds a customer owned by the acting user unless another owner is given. Possible
// duplicates (same name, credit code or phone in the tenant) stop it with conflict and the
// candidates in the problem's data, unless confirmed under the "warn" policy.
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	// Naming another owner is an assignment, which needs customer:assign as a PATCH of the
	// owner does; without it a salesperson could hand customers to colleagues at creation.
	// So is filing it under a department other than the actor's own.
	if actor := tenantctx.ActorFrom(ctx); actor.UserID != uuid.Nil && s.Authz != nil &&
		((in.OwnerID != nil && *in.OwnerID != actor.UserID) || (in.DepartmentID != nil && *in.DepartmentID != actor.DepartmentID)) {
		if err := s.Authz.Require(ctx, "customer", "assign"); err != nil {
			return View{}, err
		}
	}
	c, err := s.newCustomer(ctx, in)
	if err != nil {
		return View{}, err
	}
	var out View
	built := *c // each attempt starts from the record as built
	err = s.classifyingTx(ctx, func(ctx context.Context, tx *gorm.DB) error {
		var err error
		c := built
		out, err = s.createTx(ctx, tx, in, &c)
		return err
	})
	return out, err
}

// newCustomer builds the record for a validated Input — defaults, normalised values, sealed
// sensitive fields, the acting user as owner unless another is given — without touching the
// database. Create and import share it.
func (s *Service) newCustomer(ctx context.Context, in Input) (*Customer, error) {
	actor := tenantctx.ActorFrom(ctx)
	tid, _ := tenantctx.TenantID(ctx)
	now := s.now()
	c := &Customer{ID: uuid.Must(uuid.NewV7()), TenantID: tid, Type: in.Type, Name: strings.TrimSpace(in.Name),
		ShortName: in.ShortName, CreditCode: strings.ToUpper(in.CreditCode), Industry: in.Industry,
		Employees: in.Scale.Employees, AnnualRevenue: nullDecimal(in.Scale.AnnualRevenue),
		Province: in.Address.Province, City: in.Address.City, District: in.Address.District, Region: in.Region,
		BusinessScope: in.BusinessScope, LegalRepresentative: in.LegalRepresentative, Source: in.Source,
		Stage: or(in.Stage, StagePotential), Tier: or(in.Tier, TierPotential), IntentClass: in.IntentClass,
		Tags: datatypes.NewJSONType(normTags(in.Tags)), Email: strings.TrimSpace(in.Email),
		CustomFields: datatypes.NewJSONType(orMap(in.CustomFields)), Profile: datatypes.NewJSONType(in.Profile),
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if f := nulField(in); f != "" {
		return nil, problem.Field(f, "invalid", "field.invalid")
	}
	if c.Name == "" {
		return nil, problem.Field("name", "required", "field.required")
	}
	if err := checkRevenue(in.Scale.AnnualRevenue); err != nil {
		return nil, err
	}
	bd, err := parseDate(in.Birthday)
	if err != nil {
		return nil, problem.Field("birthday", "invalid_format", "field.invalid_format")
	}
	c.Birthday = bd
	if err := s.seal(c, in.Address.Street, in.Phone, in.IDNumber); err != nil {
		return nil, err
	}
	c.OwnerID = in.OwnerID
	if c.OwnerID == nil && actor.UserID != uuid.Nil {
		id := actor.UserID
		c.OwnerID = &id
	}
	return c, nil
}

// createTx checks c's owner, department and possible duplicates, inserts it, and writes its
// audit entry and created event, all in tx.
func (s *Service) createTx(ctx context.Context, tx *gorm.DB, in Input, c *Customer) (View, error) {
	if err := s.setOwnerAndDepartment(tx, c, in.DepartmentID); err != nil {
		return View{}, err
	}
	if err := s.validateCustomFields(ctx, tx, in.CustomFields, true); err != nil {
		return View{}, err
	}
	if err := s.checkDuplicates(ctx, tx, c, in.AllowDuplicate); err != nil {
		return View{}, err
	}
	if err := s.classifyNew(ctx, tx, c, in); err != nil {
		return View{}, err
	}
	if err := tx.Create(c).Error; err != nil {
		return View{}, err
	}
	out, err := view(s.Keys, c)
	if err != nil {
		return View{}, err
	}
	if err := audit.Record(ctx, tx, "create", "customer", c.ID.String(), nil, redacted(out)); err != nil {
		return View{}, err
	}
	return out, outbox.Publish(ctx, tx, "customer.created", "customer", c.ID, eventPayload(out))
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func orMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func normTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// seal encrypts the sensitive fields into c.
func (s *Service) seal(c *Customer, street, phone, idNumber string) error {
	var err error
	if c.StreetEnc, err = s.Keys.Seal(strings.TrimSpace(street), aad(c.TenantID, c.ID, "street")); err != nil {
		return err
	}
	if c.PhoneEnc, err = s.Keys.Seal(strings.TrimSpace(phone), aad(c.TenantID, c.ID, "phone")); err != nil {
		return err
	}
	c.PhoneHash = s.Keys.PhoneHash(c.TenantID.String(), phone)
	c.IDNumberEnc, err = s.Keys.Seal(strings.TrimSpace(idNumber), aad(c.TenantID, c.ID, "id_number"))
	return err
}

// setOwnerAndDepartment checks the owner exists (and is active) and defaults the department to
// the owner's.
func (s *Service) setOwnerAndDepartment(tx *gorm.DB, c *Customer, dept *uuid.UUID) error {
	d, err := org.AssignOwner(tx, c.OwnerID, dept)
	if err != nil {
		return err
	}
	c.DepartmentID = d
	return nil
}

// Duplicate is a possible duplicate of a customer being created or imported.
type Duplicate struct {
	ID      uuid.UUID `json:"id"`
	Name    string    `json:"name"`
	Matched []string  `json:"matched"`
}

// findDuplicates lists live customers sharing the name, credit code or phone of c.
func findDuplicates(tx *gorm.DB, name, creditCode, phoneHash string, except uuid.UUID) ([]Duplicate, error) {
	var rows []Customer
	q := tx.Select("id", "name", "credit_code", "phone_hash").Where("deleted_at IS NULL")
	cond := tx.Where("name = ?", name)
	if creditCode != "" {
		cond = cond.Or("credit_code = ?", creditCode)
	}
	if phoneHash != "" {
		cond = cond.Or("phone_hash = ?", phoneHash)
	}
	if err := q.Where(cond).Limit(20).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := []Duplicate{}
	for _, r := range rows {
		if r.ID == except {
			continue
		}
		d := Duplicate{ID: r.ID, Name: r.Name}
		if r.Name == name {
			d.Matched = append(d.Matched, "name")
		}
		if creditCode != "" && r.CreditCode == creditCode {
			d.Matched = append(d.Matched, "credit_code")
		}
		if phoneHash != "" && r.PhoneHash == phoneHash {
			d.Matched = append(d.Matched, "phone")
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Service) checkDuplicates(ctx context.Context, tx *gorm.DB, c *Customer, confirmed bool) error {
	if err := s.lockDuplicateCheck(tx, c.TenantID); err != nil {
		return err
	}
	dups, err := findDuplicates(tx, c.Name, c.CreditCode, c.PhoneHash, c.ID)
	if err != nil || len(dups) == 0 {
		return err
	}
	policy := "warn"
	var t tenants.Tenant
	if err := tx.Select("settings").Take(&t, "id = ?", c.TenantID).Error; err == nil && t.Settings.Data().DuplicatePolicy != "" {
		policy = t.Settings.Data().DuplicatePolicy
	}
	if policy == "warn" && confirmed {
		return nil
	}
	key := "duplicate_warn"
	if policy == "block" {
		key = "duplicate_block"
	}
	return &problem.Error{Code: problem.Conflict, Key: key, Data: map[string]any{"duplicates": dups}}
}

// lockDuplicateCheck serialises, per tenant and until tx ends, the duplicate check and the
// insert that follows it. On PostgreSQL (READ COMMITTED) two concurrent creates of the same
// customer would otherwise both find no duplicate and both insert; SQLite's transactions take
// the write lock up front (_txlock=immediate), which serialises them already.
func (s *Service) lockDuplicateCheck(tx *gorm.DB, tenant uuid.UUID) error {
	if s.DB.Dialect != store.Postgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "customer duplicates "+tenant.String()).Error
}

// redacted is a view for the audit trail: sensitive values are replaced by a marker, so the
// history says that a phone changed without storing it in clear.
func redacted(v View) View {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "***"
	}
	v.Phone, v.IDNumber, v.Address.Street = mask(v.Phone), mask(v.IDNumber), mask(v.Address.Street)
	return v
}

// auditChange writes a customer's audit entry with the sensitive values masked after the diff:
// masking first ("***" before and after) would drop a changed phone from the history.
func auditChange(ctx context.Context, tx *gorm.DB, action string, id uuid.UUID, before, after View) error {
	changes, err := audit.Diff(before, after)
	if err != nil {
		return err
	}
	audit.Mask(changes, "phone", "id_number", "address.street")
	return audit.RecordChanges(ctx, tx, action, "customer", id.String(), changes)
}

// eventPayload is what consumers get with a customer event: the record without sensitive data.
func eventPayload(v View) map[string]any {
	r := redacted(v)
	return map[string]any{"customer": r}
}

// load reads one live customer visible to the actor: missing, deleted, another tenant's or
// outside the actor's data scope all answer not_found. Pool customers are visible to all.
func (s *Service) load(ctx context.Context, tx *gorm.DB, id uuid.UUID, includeDeleted bool) (*Customer, error) {
	var c Customer
	err := tx.Take(&c, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && c.DeletedAt != nil && !includeDeleted) {
		return nil, problem.NotFoundf("entity.customer")
	}
	if err != nil {
		return nil, err
	}
	if !c.InPool {
		f, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return nil, err
		}
		if !f.Allows(deref(c.OwnerID), deref(c.DepartmentID)) {
			return nil, problem.NotFoundf("entity.customer")
		}
	} else if c.PoolKey != "" && tenantctx.ActorFrom(ctx).UserID != uuid.Nil {
		// A named pool is for its departments' staff only.
		_, m, err := poolsFor(ctx, tx)
		if err != nil {
			return nil, err
		}
		keys, err := s.visiblePools(ctx, m)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(keys, c.PoolKey) {
			return nil, problem.NotFoundf("entity.customer")
		}
	}
	return &c, nil
}

// poolGuard keeps a pool customer's record as it was while it sits in the pool: whoever works
// it claims it first. Managers who may assign customers (customer:assign) may still change it.
func (s *Service) poolGuard(ctx context.Context, c *Customer) error {
	if !c.InPool || s.Authz == nil || tenantctx.ActorFrom(ctx).UserID == uuid.Nil {
		return nil
	}
	err := s.Authz.Require(ctx, "customer", "assign")
	if problem.Is(err, problem.Forbidden) {
		return problem.New(problem.Conflict, "pool_claim_first")
	}
	return err
}

func deref(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}

// Get returns one customer.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (View, error) {
	var out View
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		c, err := s.load(ctx, tx, id, false)
		if err != nil {
			return err
		}
		out, err = view(s.Keys, c)
		return err
	})
	return out, err
}

// mutate loads a visible customer, applies change, saves it with its version checked, and
// writes the audit entry and the event — the one path every customer change takes.
func (s *Service) mutate(ctx context.Context, id uuid.UUID, version int64, action, event string, includeDeleted bool,
	change func(tx *gorm.DB, c *Customer) error) (View, error) {
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		c, err := s.load(ctx, tx, id, includeDeleted)
		if err != nil {
			return err
		}
		if version != 0 && c.Version != version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		before, err := view(s.Keys, c)
		if err != nil {
			return err
		}
		old := c.Version
		if err := change(tx, c); err != nil {
			return err
		}
		if err := s.save(tx, c, old, s.now()); err != nil {
			return err
		}
		out, err = view(s.Keys, c)
		if err != nil {
			return err
		}
		if err := auditChange(ctx, tx, action, c.ID, before, out); err != nil {
			return err
		}
		if event == "" {
			return nil
		}
		return outbox.Publish(ctx, tx, event, "customer", c.ID, eventPayload(out))
	})
	return out, err
}

// Delete moves a customer to the recycle bin (EXP-5); it can be restored for 30 days.
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	_, err := s.mutate(ctx, id, 0, "delete", "customer.deleted", false, func(_ *gorm.DB, c *Customer) error {
		if err := s.poolGuard(ctx, c); err != nil {
			return err
		}
		now := s.now()
		c.DeletedAt = &now
		return nil
	})
	return err
}

// Restore brings a customer back from the recycle bin.
func (s *Service) Restore(ctx context.Context, id uuid.UUID) (View, error) {
	return s.mutate(ctx, id, 0, "restore", "customer.restored", true, func(_ *gorm.DB, c *Customer) error {
		if c.DeletedAt == nil {
			return problem.New(problem.Conflict, "not_deleted")
		}
		c.DeletedAt = nil
		return nil
	})
}

// Churn marks a customer lost with a reason (CUS-5); the record is archived, not deleted.
func (s *Service) Churn(ctx context.Context, id uuid.UUID, reason string) (View, error) {
	if strings.IndexByte(reason, 0) >= 0 {
		return View{}, problem.Field("reason", "invalid", "field.invalid")
	}
	return s.mutate(ctx, id, 0, "churn", "customer.churned", false, func(_ *gorm.DB, c *Customer) error {
		if err := s.poolGuard(ctx, c); err != nil {
			return err
		}
		if c.Stage == StageChurned {
			return problem.New(problem.Conflict, "transition", c.Stage, StageChurned)
		}
		now := s.now()
		c.Stage, c.ChurnedAt, c.ChurnReason = StageChurned, &now, strings.TrimSpace(reason)
		return nil
	})
}

// PurgeRecycleBin erases customers deleted more than 30 days before now (a scheduled job).
func (s *Service) PurgeRecycleBin(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		cutoff := now.Add(-RecycleBinDays * 24 * time.Hour)
		var ids []uuid.UUID
		if err := tx.Model(&Customer{}).Where("deleted_at IS NOT NULL AND deleted_at < ?", cutoff).Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.Where("customer_id IN ?", ids).Delete(&Contact{}).Error; err != nil {
			return err
		}
		res := tx.Where("id IN ?", ids).Delete(&Customer{})
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}

// RecycleBinDays is how long deleted customers can be restored.
const RecycleBinDays = 30

// save writes every column of c, provided the stored version is still old (optimistic
// locking), stamping updated_at with now and the next version. A concurrent
// change answers conflict.
func (s *Service) save(tx *gorm.DB, c *Customer, old int64, now time.Time) error {
	c.UpdatedAt, c.Version = now, old+1
	if err := store.SaveVersioned(tx, c, old); err != nil {
		if problem.Is(err, problem.Conflict) {
			c.Version = old
		}
		return err
	}
	return nil
}
