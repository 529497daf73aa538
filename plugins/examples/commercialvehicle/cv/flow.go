package cv

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/smecrm/crm/plugins/sdk"
)

// Repair statuses, in order.
const (
	StatusReported  = "reported"
	StatusDiagnosed = "diagnosed"
	StatusRepaired  = "repaired"
	StatusRevisited = "revisited"
)

func listRepairs(x *req) (int, any, error) {
	return x.page(TRepair, x.filters("vehicle_id", "customer_id", "outlet_id", "status"))
}

// reportRepair opens a repair case (報修) for a registered vehicle at an outlet.
func reportRepair(x *req) (int, any, error) {
	var in struct {
		VehicleID string `json:"vehicle_id"`
		OutletID  string `json:"outlet_id"`
		Complaint string `json:"complaint"`
	}
	if err := x.decode(&in); err != nil {
		return 0, nil, err
	}
	complaint, err := text("complaint", in.Complaint, true, 2000)
	if err != nil {
		return 0, nil, err
	}
	v, err := load[Vehicle](x, TVehicle, strings.ToUpper(strings.TrimSpace(in.VehicleID)))
	if errors.Is(err, sdk.ErrNotFound) || in.VehicleID == "" {
		return 0, nil, invalid("vehicle_id", "not_found")
	} else if err != nil {
		return 0, nil, err
	}
	if _, err := x.call.Host.GetRecord(x.ctx, TOutlet, in.OutletID); errors.Is(err, sdk.ErrNotFound) || in.OutletID == "" {
		return 0, nil, invalid("outlet_id", "not_found")
	} else if err != nil {
		return 0, nil, err
	}
	r := Repair{VehicleID: v.Rec.ID, CustomerID: v.V.CustomerID, OutletID: in.OutletID, Status: StatusReported, Complaint: complaint, ReportedAt: now()}
	rec, err := save(x, TRepair, "", r, 0)
	if err != nil {
		return 0, nil, err
	}
	return 201, view(rec), nil
}

func getRepair(x *req) (int, any, error) {
	rec, err := x.call.Host.GetRecord(x.ctx, TRepair, x.r.Params["id"])
	if err != nil {
		return 0, nil, err
	}
	return 200, view(rec), nil
}

// step loads a repair, checks it is at status from, and saves what change makes of it.
func step(x *req, from, to string, change func(r *Repair) error) (int, any, error) {
	d, err := load[Repair](x, TRepair, x.r.Params["id"])
	if err != nil {
		return 0, nil, err
	}
	if d.V.Status != from {
		return 0, nil, answer(409, "conflict", fmt.Sprintf("the repair is %s; this step needs it %s", d.V.Status, from), nil)
	}
	r := d.V
	if err := change(&r); err != nil {
		return 0, nil, err
	}
	r.Status = to
	rec, err := save(x, TRepair, d.Rec.ID, r, d.Rec.Version)
	if err != nil {
		return 0, nil, err
	}
	return 200, view(rec), nil
}

// diagnose records the fault found (故障診斷).
func diagnose(x *req) (int, any, error) {
	var in struct {
		Fault      string `json:"fault"`
		Technician string `json:"technician"`
	}
	if err := x.decode(&in); err != nil {
		return 0, nil, err
	}
	fault, err := text("fault", in.Fault, true, 2000)
	if err != nil {
		return 0, nil, err
	}
	tech, err := text("technician", in.Technician, true, 100)
	if err != nil {
		return 0, nil, err
	}
	return step(x, StatusReported, StatusDiagnosed, func(r *Repair) error {
		r.Diagnosis = &Diagnosis{Fault: fault, Technician: tech, At: now()}
		return nil
	})
}

