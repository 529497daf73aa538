package webhook

import (
	"encoding/json"
	"slices"
	"sort"
	"sync"

	"github.com/swaggest/jsonschema-go"

	"github.com/smecrm/crm/app/complaint"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/followup"
	"github.com/smecrm/crm/app/incident"
	"github.com/smecrm/crm/app/lead"
	"github.com/smecrm/crm/app/need"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/risk"
	"github.com/smecrm/crm/app/service"
	"github.com/smecrm/crm/app/survey"
)

// The catalogue of event types an endpoint can subscribe to: the outbox events the product
// writes (one family per kind of record, its types as the areas publish them), each with the
// permission object its records are read under, the payload's shape (a JSON schema reflected
// from the same Go type the area puts in the event, so it cannot drift from what is sent) and
// which fields of the record place it in a data scope.

// Family is the events of one kind of record.
type Family struct {
	// Entity is the outbox entity; Key the payload field the record is under.
	Entity, Key string
	// Object is the permission object the endpoint's owner needs read on.
	Object string
	// Types are the event types, e.g. customer.created.
	Types []string
	// Scoped: the record is seen only within a data scope, through one of Owners (owner
	// field, department field) of the record; unscoped records (incidents) are the tenant's.
	Scoped bool
	Owners [][2]string
	// Sample is a value of the record's Go type, for its schema.
	Sample any
	// InPool: a record flagged in_pool is visible to everyone who may read the object.
	InPool bool
}

var ownerDept = [][2]string{{"owner_id", "department_id"}}

// Families is the catalogue.
var Families = []Family{
	{Entity: "customer", Key: "customer", Object: "customer", Scoped: true, Owners: ownerDept, InPool: true, Sample: customer.View{},
		Types: []string{"customer.created", "customer.updated", "customer.deleted", "customer.restored", "customer.merged",
			"customer.claimed", "customer.released", "customer.recycled", "customer.churned", "customer.classified",
			"customer.pool_warning"}},
	{Entity: "contact", Key: "contact", Object: "contact", Scoped: true, Owners: ownerDept, Sample: customer.ContactView{},
		Types: []string{"contact.created", "contact.updated", "contact.deleted"}},
	{Entity: "lead", Key: "lead", Object: "lead", Scoped: true, Owners: ownerDept, Sample: lead.View{},
		Types: []string{"lead.created", "lead.updated", "lead.converted", "lead.deleted"}},
	{Entity: "followup", Key: "follow_up", Object: "followup", Scoped: true, Owners: ownerDept, Sample: followup.View{},
		Types: []string{"followup.logged"}},
	{Entity: "opportunity", Key: "opportunity", Object: "opportunity", Scoped: true, Owners: ownerDept, Sample: opportunity.View{},
		Types: []string{"opportunity.created", "opportunity.updated", "opportunity.stage_changed"}},
	{Entity: "need", Key: "need", Object: "customer", Scoped: true, Owners: ownerDept, Sample: need.View{},
		Types: []string{"need.created", "need.updated", "need.in_progress", "need.resolved", "need.declined"}},
	{Entity: "quote", Key: "quote", Object: "quote", Scoped: true, Owners: ownerDept, Sample: deal.QuoteView{},
		Types: []string{"quote.created", "quote.updated", "quote.sent", "quote.accepted", "quote.rejected"}},
	{Entity: "contract", Key: "contract", Object: "contract", Scoped: true, Owners: ownerDept, Sample: deal.ContractView{},
		Types: []string{"contract.created", "contract.updated", "contract.submitted", "contract.approved", "contract.rejected",
			"contract.signed"}},
	{Entity: "order", Key: "order", Object: "order", Scoped: true, Owners: ownerDept, Sample: deal.OrderView{},
		Types: []string{"order.created", "order.updated", "order.shipped", "order.delivered", "order.cancelled"}},
	{Entity: "payment", Key: "payment", Object: "payment", Scoped: true, Owners: ownerDept, Sample: deal.PaymentView{},
		Types: []string{"payment.received", "payment.updated"}},
	{Entity: "work_order", Key: "work_order", Object: "workorder", Scoped: true, Sample: service.View{},
		Owners: [][2]string{{"technician_id", "department_id"}, {"registered_by", "registered_department_id"}},
		Types: []string{"work_order.registered", "work_order.updated", "work_order.dispatched", "work_order.claimed",
			"work_order.accepted", "work_order.declined", "work_order.started", "work_order.held", "work_order.record_added",
			"work_order.completed", "work_order.countersigned", "work_order.signed_off", "work_order.charged",
			"work_order.invoiced", "work_order.closed", "work_order.cancelled", "work_order.carried_over",
			"work_order.remote_applied", "work_order.remote_approved", "work_order.remote_rejected"}},
	{Entity: "remote_application", Key: "remote_application", Object: "workorder", Scoped: true, Owners: ownerDept, Sample: service.RemoteView{},
		Types: []string{"remote_application.submitted", "remote_application.approved", "remote_application.rejected"}},
	{Entity: "incident", Key: "incident", Object: "incident", Sample: incident.View{},
		Types: []string{"incident.created", "incident.updated", "incident.status_changed"}},
	{Entity: "survey", Key: "survey", Object: "survey", Scoped: true, Sample: survey.View{},
		Owners: [][2]string{{"technician_id", "department_id"}, {"registered_by", "registered_department_id"}},
		Types:  []string{"survey.created", "survey.received"}},
	// A complaint is seen through its handler and its responsible person (the customer's owner,
	// the third way in, is not in the event, so an owner-only reader is not sent it).
	{Entity: "complaint", Key: "complaint", Object: "complaint", Scoped: true, Sample: complaint.View{},
		Owners: [][2]string{{"handler_id", "department_id"}, {"responsible_user_id", "responsible_department_id"}},
		Types:  []string{"complaint.opened", "complaint.status_changed", "complaint.overdue", "complaint.closed"}},
	// Credit assessments and risk warnings are seen through their customer, which the event
	// does not carry an owner of: only readers whose scope is the whole company get them.
	{Entity: "credit_assessment", Key: "assessment", Object: "risk", Scoped: true, Sample: risk.AssessmentView{},
		Types: []string{"credit.assessed", "credit.approved", "credit.rejected"}},
	{Entity: "risk_warning", Key: "warning", Object: "risk", Scoped: true, Sample: risk.WarningView{},
		Types: []string{"risk.warning_raised", "risk.warning_resolved", "risk.measure_recorded"}},
}

