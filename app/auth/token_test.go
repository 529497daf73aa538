package auth_test

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

type createdToken struct {
	ID        uuid.UUID  `json:"id"`
	Name      string     `json:"name"`
	Token     string     `json:"token"`
	Prefix    string     `json:"prefix"`
	UserID    uuid.UUID  `json:"user_id"`
	ExpiresAt *time.Time `json:"expires_at"`
}

type tokenList struct {
	Items []struct {
		ID         uuid.UUID  `json:"id"`
		Name       string     `json:"name"`
		UserID     uuid.UUID  `json:"user_id"`
		LastUsedAt *time.Time `json:"last_used_at"`
		RevokedAt  *time.Time `json:"revoked_at"`
	} `json:"items"`
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func TestAPITokensAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUser(t, "salesperson")
		colleague := acme.AddUser(t, "salesperson")
		foreign := other.AddUser(t, "salesperson")
		var colleagueTok, foreignTok createdToken
		colleague.MustDo(t, "POST", "/api/v1/api-tokens", map[string]any{"name": "colleague's"}, 201, &colleagueTok)
		foreign.MustDo(t, "POST", "/api/v1/api-tokens", map[string]any{"name": "foreign"}, 201, &foreignTok)
		missing := uuid.Must(uuid.NewV7())
		past := env.Clock().Now().Add(-time.Minute).Format(time.RFC3339)

		env.Run(t, []apitest.Scenario{
			{Name: "no login: list", Method: "GET", URL: "/api/v1/api-tokens", Status: 401, Code: "unauthenticated"},
			{Name: "no login: create", Method: "POST", URL: "/api/v1/api-tokens", Body: map[string]any{"name": "x"}, Status: 401, Code: "unauthenticated"},
			{Name: "no login: revoke", Method: "DELETE", URL: "/api/v1/api-tokens/" + colleagueTok.ID.String(), Status: 401, Code: "unauthenticated"},
			{Name: "other tenant: revoke its token", Method: "DELETE", URL: "/api/v1/api-tokens/" + foreignTok.ID.String(), As: sales, Status: 404, Code: "not_found"},
			// Tokens are personal: another user's token is not found, even for the owner.
			{Name: "another user's token", Method: "DELETE", URL: "/api/v1/api-tokens/" + colleagueTok.ID.String(), As: sales, Status: 404, Code: "not_found"},
			{Name: "another user's token, as owner", Method: "DELETE", URL: "/api/v1/api-tokens/" + colleagueTok.ID.String(), As: acme.Owner, Status: 404, Code: "not_found"},
			{Name: "not found", Method: "DELETE", URL: "/api/v1/api-tokens/" + missing.String(), As: sales, Status: 404, Code: "not_found"},
			{Name: "not found: malformed id", Method: "DELETE", URL: "/api/v1/api-tokens/not-a-uuid", As: sales, Status: 404, Code: "not_found"},
			{Name: "invalid: no name", Method: "POST", URL: "/api/v1/api-tokens", Body: map[string]any{}, As: sales, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "name", "required") }},
			{Name: "invalid: expiry in the past", Method: "POST", URL: "/api/v1/api-tokens", Body: map[string]any{"name": "x", "expires_at": past}, As: sales,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "expires_at", "out_of_range") }},
			{Name: "invalid: expiry not a time", Method: "POST", URL: "/api/v1/api-tokens", Body: map[string]any{"name": "x", "expires_at": "tomorrow"}, As: sales,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "expires_at", "invalid_format") }},
			{Name: "invalid: unknown field", Method: "POST", URL: "/api/v1/api-tokens", Body: map[string]any{"name": "x", "scopes": []string{"all"}}, As: sales,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "scopes", "unknown_field") }},
		})

		t.Run("colleague's token survived", func(t *testing.T) {
			if r := env.Do(t, "GET", "/api/v1/me", nil, bearer(colleagueTok.Token)); r.Status != 200 {
				t.Errorf("colleague's token: %d %s", r.Status, r.Body)
			}
			if r := env.Do(t, "GET", "/api/v1/me", nil, bearer(foreignTok.Token)); r.Status != 200 {
				t.Errorf("foreign token: %d %s", r.Status, r.Body)
			}
		})

		t.Run("success: create, list, use, revoke", func(t *testing.T) {
			var tok createdToken
			r := sales.MustDo(t, "POST", "/api/v1/api-tokens", map[string]any{"name": "  zapier  "}, 201, &tok)
			if tok.ID == uuid.Nil || tok.Name != "zapier" || tok.UserID != sales.UserID || !strings.HasPrefix(tok.Token, "crm_") || len(tok.Token) < 40 {
				t.Errorf("created %s", r.Body)
			}
			if !strings.HasPrefix(tok.Token, tok.Prefix) {
				t.Errorf("prefix %q is not the start of the token", tok.Prefix)
			}
			if strings.Contains(string(r.Body), "token_hash") {
				t.Errorf("answer carries the hash: %s", r.Body)
			}

			var list tokenList
			lr := sales.MustDo(t, "GET", "/api/v1/api-tokens", nil, 200, &list)
			secret := tok.Token[len(tok.Token)-20:]
			if strings.Contains(string(lr.Body), secret) || strings.Contains(string(lr.Body), `"token"`) {
				t.Errorf("list shows the secret: %s", lr.Body)
			}
			found := false
			for _, it := range list.Items {
				if it.UserID != sales.UserID {
					t.Errorf("list shows another user's token %v", it.ID)
				}
				if it.ID == colleagueTok.ID {
					t.Error("list shows the colleague's token")
				}
				if it.ID == tok.ID {
					found = true
				}
			}
			if !found || len(list.Items) != 2 { // the harness's token and this one
				t.Errorf("list %s", lr.Body)
			}

			var me meOut
			mr := env.Do(t, "GET", "/api/v1/me", nil, bearer(tok.Token))
			if mr.Status != 200 {
				t.Fatalf("use token: %d %s", mr.Status, mr.Body)
			}
			mr.JSON(t, &me)
			if me.User.ID != sales.UserID || me.Tenant.ID != acme.ID {
				t.Errorf("token authenticated as %+v", me)
			}
			sales.MustDo(t, "GET", "/api/v1/api-tokens", nil, 200, &list)
			for _, it := range list.Items {
				if it.ID == tok.ID && it.LastUsedAt == nil {
					t.Error("last_used_at not recorded")
				}
			}

			sales.MustDo(t, "DELETE", "/api/v1/api-tokens/"+tok.ID.String(), nil, 204, nil)
			rr := env.Do(t, "GET", "/api/v1/me", nil, bearer(tok.Token))
			if rr.Status != 401 || rr.Problem(t).Code != "unauthenticated" {
				t.Errorf("revoked token: %d %s", rr.Status, rr.Body)
			}
			// Revoking twice is harmless; the list shows when it was revoked.
			sales.MustDo(t, "DELETE", "/api/v1/api-tokens/"+tok.ID.String(), nil, 204, nil)
			sales.MustDo(t, "GET", "/api/v1/api-tokens", nil, 200, &list)
			for _, it := range list.Items {
				if it.ID == tok.ID && it.RevokedAt == nil {
					t.Error("revoked_at not shown")
				}
			}
			// The caller's other token still works.
			sales.MustDo(t, "GET", "/api/v1/me", nil, 200, nil)
		})

		t.Run("expiry", func(t *testing.T) {
			at := env.Clock().Now().Add(time.Hour).UTC().Truncate(time.Second)
			var tok createdToken
			sales.MustDo(t, "POST", "/api/v1/api-tokens", map[string]any{"name": "short", "expires_at": at.Format(time.RFC3339)}, 201, &tok)
			if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(at) {
				t.Errorf("expires_at %v, want %v", tok.ExpiresAt, at)
			}
			if r := env.Do(t, "GET", "/api/v1/me", nil, bearer(tok.Token)); r.Status != 200 {
				t.Fatalf("fresh token: %d %s", r.Status, r.Body)
			}
			env.Clock().Advance(61 * time.Minute)
			r := env.Do(t, "GET", "/api/v1/me", nil, bearer(tok.Token))
			if r.Status != 401 || r.Problem(t).Code != "unauthenticated" {
				t.Errorf("expired token: %d %s", r.Status, r.Body)
			}
		})

		t.Run("a token stays in its tenant", func(t *testing.T) {
			// Tenant A's token cannot read tenant B's user: it answers as for a missing one.
			r := sales.Do(t, "GET", "/api/v1/users/"+foreign.UserID.String(), nil)
			if r.Status != 404 || r.Problem(t).Code != "not_found" {
				t.Errorf("foreign user: %d %s", r.Status, r.Body)
			}
			// A token whose tenant part is rewritten to another tenant is worthless.
			rest := strings.TrimPrefix(sales.Token, "crm_")
			forged := "crm_" + hex.EncodeToString(other.ID[:]) + rest[32:]
			fr := env.Do(t, "GET", "/api/v1/me", nil, bearer(forged))
			if fr.Status != 401 {
				t.Errorf("forged token: %d %s", fr.Status, fr.Body)
			}
		})
	})
}
