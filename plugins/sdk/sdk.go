// Package sdk is what a CRM plugin imports (PLG-6): the types of the plugin protocol, the
// interfaces a plugin implements, Serve to run it as a go-plugin executable, and an
// in-memory host (FakeHost) for unit tests. The conformance tests in plugins/sdk/conformance
// check a built plugin executable the way the CRM will use it. docs/PLUGINS.md is the guide.
//
// A plugin is a separate program. Its main calls Serve with a value implementing Plugin and
// any of Classifier, BatchClassifier, EventHandler and Module; the CRM starts it, checks its
// protocol version, and calls it with a Call that names the tenant, user and configuration
// and carries a Host bound to that call: the plugin's only way to data (a record store
// scoped to the tenant and plugin, customer look-ups, follow-up tasks, logging).
package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// ProtocolVersion is the plugin protocol this SDK speaks; the host refuses other versions.
const ProtocolVersion = 1

// Capabilities a manifest may declare.
const (
	CapClassifier = "classifier"
	CapEvents     = "events"
	CapModule     = "module"
)

// Manifest describes a plugin: what it is and what it offers. ID is lowercase letters,
// digits and dashes (it appears in URLs: /api/v1/ext/{id}/…, and in Casbin objects).
type Manifest struct {
	ID              string       `json:"id"`
	Name            string       `json:"name"`
	Version         string       `json:"version"`
	Description     string       `json:"description,omitempty"`
	ProtocolVersion int          `json:"protocol_version"`
	Capabilities    []string     `json:"capabilities"`
	EventTypes      []string     `json:"event_types,omitempty"`
	RecordTypes     []RecordType `json:"record_types,omitempty"`
	Routes          []Route      `json:"routes,omitempty"`
	Permissions     []Permission `json:"permissions,omitempty"`
	// ConfigSchema is an optional JSON Schema of the tenant configuration.
	ConfigSchema json.RawMessage `json:"config_schema,omitempty"`
}

// Has reports whether the manifest declares capability c.
func (m Manifest) Has(c string) bool {
	for _, x := range m.Capabilities {
		if x == c {
			return true
		}
	}
	return false
}

// RecordType is a kind of record the plugin stores, with the top-level JSON fields the host
// indexes so that QueryRecords can select by them.
type RecordType struct {
	Name    string   `json:"name"`
	Indexed []string `json:"indexed,omitempty"`
}

// Route is an HTTP route of a module, relative to /api/v1/ext/{plugin id}. Pattern segments
// in braces are parameters ("/vehicles/{id}"). The host lets a request through only when
// the user's roles grant Action on the module's Object.
type Route struct {
	Name    string `json:"name"`
	Method  string `json:"method"`
	Pattern string `json:"pattern"`
	Object  string `json:"object"`
	Action  string `json:"action"`
}

// Permission is a permission object of a module with its actions and the grants a tenant
// gets when it enables the module (role key -> actions).
type Permission struct {
	Object      string              `json:"object"`
	Actions     []string            `json:"actions"`
	Grants      map[string][]string `json:"grants,omitempty"`
	Description string              `json:"description,omitempty"`
}

// Plugin is implemented by every plugin.
type Plugin interface {
	Manifest() Manifest
}

// Classifier classifies customers (capability "classifier").
type Classifier interface {
	Classify(ctx context.Context, call *Call, in ClassifyInput) (ClassifyResult, error)
}

// BatchClassifier classifies many customers in one call; without it the SDK calls Classify
// for each.
type BatchClassifier interface {
	ClassifyBatch(ctx context.Context, call *Call, in []ClassifyInput) ([]ClassifyResult, error)
}

// EventHandler receives the tenant's domain events (capability "events"). Delivery is at
// least once and in order per entity: use Event.ID to ignore repeats. An error makes the
// host deliver the same event again later.
type EventHandler interface {
	OnEvent(ctx context.Context, call *Call, e Event) error
}

// Module answers HTTP requests to its declared routes (capability "module").
type Module interface {
	HandleHTTP(ctx context.Context, call *Call, r HTTPRequest) (HTTPResponse, error)
}

// Call is one call from the host: who it is for and the host API bound to it.
type Call struct {
	TenantID string
	UserID   string
	Roles    []string
	Locale   string
	// Config is the tenant's configuration of the plugin (a JSON object, "{}" when unset).
	Config json.RawMessage
	// Host is the host API for this call; it acts in the call's tenant only.
	Host Host
}

// DecodeConfig decodes the call's configuration into v.
func (c *Call) DecodeConfig(v any) error {
	if len(c.Config) == 0 {
		return nil
	}
	return json.Unmarshal(c.Config, v)
}

// Host is the host API. Every method acts within the tenant and plugin of the call it came
// with; a record of another tenant or plugin does not exist for it.
type Host interface {
	// PutRecord creates or replaces a record; ID empty creates one with a new ID. With
	// ExpectedVersion > 0 it fails with ErrConflict unless the stored version matches.
	PutRecord(ctx context.Context, r Record, expectedVersion int64) (Record, error)
	// GetRecord returns a record or ErrNotFound.
	GetRecord(ctx context.Context, typ, id string) (Record, error)
	// QueryRecords lists records of a type matching every condition (on indexed fields),
	// oldest first; Next is the cursor for the following page ("" at the end).
	QueryRecords(ctx context.Context, q Query) ([]Record, string, error)
	// DeleteRecord deletes a record (no error when missing).
	DeleteRecord(ctx context.Context, typ, id string) error
	// GetCustomer returns a customer of the tenant or ErrNotFound.
	GetCustomer(ctx context.Context, id string) (Customer, error)
	// FindCustomers returns customers by IDs or by a name substring.
	FindCustomers(ctx context.Context, ids []string, name string, limit int) ([]Customer, error)
	// CreateFollowUpTask creates a follow-up task for a customer; Key makes it idempotent.
	CreateFollowUpTask(ctx context.Context, t FollowUpTask) (FollowUpTaskResult, error)
	// Log writes into the host's log, tagged with the plugin and tenant.
	Log(ctx context.Context, level, msg string, fields map[string]string) error
}

