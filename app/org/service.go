package org

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// Service manages users and departments.
type Service struct {
	DB    *store.DB
	Authz *policies.Authorizer
	// HashPassword hashes a new password (auth.HashPassword); CheckPassword checks one against
	// a hash (auth.CheckPassword).
	HashPassword  func(string) (string, error)
	CheckPassword func(hash, pw string) bool
	// OnDeactivate runs in the deactivating transaction, e.g. to end the user's sessions.
	OnDeactivate func(ctx context.Context, tx *gorm.DB, userID uuid.UUID) error
	// OnPasswordChange runs in the transaction that sets a new password, e.g. to end the
	// user's other sessions (whoever knew the old password is signed out).
	OnPasswordChange func(ctx context.Context, tx *gorm.DB, userID uuid.UUID) error
	Now              func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// NewUser is the input for CreateUser.
type NewUser struct {
	Email        string     `json:"email" validate:"required,email,max=254"`
	Name         string     `json:"name" validate:"required,max=100"`
	Password     string     `json:"password,omitempty" validate:"omitempty,min=10,max=200"`
	DepartmentID *uuid.UUID `json:"department_id"`
	ManagerID    *uuid.UUID `json:"manager_id"`
	Roles        []string   `json:"roles" validate:"required,min=1,dive,max=64"`
	Locale       string     `json:"locale,omitempty" validate:"omitempty,locale"`
}

// UserUpdate is a PATCH of a user; absent fields stay as they are.
type UserUpdate struct {
	Version      int64                   `json:"version" validate:"required"`
	Email        *string                 `json:"email" validate:"omitempty,email,max=254"`
	Name         *string                 `json:"name" validate:"omitempty,min=1,max=100"`
	Password     *string                 `json:"password" validate:"omitempty,min=10,max=200"`
	DepartmentID api.Nullable[uuid.UUID] `json:"department_id"`
	ManagerID    api.Nullable[uuid.UUID] `json:"manager_id"`
	Roles        *[]string               `json:"roles" validate:"omitempty,min=1,dive,max=64"`
	Locale       *string                 `json:"locale" validate:"omitempty,locale"`
	Status       *string                 `json:"status" validate:"omitempty,oneof=active disabled"`
}

// UserFilter narrows FindUsers.
type UserFilter struct {
	api.ListParams
	DepartmentID string `query:"department_id" json:"-"`
	Status       string `query:"status" json:"-" validate:"omitempty,oneof=active disabled"`
	Q            string `query:"q" json:"-" validate:"max=100"`
}

// unusablePassword can never match a hash check: accounts created without a password wait
// for one to be set.
const unusablePassword = "!"

// CreateUser adds a user with roles. Fails with conflict when the email is taken in the tenant
// and validation_failed when a department, manager or role does not exist.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (UserView, error) {
	in.Roles = normRoles(in.Roles)
	var u User
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		u, err = s.CreateUserTx(ctx, tx, in)
		return err
	})
	if err != nil {
		return UserView{}, err
	}
	return u.View(in.Roles), nil
}

// CreateUserTx is CreateUser inside the caller's transaction (signup uses it for the owner).
func (s *Service) CreateUserTx(ctx context.Context, tx *gorm.DB, in NewUser) (User, error) {
	in.Roles = normRoles(in.Roles)
	now := s.now()
	u := User{ID: uuid.Must(uuid.NewV7()), Email: normEmail(in.Email), Name: strings.TrimSpace(in.Name),
		DepartmentID: in.DepartmentID, ManagerID: in.ManagerID, Locale: in.Locale, Status: UserActive,
		CreatedAt: now, UpdatedAt: now, Version: 1, PasswordHash: unusablePassword}
	if in.Password != "" {
		h, err := s.HashPassword(in.Password)
		if err != nil {
			return u, err
		}
		u.PasswordHash = h
	}
	if err := s.checkRefs(tx, in.DepartmentID, in.ManagerID, nil); err != nil {
		return u, err
	}
	if err := checkRoles(tx, in.Roles); err != nil {
		return u, err
	}
	if err := mayGrantRoles(ctx, tx, nil, in.Roles); err != nil {
		return u, err
	}
	if err := tx.Create(&u).Error; err != nil {
		if store.IsDuplicate(err) {
			return u, emailTaken()
		}
		return u, err
	}
	if err := policies.SetUserRoles(ctx, tx, u.ID, in.Roles); err != nil {
		return u, err
	}
	return u, audit.Record(ctx, tx, "create", "user", u.ID.String(), nil, u.View(in.Roles))
}

