package cv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/smecrm/crm/plugins/sdk"
)

// errAnswer is an HTTP answer to give instead of a result.
type errAnswer struct{ res sdk.HTTPResponse }

func (e *errAnswer) Error() string { return fmt.Sprintf("answer %d", e.res.Status) }

func answer(status int, code, detail string, fields map[string]string) error {
	res, _ := sdk.Problem(status, code, detail, fields)
	return &errAnswer{res}
}

func invalid(field, code string) error {
	return answer(422, "validation_failed", "invalid input", map[string]string{field: code})
}

var notFound = answer(404, "not_found", "not found", nil)

// req is one request being handled.
type req struct {
	ctx  context.Context
	call *sdk.Call
	r    sdk.HTTPRequest
	q    url.Values
}

// HandleHTTP dispatches a request by its route name.
func (m Module) HandleHTTP(ctx context.Context, call *sdk.Call, r sdk.HTTPRequest) (sdk.HTTPResponse, error) {
	q, _ := url.ParseQuery(r.RawQuery)
	x := &req{ctx: ctx, call: call, r: r, q: q}
	h, ok := handlers[r.Route]
	if !ok {
		return sdk.Problem(404, "not_found", "no such route", nil)
	}
	status, out, err := h(x)
	var ea *errAnswer
	if errors.As(err, &ea) {
		return ea.res, nil
	}
	if errors.Is(err, sdk.ErrNotFound) {
		return sdk.Problem(404, "not_found", "not found", nil)
	}
	if errors.Is(err, sdk.ErrConflict) {
		return sdk.Problem(409, "conflict", "changed meanwhile; read it again", nil)
	}
	if err != nil {
		return sdk.HTTPResponse{}, err
	}
	return sdk.JSON(status, out)
}

type handler func(x *req) (int, any, error)

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"listVehicles": listVehicles, "createVehicle": createVehicle, "getVehicle": getVehicle, "updateVehicle": updateVehicle,
		"listOutlets": listOutlets, "createOutlet": createOutlet, "getOutlet": getOutlet,
		"listStock": listStock, "putStock": putStock, "reorder": reorder,
		"listRepairs": listRepairs, "reportRepair": reportRepair, "getRepair": getRepair,
		"diagnose": diagnose, "repair": doRepair, "revisit": revisit,
		"listRecalls": listRecalls, "createRecall": createRecall, "getRecall": getRecall,
		"getProspect": getProspect, "putProspect": putProspect,
	}
}

// decode reads the JSON body strictly: malformed JSON answers 400, unknown fields 422.
func (x *req) decode(v any) error {
	if len(bytes.TrimSpace(x.r.Body)) == 0 {
		return answer(400, "bad_request", "a JSON body is required", nil)
	}
	d := json.NewDecoder(bytes.NewReader(x.r.Body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return answer(400, "bad_request", "malformed JSON", nil)
		case errors.As(err, &te):
			return invalid(te.Field, "invalid_type")
		}
		return answer(422, "validation_failed", err.Error(), nil)
	}
	return nil
}

// doc is a stored document with its record's ID and version.
type doc[T any] struct {
	V   T
	Rec sdk.Record
}

func load[T any](x *req, typ, id string) (doc[T], error) {
	rec, err := x.call.Host.GetRecord(x.ctx, typ, id)
	if err != nil {
		return doc[T]{}, err
	}
	var v T
	if err := rec.Decode(&v); err != nil {
		return doc[T]{}, err
	}
	return doc[T]{V: v, Rec: rec}, nil
}

func save(x *req, typ, id string, v any, expected int64) (sdk.Record, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return sdk.Record{}, err
	}
	return x.call.Host.PutRecord(x.ctx, sdk.Record{Type: typ, ID: id, Data: b}, expected)
}

// view merges a record's ID, version and times into its document for the answer.
func view(rec sdk.Record) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(rec.Data, &m)
	m["id"], m["version"], m["created_at"], m["updated_at"] = rec.ID, rec.Version, rec.CreatedAt, rec.UpdatedAt
	return m
}

// page lists records of typ matching conds, with the project's list shape.
func (x *req) page(typ string, conds []sdk.Condition) (int, any, error) {
	limit := 50
	if s := x.q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			return 0, nil, invalid("limit", "out_of_range")
		}
		limit = n
	}
	recs, next, err := x.call.Host.QueryRecords(x.ctx, sdk.Query{Type: typ, Where: conds, Limit: limit, After: x.q.Get("cursor")})
	if err != nil {
		return 0, nil, err
	}
	items := make([]map[string]any, len(recs))
	for i, r := range recs {
		items[i] = view(r)
	}
	var nc *string
	if next != "" {
		nc = &next
	}
	return 200, map[string]any{"items": items, "next_cursor": nc}, nil
}

// filters turns the named query parameters into conditions.
func (x *req) filters(names ...string) []sdk.Condition {
	var out []sdk.Condition
	for _, n := range names {
		if v := x.q.Get(n); v != "" {
			out = append(out, sdk.Eq(n, v))
		}
	}
	return out
}

// customer checks that id is a customer of the tenant (the host answers for this tenant only).
func (x *req) customer(field, id string) (sdk.Customer, error) {
	if id == "" {
		return sdk.Customer{}, invalid(field, "required")
	}
	c, err := x.call.Host.GetCustomer(x.ctx, id)
	if errors.Is(err, sdk.ErrNotFound) {
		return sdk.Customer{}, invalid(field, "not_found")
	}
	return c, err
}

func now() time.Time { return time.Now().UTC() }