// TestEventType is the type of the events sent by POST /webhooks/{id}/test; every endpoint
// may receive it whatever it subscribed to.
const TestEventType = "webhook.test"

// EventType is one entry of GET /webhook-event-types.
type EventType struct {
	Type   string          `json:"type"`
	Entity string          `json:"entity"`
	Object string          `json:"object"`
	Schema json.RawMessage `json:"schema"`
}

// EventTypes is the catalogue's answer.
type EventTypes struct {
	Items []EventType `json:"items"`
}

var (
	catalogOnce sync.Once
	catalog     EventTypes
	familyOf    map[string]*Family
)

func loadCatalog() {
	familyOf = map[string]*Family{}
	r := jsonschema.Reflector{}
	for i := range Families {
		f := &Families[i]
		rec, err := r.Reflect(f.Sample, jsonschema.InlineRefs)
		if err != nil {
			panic("webhook: schema of " + f.Entity + ": " + err.Error())
		}
		for _, t := range f.Types {
			familyOf[t] = f
			catalog.Items = append(catalog.Items, EventType{Type: t, Entity: f.Entity, Object: f.Object, Schema: envelope(t, f.Key, rec)})
		}
	}
	catalog.Items = append(catalog.Items, EventType{Type: TestEventType, Entity: "webhook", Object: "webhook", Schema: envelope(TestEventType, "message", stringSchema())})
	sort.Slice(catalog.Items, func(i, j int) bool { return catalog.Items[i].Type < catalog.Items[j].Type })
}

func stringSchema() jsonschema.Schema {
	s := jsonschema.Schema{}
	s.AddType(jsonschema.String)
	return s
}

// envelope is the schema of the whole body: the Standard Webhooks payload structure, with the
// record under data.<key>.
func envelope(typ, key string, rec jsonschema.Schema) json.RawMessage {
	str := stringSchema()
	typeSchema := stringSchema()
	typeSchema.WithConst(typ)
	ts := stringSchema()
	ts.WithFormat("date-time")
	data := jsonschema.Schema{}
	data.AddType(jsonschema.Object)
	data.WithProperties(map[string]jsonschema.SchemaOrBool{key: rec.ToSchemaOrBool()})
	data.WithRequired(key)
	body := jsonschema.Schema{}
	body.AddType(jsonschema.Object)
	body.WithSchema("https://json-schema.org/draft/2020-12/schema")
	body.WithTitle(typ)
	body.WithProperties(map[string]jsonschema.SchemaOrBool{
		"type": typeSchema.ToSchemaOrBool(), "timestamp": ts.ToSchemaOrBool(), "event_id": str.ToSchemaOrBool(),
		"entity_id": str.ToSchemaOrBool(), "data": data.ToSchemaOrBool(),
	})
	body.WithRequired("type", "timestamp", "data")
	raw, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return raw
}

// Catalog answers the event types with their schemas, sorted by type.
func Catalog() EventTypes {
	catalogOnce.Do(loadCatalog)
	return catalog
}

// family answers the family of an event type (nil for types not in the catalogue).
func family(typ string) *Family {
	catalogOnce.Do(loadCatalog)
	return familyOf[typ]
}

// knownType reports whether typ may be subscribed to.
func knownType(typ string) bool {
	return family(typ) != nil
}

// subscribed reports whether an endpoint with types wants typ.
func subscribed(types []string, typ string) bool {
	return slices.Contains(types, typ)
}