func emailTaken() error {
	return &problem.Error{Code: problem.Conflict, Key: "email_taken",
		Fields: []problem.FieldError{{Field: "email", Code: "taken", Key: "email_taken"}}}
}

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// FindUserByID returns one user; not_found for a missing or another tenant's user.
func (s *Service) FindUserByID(ctx context.Context, id uuid.UUID) (UserView, error) {
	var u User
	err := s.DB.Read(ctx, func(tx *gorm.DB) error { return takeUser(tx, id, &u) })
	if err != nil {
		return UserView{}, err
	}
	roles, err := s.Authz.UserRoles(ctx, u.ID)
	if err != nil {
		return UserView{}, err
	}
	return u.View(roles), nil
}

// FindUser returns the stored user (for authentication and services).
func FindUser(tx *gorm.DB, id uuid.UUID) (User, error) {
	var u User
	err := takeUser(tx, id, &u)
	return u, err
}

// FindUserByEmail returns a user of the context's tenant by email.
func FindUserByEmail(tx *gorm.DB, email string) (User, error) {
	var u User
	err := tx.Take(&u, "email = ?", normEmail(email)).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, problem.NotFoundf("entity.user")
	}
	return u, err
}

func takeUser(tx *gorm.DB, id uuid.UUID, u *User) error {
	err := tx.Take(u, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return problem.NotFoundf("entity.user")
	}
	return err
}

// FindUsers lists users, oldest first, a page at a time.
func (s *Service) FindUsers(ctx context.Context, f UserFilter) (api.Page[UserView], error) {
	after, err := f.AfterID()
	if err != nil {
		return api.Page[UserView]{}, err
	}
	limit := f.PageSize()
	var users []User
	err = s.DB.Read(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&User{}).Order("id").Limit(limit + 1)
		if after != uuid.Nil {
			q = q.Where("id > ?", after)
		}
		if f.DepartmentID != "" {
			id, err := api.ParseUUID("department_id", f.DepartmentID)
			if err != nil {
				return err
			}
			q = q.Where("department_id = ?", id)
		}
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if q2 := strings.TrimSpace(f.Q); q2 != "" {
			like := "%" + escapeLike(strings.ToLower(q2)) + "%"
			q = q.Where("(LOWER(name) LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\')", like, like)
		}
		return q.Find(&users).Error
	})
	if err != nil {
		return api.Page[UserView]{}, err
	}
	views := make([]UserView, 0, len(users))
	for i := range users {
		roles, err := s.Authz.UserRoles(ctx, users[i].ID)
		if err != nil {
			return api.Page[UserView]{}, err
		}
		views = append(views, users[i].View(roles))
	}
	return api.IDPage(views, limit, func(v UserView) uuid.UUID { return v.ID }), nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// UpdateUser applies a PATCH. Fails with conflict on a stale version or taken email, and