// doRepair records the repair (維修) with the parts and batches used: each part is taken
// from the outlet's inventory, and each fitted batch is recorded against the vehicle for
// traceability.
func doRepair(x *req) (int, any, error) {
	var in struct {
		Description string     `json:"description"`
		Parts       []PartUsed `json:"parts"`
	}
	if err := x.decode(&in); err != nil {
		return 0, nil, err
	}
	desc, err := text("description", in.Description, true, 2000)
	if err != nil {
		return 0, nil, err
	}
	if len(in.Parts) > 100 {
		return 0, nil, invalid("parts", "too_long")
	}
	d, err := load[Repair](x, TRepair, x.r.Params["id"])
	if err != nil {
		return 0, nil, err
	}
	if d.V.Status != StatusDiagnosed {
		return 0, nil, answer(409, "conflict", fmt.Sprintf("the repair is %s; this step needs it %s", d.V.Status, StatusDiagnosed), nil)
	}
	// Check every part first, so that a bad line changes nothing.
	need := map[string]int64{}
	for i, p := range in.Parts {
		if !partNoRE.MatchString(p.PartNo) {
			return 0, nil, invalid(fmt.Sprintf("parts[%d].part_no", i), "invalid_format")
		}
		if !partNoRE.MatchString(p.BatchNo) {
			return 0, nil, invalid(fmt.Sprintf("parts[%d].batch_no", i), "invalid_format")
		}
		if p.Quantity < 1 || p.Quantity > 1000 {
			return 0, nil, invalid(fmt.Sprintf("parts[%d].quantity", i), "out_of_range")
		}
		need[p.PartNo] += p.Quantity
	}
	stocks := map[string]doc[Stock]{}
	for part, n := range need {
		s, err := load[Stock](x, TStock, stockID(d.V.OutletID, part))
		if errors.Is(err, sdk.ErrNotFound) {
			return 0, nil, answer(422, "validation_failed", "the outlet does not stock "+part, map[string]string{"parts": "not_in_stock"})
		} else if err != nil {
			return 0, nil, err
		}
		if s.V.Quantity < n {
			return 0, nil, answer(409, "conflict", fmt.Sprintf("only %d of %s in stock", s.V.Quantity, part), map[string]string{"parts": "insufficient_stock"})
		}
		stocks[part] = s
	}
	parts := make([]string, 0, len(stocks))
	for p := range stocks {
		parts = append(parts, p)
	}
	sort.Strings(parts)
	for _, part := range parts {
		s := stocks[part]
		s.V.Quantity -= need[part]
		s.V.BelowReorder = fmt.Sprint(s.V.Quantity <= s.V.ReorderLevel)
		if _, err := save(x, TStock, s.Rec.ID, s.V, s.Rec.Version); err != nil {
			return 0, nil, err
		}
	}
	at := now()
	for i, p := range in.Parts {
		u := PartUse{RepairID: d.Rec.ID, VehicleID: d.V.VehicleID, CustomerID: d.V.CustomerID, OutletID: d.V.OutletID,
			PartNo: p.PartNo, BatchNo: p.BatchNo, Quantity: p.Quantity, At: at}
		if _, err := save(x, TPartUse, fmt.Sprintf("%s:%d", d.Rec.ID, i), u, 0); err != nil {
			return 0, nil, err
		}
	}
	r := d.V
	if in.Parts == nil {
		in.Parts = []PartUsed{}
	}
	r.Work = &Work{Description: desc, Parts: in.Parts, At: at}
	r.Status = StatusRepaired
	rec, err := save(x, TRepair, d.Rec.ID, r, d.Rec.Version)
	if err != nil {
		return 0, nil, err
	}
	return 200, view(rec), nil
}

// revisit records the service call-back (服務回訪) and closes the case.
func revisit(x *req) (int, any, error) {
	var in struct {
		Satisfaction int    `json:"satisfaction"`
		Note         string `json:"note"`
	}
	if err := x.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Satisfaction < 1 || in.Satisfaction > 5 {
		return 0, nil, invalid("satisfaction", "out_of_range")
	}
	note, err := text("note", in.Note, false, 2000)
	if err != nil {
		return 0, nil, err
	}
	return step(x, StatusRepaired, StatusRevisited, func(r *Repair) error {
		r.Revisit = &Revisit{Satisfaction: in.Satisfaction, Note: note, At: now()}
		return nil
	})
}

// --- recalls ---

func listRecalls(x *req) (int, any, error) { return x.page(TRecall, x.filters("part_no", "batch_no")) }

func getRecall(x *req) (int, any, error) {
	rec, err := x.call.Host.GetRecord(x.ctx, TRecall, x.r.Params["id"])
	if err != nil {
		return 0, nil, err
	}
	return 200, view(rec), nil
}

