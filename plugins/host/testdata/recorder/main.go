// Command recorder is a test plugin: it stores every event it receives in its record store
// (ID = event ID, so a redelivery overwrites) with the order it received them in, and its
// module routes read what it stored — and try what a plugin must not be able to do.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smecrm/crm/plugins/sdk"
)

type recorder struct {
	seq atomic.Int64

	mu       sync.Mutex
	lastHost sdk.Host // the host API of an earlier call, kept against the rules
}

func (*recorder) Manifest() sdk.Manifest {
	return sdk.Manifest{ID: "test-recorder", Name: "Event recorder (test)", Version: "0.0.1",
		Capabilities: []string{sdk.CapEvents, sdk.CapModule},
		RecordTypes:  []sdk.RecordType{{Name: "event", Indexed: []string{"type", "entity_id"}}},
		Permissions: []sdk.Permission{{Object: "probe", Actions: []string{"read", "create"}, Grants: map[string][]string{"general_manager": {"read"}}},
			{Object: "lookup", Actions: []string{"read"}, Grants: map[string][]string{"general_manager": {"read"}, "salesperson": {"read"}}}},
		Routes: []sdk.Route{
			{Name: "events", Method: "GET", Pattern: "/events", Object: "probe", Action: "read"},
			{Name: "event", Method: "GET", Pattern: "/events/{id}", Object: "probe", Action: "read"},
			{Name: "stale", Method: "GET", Pattern: "/stale", Object: "probe", Action: "read"},
			{Name: "headers", Method: "POST", Pattern: "/headers", Object: "probe", Action: "create"},
			{Name: "customers", Method: "GET", Pattern: "/customers/{name}", Object: "lookup", Action: "read"},
			{Name: "customer", Method: "GET", Pattern: "/customer/{id}", Object: "lookup", Action: "read"},
		}}
}

func (r *recorder) OnEvent(ctx context.Context, call *sdk.Call, e sdk.Event) error {
	data, _ := json.Marshal(map[string]any{"type": e.Type, "entity_id": e.EntityID, "seq": r.seq.Add(1),
		"tenant_seen": call.TenantID, "received_at": time.Now().UnixNano()})
	_, err := call.Host.PutRecord(ctx, sdk.Record{Type: "event", ID: e.ID, Data: data}, 0)
	r.mu.Lock()
	r.lastHost = call.Host
	r.mu.Unlock()
	return err
}

func (r *recorder) HandleHTTP(ctx context.Context, call *sdk.Call, req sdk.HTTPRequest) (sdk.HTTPResponse, error) {
	switch req.Route {
	case "events":
		var all []sdk.Record
		after := ""
		for {
			recs, next, err := call.Host.QueryRecords(ctx, sdk.Query{Type: "event", After: after, Limit: 200})
			if err != nil {
				return sdk.HTTPResponse{}, err
			}
			all = append(all, recs...)
			if next == "" {
				break
			}
			after = next
		}
		return sdk.JSON(200, map[string]any{"items": all})
	case "event":
		rec, err := call.Host.GetRecord(ctx, "event", req.Params["id"])
		if errors.Is(err, sdk.ErrNotFound) {
			return sdk.Problem(404, "not_found", "no such event", nil)
		}
		if err != nil {
			return sdk.HTTPResponse{}, err
		}
		return sdk.JSON(200, rec)
	case "stale":
		r.mu.Lock()
		h := r.lastHost
		r.mu.Unlock()
		if h == nil {
			return sdk.JSON(200, map[string]any{"stale": "no earlier call"})
		}
		recs, _, err := h.QueryRecords(ctx, sdk.Query{Type: "event"})
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		return sdk.JSON(200, map[string]any{"stale_error": msg, "stale_records": len(recs)})
	case "customers": // what the host's customer search gives this call
		cs, err := call.Host.FindCustomers(ctx, nil, req.Params["name"], 200)
		if err != nil {
			return sdk.HTTPResponse{}, err
		}
		return sdk.JSON(200, map[string]any{"items": cs})
	case "customer":
		c, err := call.Host.GetCustomer(ctx, req.Params["id"])
		if errors.Is(err, sdk.ErrNotFound) {
			return sdk.Problem(404, "not_found", "no such customer", nil)
		}
		if err != nil {
			return sdk.HTTPResponse{}, err
		}
		return sdk.JSON(200, c)
	case "headers":
		return sdk.JSON(201, map[string]any{"headers": req.Headers, "tenant": call.TenantID, "user": call.UserID, "roles": call.Roles, "body": string(req.Body)})
	}
	return sdk.Problem(404, "not_found", "no route", nil)
}

func main() {
	r := &recorder{}
	sdk.Serve(r)
}