// Errors of the host API.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("version conflict")
	ErrInvalid  = errors.New("invalid request")
)

// Record is a document in the plugin's record store.
type Record struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Data      json.RawMessage `json:"data"`
	Version   int64           `json:"version"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Decode decodes the record's data into v.
func (r Record) Decode(v any) error { return json.Unmarshal(r.Data, v) }

// Query selects records. Conditions are on indexed fields; Op is "eq" (default) or "prefix".
type Query struct {
	Type  string
	Where []Condition
	Limit int
	After string
}

// Condition is one condition of a Query.
type Condition struct {
	Field string
	Op    string
	Value string
}

// Eq is a condition field = value.
func Eq(field, value string) Condition { return Condition{Field: field, Op: "eq", Value: value} }

// Customer is a customer as plugins see it (no sensitive fields).
type Customer struct {
	ID            string         `json:"id"`
	Type          string         `json:"type"`
	Name          string         `json:"name"`
	Industry      string         `json:"industry"`
	Region        string         `json:"region"`
	Source        string         `json:"source"`
	Stage         string         `json:"stage"`
	Tier          string         `json:"tier"`
	IntentClass   string         `json:"intent_class"`
	ValueClass    string         `json:"value_class"`
	Employees     int64          `json:"employees"`
	AnnualRevenue string         `json:"annual_revenue"`
	Tags          []string       `json:"tags"`
	OwnerID       string         `json:"owner_id"`
	CustomFields  map[string]any `json:"custom_fields"`
	CreatedAt     time.Time      `json:"created_at"`
	// CreditRating is the customer's current credit rating (e.g. AAA … C, "" unassessed) and
	// RiskLevel its risk level (low, medium, high; "" not evaluated).
	CreditRating string `json:"credit_rating,omitempty"`
	RiskLevel    string `json:"risk_level,omitempty"`
}

// TxSummary is a customer's transactions over the last twelve months.
type TxSummary struct {
	// AnnualPurchase is a decimal string in the tenant's currency.
	AnnualPurchase string     `json:"annual_purchase"`
	OrderCount     int64      `json:"order_count"`
	LastOrderAt    *time.Time `json:"last_order_at"`
}

// AnnualPurchaseValue parses AnnualPurchase (0 when empty or malformed).
func (s TxSummary) AnnualPurchaseValue() float64 {
	f, err := strconv.ParseFloat(s.AnnualPurchase, 64)
	if err != nil {
		return 0
	}
	return f
}

// ClassifyInput is one customer to classify.
type ClassifyInput struct {
	Customer Customer  `json:"customer"`
	Summary  TxSummary `json:"summary"`
}

// ClassifyResult is a classification: Tier key/general/potential, IntentClass "" (leave
// as is) or A/B/C, an optional Score, the reasons, and the Rule set's name.
type ClassifyResult struct {
	Tier        string   `json:"tier"`
	IntentClass string   `json:"intent_class,omitempty"`
	Score       *float64 `json:"score,omitempty"`
	Reasons     []string `json:"reasons"`
	Rule        string   `json:"rule"`
}

// Event is a domain event of the tenant (e.g. customer.created); ID is unique and stable
// across redeliveries.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Entity    string          `json:"entity"`
	EntityID  string          `json:"entity_id"`
	ActorID   string          `json:"actor_id,omitempty"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt time.Time       `json:"created_at"`
}

// HTTPRequest is a request to one of a module's routes, after the host's authentication
// and permission check. Headers hold only what the host passes on (content type, accept,
// language and the trusted X-CRM-* identity headers).
type HTTPRequest struct {
	Route    string
	Method   string
	Path     string
	Params   map[string]string
	RawQuery string
	Headers  map[string]string
	Body     []byte
}

// HTTPResponse is a module's answer.
type HTTPResponse struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// JSON builds a JSON answer.
func JSON(status int, v any) (HTTPResponse, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return HTTPResponse{}, err
	}
	return HTTPResponse{Status: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: b}, nil
}

// Problem builds an application/problem+json answer with a stable code and field errors.
func Problem(status int, code, detail string, fields map[string]string) (HTTPResponse, error) {
	body := map[string]any{"status": status, "code": code, "title": detail, "detail": detail}
	if len(fields) > 0 {
		var errs []map[string]string
		for f, c := range fields {
			errs = append(errs, map[string]string{"field": f, "code": c, "message": f + ": " + c})
		}
		body["errors"] = errs
	}
	b, _ := json.Marshal(body)
	return HTTPResponse{Status: status, Headers: map[string]string{"Content-Type": "application/problem+json"}, Body: b}, nil
}

// FollowUpTask is a follow-up task to create for a customer.
type FollowUpTask struct {
	CustomerID string
	Title      string
	Note       string
	DueAt      *time.Time
	AssigneeID string
	Key        string
}

// FollowUpTaskResult names the task created (or found by Key) and where it is kept:
// "followup" (the CRM's follow-ups) or "plugin_record".
type FollowUpTaskResult struct {
	ID       string
	StoredIn string
}
