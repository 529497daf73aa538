package publiclink_test

// A public link opens without an account, so every way of reusing, editing or borrowing one
// is tried here: used twice (also concurrently), expired by the clock, revoked by a newer
// link, another subject's token, another purpose's, another tenant's, edited bytes, a forged
// MAC, garbage. Each is refused with not_found (does not verify) or gone (used, revoked,
// expired), and nothing is spent.

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/publiclink"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

var (
	survey  = publiclink.Purpose{Name: "survey", Path: "/public/v1/surveys/"}
	signOff = publiclink.Purpose{Name: "sign-off", Path: "/public/v1/sign-off/"}
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTenant(t *testing.T, db *store.DB, status tenants.Status) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	now := time.Now().UTC()
	tn := tenants.Tenant{ID: id, Slug: "pl-" + id.String(), Name: "Tenant " + id.String()[:8], Status: status, Plan: "standard",
		Settings: datatypes.NewJSONType(tenants.Settings{}), CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := db.Gorm(context.Background()).Create(&tn).Error; err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	return id
}

type fixture struct {
	db    *store.DB
	links *publiclink.Links
	clock *clock
}

func (f *fixture) issue(t *testing.T, tenant uuid.UUID, p publiclink.Purpose, subject uuid.UUID, valid time.Duration, replace bool) (*publiclink.Link, string) {
	t.Helper()
	var l *publiclink.Link
	err := f.db.Tx(tenantctx.WithTenant(context.Background(), tenant), func(tx *gorm.DB) error {
		var err error
		l, err = f.links.Issue(tenantctx.WithTenant(context.Background(), tenant), tx, p, subject, valid, replace)
		return err
	})
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	return l, f.links.Token(l)
}

// use verifies tok for p and spends it, answering the error (nil: used now) and the subject.
func (f *fixture) use(p publiclink.Purpose, tok string) (uuid.UUID, error) {
	var subject uuid.UUID
	err := f.links.Verify(context.Background(), p, tok, true, func(ctx context.Context, tx *gorm.DB, o publiclink.Opened) error {
		subject = o.Link.SubjectID
		return f.links.Use(tx, o.Link)
	})
	return subject, err
}

func (f *fixture) open(p publiclink.Purpose, tok string) error {
	return f.links.Verify(context.Background(), p, tok, false, func(context.Context, *gorm.DB, publiclink.Opened) error { return nil })
}

func wantCode(t *testing.T, what string, err error, code problem.Code) {
	t.Helper()
	if !problem.Is(err, code) {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

func TestLinks(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := storetest.Open(t, dialect)
			c := &clock{t: time.Now().UTC()}
			f := &fixture{db: db, clock: c, links: &publiclink.Links{DB: db, Key: publiclink.Key("a secret key for the tests, long enough"),
				BaseURL: "https://crm.example.com/", Now: c.now}}
			acme, other := newTenant(t, db, tenants.StatusActive), newTenant(t, db, tenants.StatusActive)
			s1, s2 := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())

			l1, tok1 := f.issue(t, acme, survey, s1, 24*time.Hour, false)
			if got := f.links.URL(survey, l1); got != "https://crm.example.com/public/v1/surveys/"+tok1 {
				t.Errorf("URL %q", got)
			}
			if len(tok1) != 119 {
				t.Errorf("token of %d characters", len(tok1))
			}
			if c, err := f.links.Parse(survey, tok1); err != nil || c.Tenant != acme || c.Subject != s1 || c.Link != l1.ID || !c.Expires.Equal(l1.ExpiresAt) {
				t.Errorf("parse: %+v %v", c, err)
			}
			// The token is made again from the row.
			var stored publiclink.Link
			if err := db.Read(tenantctx.WithTenant(context.Background(), acme), func(tx *gorm.DB) error { return tx.Take(&stored, "id = ?", l1.ID).Error }); err != nil {
				t.Fatal(err)
			}
			if f.links.Token(&stored) != tok1 {
				t.Errorf("the stored row gives another token")
			}

			// Opening does not spend it; the first use does; the second is gone.
			if err := f.open(survey, tok1); err != nil {
				t.Errorf("open: %v", err)
			}
			if subj, err := f.use(survey, tok1); err != nil || subj != s1 {
				t.Fatalf("first use: %v %v", subj, err)
			}
			_, err := f.use(survey, tok1)
			wantCode(t, "second use", err, problem.Gone)
			wantCode(t, "open after use", f.open(survey, tok1), problem.Gone)

			// Concurrent uses: exactly one wins.
			_, tokC := f.issue(t, acme, survey, s2, time.Hour, false)
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Add(1)
				go func(i int) { defer wg.Done(); _, errs[i] = f.use(survey, tokC) }(i)
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !problem.Is(err, problem.Gone) && !problem.Is(err, problem.Conflict) && !problem.Is(err, problem.Unavailable) {
					t.Errorf("concurrent use: %v", err)
				}
			}
			if ok != 1 {
				t.Errorf("%d concurrent uses succeeded, want 1", ok)
			}

			// Expiry with the clock: valid until the last second, gone from then on.
			_, tokE := f.issue(t, acme, survey, s1, 2*time.Hour, false)
			c.advance(2*time.Hour - time.Minute)
			if err := f.open(survey, tokE); err != nil {
				t.Errorf("before expiry: %v", err)
			}
			c.advance(2 * time.Minute)
			wantCode(t, "open after expiry", f.open(survey, tokE), problem.Gone)
			_, err = f.use(survey, tokE)
			wantCode(t, "use after expiry", err, problem.Gone)

			// A newer link with replace revokes the subject's earlier unused ones of that purpose only.
			_, old := f.issue(t, acme, survey, s2, time.Hour, false)
			_, otherPurpose := f.issue(t, acme, signOff, s2, time.Hour, false)
			_, newer := f.issue(t, acme, survey, s2, time.Hour, true)
			wantCode(t, "replaced link", f.open(survey, old), problem.Gone)
			if err := f.open(survey, newer); err != nil {
				t.Errorf("newer link: %v", err)
			}
			if err := f.open(signOff, otherPurpose); err != nil {
				t.Errorf("another purpose's link of the subject was revoked: %v", err)
			}

			// Tampering and borrowing: none verifies.
			_, ta := f.issue(t, acme, survey, s1, time.Hour, false)
			lb, tb := f.issue(t, acme, survey, s2, time.Hour, false)
			_, tOther := f.issue(t, other, survey, s1, time.Hour, false)
			raw := func(tok string) []byte {
				b, err := base64.RawURLEncoding.DecodeString(tok)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			enc := base64.RawURLEncoding.EncodeToString
			edit := func(tok string, from int, with []byte) string {
				b := raw(tok)
				copy(b[from:], with)
				return enc(b)
			}
			flipped := raw(ta)
			flipped[len(flipped)-1] ^= 1
			attacks := map[string]string{
				"another subject's ID":         edit(ta, 33, s2[:]),
				"another link's row":           edit(ta, 17, lb.ID[:]),
				"another link's MAC":           enc(append(raw(ta)[:57], raw(tb)[57:]...)),
				"another tenant's ID":          edit(ta, 1, other[:]),
				"a later expiry":               edit(ta, 49, []byte{0x7f, 0, 0, 0, 0, 0, 0, 0}),
				"a flipped bit":                enc(flipped),
				"truncated":                    ta[:len(ta)-2],
				"garbage":                      "not-a-token",
				"random bytes, the right size": enc(make([]byte, len(raw(ta)))),
				"too long":                     strings.Repeat("A", 500),
				"empty":                        "",
			}
			for name, tok := range attacks {
				wantCode(t, name+" (open)", f.open(survey, tok), problem.NotFound)
				_, err := f.use(survey, tok)
				wantCode(t, name+" (use)", err, problem.NotFound)
			}
			// Signed for another purpose: not a survey link, though genuine.
			wantCode(t, "a sign-off token as a survey's", f.open(survey, otherPurpose), problem.NotFound)
			wantCode(t, "a survey token as a sign-off's", f.open(signOff, ta), problem.NotFound)
			// Another tenant's genuine link opens in that tenant only, for its own subject.
			if subj, err := f.use(survey, tOther); err != nil || subj != s1 {
				t.Errorf("the other tenant's link: %v %v", subj, err)
			}
			// Nothing above spent la or lb.
			for _, tok := range []string{ta, tb} {
				if err := f.open(survey, tok); err != nil {
					t.Errorf("after the attacks: %v", err)
				}
			}

			// Without a key nothing is issued or accepted.
			bare := &publiclink.Links{DB: db, Now: c.now}
			wantCode(t, "open without a key", bare.Verify(context.Background(), survey, ta, false,
				func(context.Context, *gorm.DB, publiclink.Opened) error { return nil }), problem.NotFound)
			err = db.Tx(tenantctx.WithTenant(context.Background(), acme), func(tx *gorm.DB) error {
				_, err := bare.Issue(tenantctx.WithTenant(context.Background(), acme), tx, survey, s1, time.Hour, false)
				return err
			})
			wantCode(t, "issue without a key", err, problem.Unavailable)
			// Another key does not accept this key's tokens.
			otherKey := &publiclink.Links{DB: db, Key: publiclink.Key("another secret key, long enough too"), Now: c.now}
			wantCode(t, "another key", otherKey.Verify(context.Background(), survey, ta, false,
				func(context.Context, *gorm.DB, publiclink.Opened) error { return nil }), problem.NotFound)

			// A suspended tenant's links open but are not spent; a cancelled tenant's do not open.
			susp := newTenant(t, db, tenants.StatusSuspended)
			_, ts := f.issue(t, susp, survey, s1, time.Hour, false)
			if err := f.open(survey, ts); err != nil {
				t.Errorf("suspended tenant, open: %v", err)
			}
			_, err = f.use(survey, ts)
			wantCode(t, "suspended tenant, use", err, problem.TenantSuspended)
			gone := newTenant(t, db, tenants.StatusCancelled)
			_, tg := f.issue(t, gone, survey, s1, time.Hour, false)
			wantCode(t, "cancelled tenant", f.open(survey, tg), problem.NotFound)
		})
	}
}
