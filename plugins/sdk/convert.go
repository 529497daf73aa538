package sdk

import (
	"encoding/json"
	"time"

	pb "github.com/smecrm/crm/plugins/sdk/proto"
)

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// ManifestToPB converts a manifest to its wire form.
func ManifestToPB(m Manifest) *pb.Manifest {
	out := &pb.Manifest{Id: m.ID, Name: m.Name, Version: m.Version, Description: m.Description,
		ProtocolVersion: uint32(m.ProtocolVersion), Capabilities: m.Capabilities, EventTypes: m.EventTypes,
		ConfigSchema: m.ConfigSchema}
	for _, r := range m.RecordTypes {
		out.RecordTypes = append(out.RecordTypes, &pb.RecordType{Name: r.Name, Indexed: r.Indexed})
	}
	for _, r := range m.Routes {
		out.Routes = append(out.Routes, &pb.Route{Name: r.Name, Method: r.Method, Pattern: r.Pattern, Object: r.Object, Action: r.Action})
	}
	for _, p := range m.Permissions {
		pp := &pb.Permission{Object: p.Object, Actions: p.Actions, Description: p.Description}
		for role, acts := range p.Grants {
			pp.Grants = append(pp.Grants, &pb.Grant{Role: role, Actions: acts})
		}
		out.Permissions = append(out.Permissions, pp)
	}
	return out
}

// ManifestFromPB converts a manifest from its wire form.
func ManifestFromPB(m *pb.Manifest) Manifest {
	out := Manifest{ID: m.GetId(), Name: m.GetName(), Version: m.GetVersion(), Description: m.GetDescription(),
		ProtocolVersion: int(m.GetProtocolVersion()), Capabilities: m.GetCapabilities(), EventTypes: m.GetEventTypes(),
		ConfigSchema: m.GetConfigSchema()}
	for _, r := range m.GetRecordTypes() {
		out.RecordTypes = append(out.RecordTypes, RecordType{Name: r.GetName(), Indexed: r.GetIndexed()})
	}
	for _, r := range m.GetRoutes() {
		out.Routes = append(out.Routes, Route{Name: r.GetName(), Method: r.GetMethod(), Pattern: r.GetPattern(), Object: r.GetObject(), Action: r.GetAction()})
	}
	for _, p := range m.GetPermissions() {
		pp := Permission{Object: p.GetObject(), Actions: p.GetActions(), Description: p.GetDescription(), Grants: map[string][]string{}}
		for _, g := range p.GetGrants() {
			pp.Grants[g.GetRole()] = g.GetActions()
		}
		out.Permissions = append(out.Permissions, pp)
	}
	return out
}

// CustomerToPB converts a customer to its wire form.
func CustomerToPB(c Customer) *pb.Customer {
	var cf []byte
	if c.CustomFields != nil {
		cf, _ = json.Marshal(c.CustomFields)
	}
	return &pb.Customer{Id: c.ID, Type: c.Type, Name: c.Name, Industry: c.Industry, Region: c.Region, Source: c.Source,
		Stage: c.Stage, Tier: c.Tier, IntentClass: c.IntentClass, ValueClass: c.ValueClass, Employees: c.Employees,
		AnnualRevenue: c.AnnualRevenue, Tags: c.Tags, OwnerId: c.OwnerID, CustomFields: cf, CreatedAt: fmtTime(c.CreatedAt),
		CreditRating: c.CreditRating, RiskLevel: c.RiskLevel}
}

// CustomerFromPB converts a customer from its wire form.
func CustomerFromPB(c *pb.Customer) Customer {
	out := Customer{ID: c.GetId(), Type: c.GetType(), Name: c.GetName(), Industry: c.GetIndustry(), Region: c.GetRegion(),
		Source: c.GetSource(), Stage: c.GetStage(), Tier: c.GetTier(), IntentClass: c.GetIntentClass(), ValueClass: c.GetValueClass(),
		Employees: c.GetEmployees(), AnnualRevenue: c.GetAnnualRevenue(), Tags: c.GetTags(), OwnerID: c.GetOwnerId(),
		CreatedAt: parseTime(c.GetCreatedAt()), CreditRating: c.GetCreditRating(), RiskLevel: c.GetRiskLevel()}
	if len(c.GetCustomFields()) > 0 {
		_ = json.Unmarshal(c.GetCustomFields(), &out.CustomFields)
	}
	return out
}

