// Package policies decides who may do what: the Casbin model and default grants (files beside
// this one), the role catalogue with data scopes, per-tenant policies loaded from the database
// into cached enforcers, data-scope query filters and amount-based approval tiers.
package policies

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

//go:embed model.conf
var modelConf string

//go:embed roles.csv
var rolesCSV string

//go:embed default_policy.csv
var defaultPolicyCSV string

// DataScope is how much of the tenant's records a role sees (IAM-5).
type DataScope string

const (
	ScopeOwn                DataScope = "own"
	ScopeOwnAndSubordinates DataScope = "own_and_subordinates"
	ScopeDepartment         DataScope = "department"
	ScopeDepartmentTree     DataScope = "department_tree"
	ScopeAll                DataScope = "all"
)

// DataScopes in order from narrowest to widest.
var DataScopes = []DataScope{ScopeOwn, ScopeOwnAndSubordinates, ScopeDepartment, ScopeDepartmentTree, ScopeAll}

// Wider reports whether a sees more than b. Department and own-and-subordinates are not
// comparable in general; the order above is the documented precedence when a user has both.
func (a DataScope) Wider(b DataScope) bool {
	return slices.Index(DataScopes, a) > slices.Index(DataScopes, b)
}

// Valid reports whether s is a known scope.
func (s DataScope) Valid() bool { return slices.Contains(DataScopes, s) }

// Objects are the kinds of record permissions are given on.
var Objects = []string{
	"customer", "contact", "lead", "followup", "opportunity", "product", "quote", "contract",
	"order", "payment", "workorder", "incident", "complaint", "survey", "care", "risk", "report",
	"approval", "user", "department", "role", "settings", "audit", "plugin", "api_token",
	// return_note is the 產品退貨單 of a complaint's return: the warehouse receives it (update),
	// finance posts it (approve).
	"return_note",
}

// Actions are what can be done to an object.
var Actions = []string{"create", "read", "update", "delete", "assign", "approve", "export"}

// RoleDef is a role of the default catalogue.
type RoleDef struct {
	Key          string
	DataScope    DataScope
	ApprovalRank int
	// GrantRank orders roles for granting (IAM-3): a user grants or takes away only roles
	// ranked below their own; see MayGrant.
	GrantRank int
	Names     map[string]string // locale → name
}

// Owner is the tenant administrator's role key; it always has every permission.
const Owner = "owner"

// DefaultRoles is the catalogue from roles.csv.
var DefaultRoles = mustRoles()

// DefaultGrants is default_policy.csv as role → [object, action] pairs.
var DefaultGrants = mustGrants()

func readCSV(src string) [][]string {
	var lines []string
	for _, l := range strings.Split(src, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			lines = append(lines, l)
		}
	}
	r := csv.NewReader(strings.NewReader(strings.Join(lines, "\n")))
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		panic(fmt.Sprintf("policies: %v", err))
	}
	return recs
}

func mustRoles() []RoleDef {
	var out []RoleDef
	for _, rec := range readCSV(rolesCSV) {
		if len(rec) != 7 || !DataScope(rec[1]).Valid() {
			panic(fmt.Sprintf("policies: bad roles.csv line %v", rec))
		}
		rank, err := strconv.Atoi(rec[2])
		grant, err2 := strconv.Atoi(rec[6])
		if err != nil || err2 != nil {
			panic(fmt.Sprintf("policies: bad roles.csv line %v", rec))
		}
		out = append(out, RoleDef{Key: rec[0], DataScope: DataScope(rec[1]), ApprovalRank: rank, GrantRank: grant,
			Names: map[string]string{"zh-CN": rec[3], "zh-TW": rec[4], "en": rec[5]}})
	}
	return out
}

func mustGrants() map[string][]Perm {
	out := map[string][]Perm{}
	for _, rec := range readCSV(defaultPolicyCSV) {
		if len(rec) != 4 || rec[0] != "p" {
			panic(fmt.Sprintf("policies: bad default_policy.csv line %v", rec))
		}
		p := Perm{Object: rec[2], Action: rec[3]}
		if !p.Known() {
			panic(fmt.Sprintf("policies: unknown permission in default_policy.csv: %v", rec))
		}
		out[rec[1]] = append(out[rec[1]], p)
	}
	return out
}

// Perm is an object and an action, "*" meaning any.
type Perm struct {
	Object string `json:"object"`
	Action string `json:"action"`
}

// Known reports whether the permission names known objects and actions (or wildcards).
func (p Perm) Known() bool {
	return (p.Object == "*" || slices.Contains(Objects, p.Object) || IsExtensionObject(p.Object)) && (p.Action == "*" || slices.Contains(Actions, p.Action))
}

// Expand lists the concrete permissions a possibly wildcarded one stands for.
func (p Perm) Expand() []Perm {
	objs, acts := []string{p.Object}, []string{p.Action}
	if p.Object == "*" {
		objs = Objects
	}
	if p.Action == "*" {
		acts = Actions
	}
	out := make([]Perm, 0, len(objs)*len(acts))
	for _, o := range objs {
		for _, a := range acts {
			out = append(out, Perm{o, a})
		}
	}
	return out
}

// RoleByKey finds a default role.
func RoleByKey(key string) (RoleDef, bool) {
	for _, r := range DefaultRoles {
		if r.Key == key {
			return r, true
		}
	}
	return RoleDef{}, false
}

// ApprovalRank is how senior a role is for approvals; custom roles rank 0.
func ApprovalRank(key string) int {
	r, _ := RoleByKey(key)
	return r.ApprovalRank
}

// GrantRank is how senior a role is for granting roles; custom roles rank 0.
func GrantRank(key string) int {
	r, _ := RoleByKey(key)
	return r.GrantRank
}

// TopGrantRank is the highest grant rank among roles.
func TopGrantRank(roles []string) int {
	top := 0
	for _, r := range roles {
		top = max(top, GrantRank(r))
	}
	return top
}

// MayGrant reports whether a user holding actorRoles may give or take away role: an owner may
// grant every role (owner included); anyone else only roles ranked strictly below their own
// highest rank, so nobody makes themselves or a peer their equal or better.
func MayGrant(actorRoles []string, role string) bool {
	if HasRole(actorRoles, Owner) {
		return true
	}
	return role != Owner && GrantRank(role) < TopGrantRank(actorRoles)
}