// createRecall recalls a batch of a part (召回): every vehicle the batch was fitted to in a
// repair is listed with its current owner, and each affected customer gets one follow-up
// task through the host.
func createRecall(x *req) (int, any, error) {
	var in struct {
		PartNo  string `json:"part_no"`
		BatchNo string `json:"batch_no"`
		Reason  string `json:"reason"`
	}
	if err := x.decode(&in); err != nil {
		return 0, nil, err
	}
	if !partNoRE.MatchString(in.PartNo) {
		return 0, nil, invalid("part_no", "invalid_format")
	}
	if !partNoRE.MatchString(in.BatchNo) {
		return 0, nil, invalid("batch_no", "invalid_format")
	}
	reason, err := text("reason", in.Reason, true, 2000)
	if err != nil {
		return 0, nil, err
	}
	var uses []sdk.Record
	after := ""
	for {
		recs, next, err := x.call.Host.QueryRecords(x.ctx, sdk.Query{Type: TPartUse, After: after, Limit: 500,
			Where: []sdk.Condition{sdk.Eq("batch_no", in.BatchNo), sdk.Eq("part_no", in.PartNo)}})
		if err != nil {
			return 0, nil, err
		}
		uses = append(uses, recs...)
		if next == "" {
			break
		}
		after = next
	}
	rc := Recall{PartNo: in.PartNo, BatchNo: in.BatchNo, Reason: reason, Vehicles: []RecallItem{}, Customers: []RecallTarget{}}
	seenVehicle, seenCustomer := map[string]bool{}, map[string]bool{}
	var customers []string
	for _, u := range uses {
		var pu PartUse
		if err := u.Decode(&pu); err != nil || seenVehicle[pu.VehicleID] {
			continue
		}
		seenVehicle[pu.VehicleID] = true
		item := RecallItem{VehicleID: pu.VehicleID, VIN: pu.VehicleID, CustomerID: pu.CustomerID, RepairID: pu.RepairID}
		if v, err := load[Vehicle](x, TVehicle, pu.VehicleID); err == nil {
			item.VIN, item.CustomerID = v.V.VIN, v.V.CustomerID // the owner now
		}
		rc.Vehicles = append(rc.Vehicles, item)
		if item.CustomerID != "" && !seenCustomer[item.CustomerID] {
			seenCustomer[item.CustomerID] = true
			customers = append(customers, item.CustomerID)
		}
	}
	rec, err := save(x, TRecall, "", rc, 0)
	if err != nil {
		return 0, nil, err
	}
	for _, cid := range customers {
		c, err := x.call.Host.GetCustomer(x.ctx, cid)
		if errors.Is(err, sdk.ErrNotFound) {
			continue // deleted meanwhile
		} else if err != nil {
			return 0, nil, err
		}
		var vins []string
		for _, v := range rc.Vehicles {
			if v.CustomerID == cid {
				vins = append(vins, v.VIN)
			}
		}
		task, err := x.call.Host.CreateFollowUpTask(x.ctx, sdk.FollowUpTask{CustomerID: cid,
			Title: fmt.Sprintf("召回 Recall: %s batch %s", in.PartNo, in.BatchNo),
			Note:  fmt.Sprintf("%s\nVIN: %s", reason, strings.Join(vins, ", ")), Key: "recall-" + rec.ID + "-" + cid})
		if err != nil {
			return 0, nil, err
		}
		rc.Customers = append(rc.Customers, RecallTarget{CustomerID: cid, Name: c.Name, OwnerID: c.OwnerID, TaskID: task.ID, TaskStored: task.StoredIn})
	}
	if rec, err = save(x, TRecall, rec.ID, rc, rec.Version); err != nil {
		return 0, nil, err
	}
	return 201, view(rec), nil
}

// --- prospects ---

func getProspect(x *req) (int, any, error) {
	rec, err := x.call.Host.GetRecord(x.ctx, TProspect, x.r.Params["customer_id"])
	if err != nil {
		return 0, nil, err
	}
	return 200, view(rec), nil
}

// putProspect sets a prospect's intended model and quantity.
func putProspect(x *req) (int, any, error) {
	cid := x.r.Params["customer_id"]
	if _, err := x.call.Host.GetCustomer(x.ctx, cid); err != nil {
		return 0, nil, err
	}
	var in struct {
		IntendedModel string `json:"intended_model"`
		Quantity      int64  `json:"quantity"`
	}
	if err := x.decode(&in); err != nil {
		return 0, nil, err
	}
	model, err := text("intended_model", in.IntendedModel, true, 100)
	if err != nil {
		return 0, nil, err
	}
	if in.Quantity < 1 || in.Quantity > 100_000 {
		return 0, nil, invalid("quantity", "out_of_range")
	}
	rec, err := save(x, TProspect, cid, Prospect{CustomerID: cid, IntendedModel: model, Quantity: in.Quantity}, 0)
	if err != nil {
		return 0, nil, err
	}
	return 200, view(rec), nil
}