// ClassifyInputToPB converts a classification input to its wire form.
func ClassifyInputToPB(in ClassifyInput) *pb.ClassifyInput {
	s := &pb.TxSummary{AnnualPurchase: in.Summary.AnnualPurchase, OrderCount: in.Summary.OrderCount}
	if in.Summary.LastOrderAt != nil {
		s.LastOrderAt = fmtTime(*in.Summary.LastOrderAt)
	}
	return &pb.ClassifyInput{Customer: CustomerToPB(in.Customer), Summary: s}
}

// ClassifyInputFromPB converts a classification input from its wire form.
func ClassifyInputFromPB(in *pb.ClassifyInput) ClassifyInput {
	out := ClassifyInput{Customer: CustomerFromPB(in.GetCustomer())}
	s := in.GetSummary()
	out.Summary = TxSummary{AnnualPurchase: s.GetAnnualPurchase(), OrderCount: s.GetOrderCount()}
	if s.GetLastOrderAt() != "" {
		t := parseTime(s.GetLastOrderAt())
		out.Summary.LastOrderAt = &t
	}
	return out
}

// ClassifyResultToPB converts a result to its wire form.
func ClassifyResultToPB(r ClassifyResult) *pb.ClassifyResult {
	out := &pb.ClassifyResult{Tier: r.Tier, IntentClass: r.IntentClass, Reasons: r.Reasons, Rule: r.Rule}
	if r.Score != nil {
		out.HasScore, out.Score = true, *r.Score
	}
	return out
}

// ClassifyResultFromPB converts a result from its wire form.
func ClassifyResultFromPB(r *pb.ClassifyResult) ClassifyResult {
	out := ClassifyResult{Tier: r.GetTier(), IntentClass: r.GetIntentClass(), Reasons: r.GetReasons(), Rule: r.GetRule()}
	if r.GetHasScore() {
		s := r.GetScore()
		out.Score = &s
	}
	return out
}

// EventToPB converts an event to its wire form.
func EventToPB(e Event) *pb.Event {
	return &pb.Event{Id: e.ID, Type: e.Type, Entity: e.Entity, EntityId: e.EntityID, ActorId: e.ActorID,
		Payload: e.Payload, CreatedAt: fmtTime(e.CreatedAt)}
}

// EventFromPB converts an event from its wire form.
func EventFromPB(e *pb.Event) Event {
	return Event{ID: e.GetId(), Type: e.GetType(), Entity: e.GetEntity(), EntityID: e.GetEntityId(), ActorID: e.GetActorId(),
		Payload: e.GetPayload(), CreatedAt: parseTime(e.GetCreatedAt())}
}

// RecordToPB converts a record to its wire form.
func RecordToPB(r Record) *pb.Record {
	return &pb.Record{Type: r.Type, Id: r.ID, Data: r.Data, Version: r.Version, CreatedAt: fmtTime(r.CreatedAt), UpdatedAt: fmtTime(r.UpdatedAt)}
}

// RecordFromPB converts a record from its wire form.
func RecordFromPB(r *pb.Record) Record {
	return Record{Type: r.GetType(), ID: r.GetId(), Data: r.GetData(), Version: r.GetVersion(),
		CreatedAt: parseTime(r.GetCreatedAt()), UpdatedAt: parseTime(r.GetUpdatedAt())}
}

func headersToPB(h map[string]string) []*pb.Header {
	out := make([]*pb.Header, 0, len(h))
	for k, v := range h {
		out = append(out, &pb.Header{Name: k, Value: v})
	}
	return out
}

func headersFromPB(h []*pb.Header) map[string]string {
	out := make(map[string]string, len(h))
	for _, x := range h {
		out[x.GetName()] = x.GetValue()
	}
	return out
}