// validation_failed on a missing department/manager/role or a manager loop. The tenant's last
// active owner cannot lose the role or be disabled.
func (s *Service) UpdateUser(ctx context.Context, id uuid.UUID, upd UserUpdate) (UserView, error) {
	var view UserView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if upd.Roles != nil || upd.Status != nil || (upd.ManagerID.Set() && !upd.ManagerID.Null()) {
			if err := lockTenant(ctx, tx); err != nil {
				return err
			}
		}
		var u User
		if err := takeUser(tx, id, &u); err != nil {
			return err
		}
		if u.Version != upd.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		oldRoles, err := rolesInTx(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		before := u.View(oldRoles)
		if err := mayChangeUser(ctx, tx, u.ID, oldRoles, upd.Password != nil); err != nil {
			return err
		}
		if upd.Email != nil {
			u.Email = normEmail(*upd.Email)
		}
		if upd.Name != nil {
			u.Name = strings.TrimSpace(*upd.Name)
		}
		if upd.Locale != nil {
			u.Locale = *upd.Locale
		}
		if upd.Status != nil {
			u.Status = *upd.Status
		}
		if upd.DepartmentID.Set() {
			u.DepartmentID = upd.DepartmentID.Ptr()
		}
		if upd.ManagerID.Set() {
			u.ManagerID = upd.ManagerID.Ptr()
		}
		if upd.Password != nil {
			h, err := s.HashPassword(*upd.Password)
			if err != nil {
				return err
			}
			u.PasswordHash = h
			// Set by anyone but the user (an owner's reset), it is temporary; the user's own
			// choice ends that.
			u.MustChangePassword = tenantctx.ActorFrom(ctx).UserID != u.ID
		}
		if err := s.checkRefs(tx, u.DepartmentID, u.ManagerID, &u.ID); err != nil {
			return err
		}
		roles := oldRoles
		if upd.Roles != nil {
			if err := checkRoles(tx, *upd.Roles); err != nil {
				return err
			}
			roles = normRoles(*upd.Roles)
			if err := mayGrantRoles(ctx, tx, oldRoles, roles); err != nil {
				return err
			}
		}
		wasOwner := policies.HasRole(oldRoles, policies.Owner) && before.Status == UserActive
		stillOwner := policies.HasRole(roles, policies.Owner) && u.Status == UserActive
		if wasOwner && !stillOwner {
			if err := ensureAnotherOwner(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		u.UpdatedAt = s.now()
		u.Version++
		if err := store.SaveVersioned(tx, &u, upd.Version); err != nil {
			if store.IsDuplicate(err) {
				return emailTaken()
			}
			return err
		}
		if upd.Roles != nil {
			if err := policies.SetUserRoles(ctx, tx, u.ID, roles); err != nil {
				return err
			}
		}
		if upd.Password != nil && s.OnPasswordChange != nil {
			if err := s.OnPasswordChange(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		if u.Status == UserDisabled && before.Status != UserDisabled && s.OnDeactivate != nil {
			if err := s.OnDeactivate(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		view = u.View(roles)
		// Authenticated principals cache the user (department, locale, status): tell them.
		if err := store.BumpTenantVersion(tx, u.TenantID, "auth_version"); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "update", "user", u.ID.String(), before, view)
	})
	return view, err
}

// DeactivateUser disables a user and ends their sessions and tokens. Users are never deleted:
// their records keep pointing at them.
func (s *Service) DeactivateUser(ctx context.Context, id uuid.UUID) error {
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := lockTenant(ctx, tx); err != nil {
			return err
		}
		var u User
		if err := takeUser(tx, id, &u); err != nil {
			return err
		}
		if u.Status == UserDisabled {
			return nil
		}
		roles, err := rolesInTx(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if err := mayChangeUser(ctx, tx, u.ID, roles, false); err != nil {
			return err
		}
		if policies.HasRole(roles, policies.Owner) {
			if err := ensureAnotherOwner(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		before := u.View(roles)
		u.Status, u.UpdatedAt, u.Version = UserDisabled, s.now(), u.Version+1
		if err := tx.Model(&u).Select("status", "updated_at", "version").Updates(&u).Error; err != nil {
			return err
		}
		if s.OnDeactivate != nil {
			if err := s.OnDeactivate(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, "deactivate", "user", u.ID.String(), before, u.View(roles))
	})
}

// actingRoles answers the acting user's roles as stored in tx, and false for changes made
// without a user (signup creating the owner, the command line), which these rules do not limit.
func actingRoles(ctx context.Context, tx *gorm.DB) (uuid.UUID, []string, bool, error) {
	me := tenantctx.ActorFrom(ctx).UserID
	if me == uuid.Nil {
		return me, nil, false, nil
	}
	roles, err := rolesInTx(ctx, tx, me)
	return me, roles, true, err
}

// mayGrantRoles checks that the acting user may give every role in after that the user did not
// have before, and take away every role of before missing from after (policies.MayGrant): only
// an owner makes an owner, and nobody grants a role equal to or above their own. Forbidden
// with role_grant_denied otherwise.
func mayGrantRoles(ctx context.Context, tx *gorm.DB, before, after []string) error {
	_, mine, ok, err := actingRoles(ctx, tx)
	if err != nil || !ok {
		return err
	}
	check := func(from, to []string) error {
		for _, r := range to {
			if !slices.Contains(from, r) && !policies.MayGrant(mine, r) {
				return problem.New(problem.Forbidden, "role_grant_denied", r)
			}
		}
		return nil
	}
	if err := check(before, after); err != nil {
		return err
	}
	return check(after, before)
}

// mayChangeUser guards another user's account: an owner's account (roles, department,
// status, name, email, password) is changed only by an owner (owner_account_protected), and a
// password is set only by the user themselves or, as a forced reset, by an owner
// (password_self_only). Both are forbidden.
func mayChangeUser(ctx context.Context, tx *gorm.DB, target uuid.UUID, targetRoles []string, password bool) error {
	me, mine, ok, err := actingRoles(ctx, tx)
	if err != nil || !ok || me == target {
		return err
	}
	owner := policies.HasRole(mine, policies.Owner)
	if policies.HasRole(targetRoles, policies.Owner) && !owner {
		return problem.New(problem.Forbidden, "owner_account_protected")
	}
	if password && !owner {
		return problem.New(problem.Forbidden, "password_self_only")
	}
	return nil
}

// rolesInTx reads a user's roles from the stored rules (not the cache, which may predate tx).
func rolesInTx(ctx context.Context, tx *gorm.DB, userID uuid.UUID) ([]string, error) {
	return policies.StoredUserRoles(ctx, tx, userID)
}

// lockTenant serializes, per tenant, the changes whose checks read rows that a concurrent
// change may be altering: removing an owner (two owners removing each other would each still
// see the other and leave none) and moving a user or department (A under B while B goes under
// A would each pass the loop check). Under READ COMMITTED the statements after the lock see
// what the other change committed.
func lockTenant(ctx context.Context, tx *gorm.DB) error { return store.LockTenant(ctx, tx) }

func ensureAnotherOwner(ctx context.Context, tx *gorm.DB, except uuid.UUID) error {
	if err := lockTenant(ctx, tx); err != nil {
		return err
	}
	owners, err := policies.UsersWithRole(ctx, tx, policies.Owner)
	if err != nil {
		return err
	}
	var n int64
	others := make([]uuid.UUID, 0, len(owners))
	for _, o := range owners {
		if o != except {
			others = append(others, o)
		}
	}
	if len(others) > 0 {
		if err := tx.Model(&User{}).Where("id IN ? AND status = ?", others, UserActive).Count(&n).Error; err != nil {
			return err
		}
	}
	if n == 0 {
		return problem.New(problem.Conflict, "last_owner")
	}
	return nil
}

// normRoles sorts roles and drops repeats, so answers, audit entries and stored rules agree
// with what GET shows (roles sorted, each once).
func normRoles(roles []string) []string {
	out := slices.Clone(roles)
	slices.Sort(out)
	return slices.Compact(out)
}

func checkRoles(tx *gorm.DB, roles []string) error {
	if len(roles) == 0 {
		return nil
	}
	var found []string
	if err := tx.Model(&policies.Role{}).Where("key IN ?", roles).Pluck("key", &found).Error; err != nil {
		return err
	}
	for _, r := range roles {
		if !policies.HasRole(found, r) {
			return problem.Field("roles", "invalid_choice", "field.unknown_role", r)
		}
	}
	return nil
}

// checkRefs verifies that the department and manager exist in the tenant and that the manager
// chain does not loop back to self.
func (s *Service) checkRefs(tx *gorm.DB, dept, manager, self *uuid.UUID) error {
	if dept != nil {
		var n int64
		if err := tx.Model(&Department{}).Where("id = ?", *dept).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return problem.Field("department_id", "not_found", "field.not_found")
		}
	}
	if manager != nil {
		cur := *manager
		for i := 0; i < 64; i++ {
			if self != nil && cur == *self {
				return problem.Field("manager_id", "invalid", "manager_cycle")
			}
			var m User
			err := tx.Select("id", "manager_id").Take(&m, "id = ?", cur).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				if i == 0 {
					return problem.Field("manager_id", "not_found", "field.not_found")
				}
				return nil
			}
			if err != nil {
				return err
			}
			if m.ManagerID == nil {
				return nil
			}
			cur = *m.ManagerID
		}
	}
	return nil
}
