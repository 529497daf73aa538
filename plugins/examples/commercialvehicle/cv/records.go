package cv

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/smecrm/crm/plugins/sdk"
)

// Vehicle is a registered vehicle.
type Vehicle struct {
	VIN           string `json:"vin"`
	Model         string `json:"model"`
	Configuration string `json:"configuration"`
	CustomerID    string `json:"customer_id"`
	PurchaseDate  string `json:"purchase_date"`
	Mileage       int64  `json:"mileage"`
}

// Technician works at an outlet.
type Technician struct {
	Name   string   `json:"name"`
	Skills []string `json:"skills"`
}

// Outlet is a service outlet of the company or a partner repair shop.
type Outlet struct {
	Kind         string       `json:"kind"`
	Name         string       `json:"name"`
	Region       string       `json:"region"`
	Address      string       `json:"address"`
	Capabilities []string     `json:"capabilities"`
	Technicians  []Technician `json:"technicians"`
}

// Stock is a part's inventory at an outlet.
type Stock struct {
	OutletID     string `json:"outlet_id"`
	PartNo       string `json:"part_no"`
	Name         string `json:"name"`
	Quantity     int64  `json:"quantity"`
	ReorderLevel int64  `json:"reorder_level"`
	BelowReorder string `json:"below_reorder"` // "true"/"false", indexed
}

// PartUsed is a part fitted in a repair, with its batch.
type PartUsed struct {
	PartNo   string `json:"part_no"`
	BatchNo  string `json:"batch_no"`
	Quantity int64  `json:"quantity"`
}

// Repair is one repair case through its flow.
type Repair struct {
	VehicleID  string     `json:"vehicle_id"`
	CustomerID string     `json:"customer_id"`
	OutletID   string     `json:"outlet_id"`
	Status     string     `json:"status"`
	Complaint  string     `json:"complaint"`
	ReportedAt time.Time  `json:"reported_at"`
	Diagnosis  *Diagnosis `json:"diagnosis,omitempty"`
	Work       *Work      `json:"work,omitempty"`
	Revisit    *Revisit   `json:"revisit,omitempty"`
}

// Diagnosis is the fault found.
type Diagnosis struct {
	Fault      string    `json:"fault"`
	Technician string    `json:"technician"`
	At         time.Time `json:"at"`
}

// Work is the repair done and the parts used.
type Work struct {
	Description string     `json:"description"`
	Parts       []PartUsed `json:"parts"`
	At          time.Time  `json:"at"`
}

// Revisit is the service call-back after the repair.
type Revisit struct {
	Satisfaction int       `json:"satisfaction"`
	Note         string    `json:"note"`
	At           time.Time `json:"at"`
}

// PartUse is one traceability record: a batch fitted to a vehicle in a repair.
type PartUse struct {
	RepairID   string    `json:"repair_id"`
	VehicleID  string    `json:"vehicle_id"`
	CustomerID string    `json:"customer_id"`
	OutletID   string    `json:"outlet_id"`
	PartNo     string    `json:"part_no"`
	BatchNo    string    `json:"batch_no"`
	Quantity   int64     `json:"quantity"`
	At         time.Time `json:"at"`
}

// Recall is a recall of one batch of a part.
type Recall struct {
	PartNo    string         `json:"part_no"`
	BatchNo   string         `json:"batch_no"`
	Reason    string         `json:"reason"`
	Vehicles  []RecallItem   `json:"vehicles"`
	Customers []RecallTarget `json:"customers"`
}

// RecallItem is an affected vehicle.
type RecallItem struct {
	VehicleID  string `json:"vehicle_id"`
	VIN        string `json:"vin"`
	CustomerID string `json:"customer_id"`
	RepairID   string `json:"repair_id"`
}

// RecallTarget is an affected customer with the follow-up task created for its owner.
type RecallTarget struct {
	CustomerID string `json:"customer_id"`
	Name       string `json:"name"`
	OwnerID    string `json:"owner_id"`
	TaskID     string `json:"task_id"`
	TaskStored string `json:"task_stored_in"`
}

// Prospect is what a prospect intends to buy.
type Prospect struct {
	CustomerID    string `json:"customer_id"`
	IntendedModel string `json:"intended_model"`
	Quantity      int64  `json:"quantity"`
}

var (
	vinRE    = regexp.MustCompile(`^[A-HJ-NPR-Z0-9]{17}$`)
	partNoRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

func text(field, v string, required bool, max int) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" && required {
		return "", invalid(field, "required")
	}
	if len([]rune(v)) > max {
		return "", invalid(field, "too_long")
	}
	return v, nil
}

// --- vehicles ---

func (v *Vehicle) check(x *req) error {
	v.VIN = strings.ToUpper(strings.TrimSpace(v.VIN))
	if !vinRE.MatchString(v.VIN) {
		return invalid("vin", "invalid_format")
	}
	var err error
	if v.Model, err = text("model", v.Model, true, 100); err != nil {
		return err
	}
	if v.Configuration, err = text("configuration", v.Configuration, false, 500); err != nil {
		return err
	}
	if v.PurchaseDate != "" {
		d, err := time.Parse(time.DateOnly, v.PurchaseDate)
		if err != nil || d.After(now()) {
			return invalid("purchase_date", "invalid_format")
		}
	}
	if v.Mileage < 0 || v.Mileage > 10_000_000 {
		return invalid("mileage", "out_of_range")
	}
	_, err = x.customer("customer_id", v.CustomerID)
	return err
}

func listVehicles(x *req) (int, any, error) {
	return x.page(TVehicle, x.filters("vin", "customer_id", "model"))
}

func createVehicle(x *req) (int, any, error) {
	var v Vehicle
	if err := x.decode(&v); err != nil {
		return 0, nil, err
	}
	if err := v.check(x); err != nil {
		return 0, nil, err
	}
	// One vehicle per VIN; the VIN is the record ID so that two concurrent registrations of
	// the same VIN cannot both succeed.
	if _, err := x.call.Host.GetRecord(x.ctx, TVehicle, v.VIN); err == nil {
		return 0, nil, answer(409, "conflict", "a vehicle with this VIN is registered", map[string]string{"vin": "duplicate"})
	} else if !errors.Is(err, sdk.ErrNotFound) {
		return 0, nil, err
	}
	rec, err := save(x, TVehicle, v.VIN, v, 0)
	if err != nil {
		return 0, nil, err
	}
	return 201, view(rec), nil
}

func getVehicle(x *req) (int, any, error) {
	rec, err := x.call.Host.GetRecord(x.ctx, TVehicle, strings.ToUpper(x.r.Params["id"]))
	if err != nil {
		return 0, nil, err
	}
	return 200, view(rec), nil
}

func updateVehicle(x *req) (int, any, error) {
	var in struct {
		Model         *string `json:"model"`
		Configuration *string `json:"configuration"`
		CustomerID    *string `json:"customer_id"`
		Mileage       *int64  `json:"mileage"`
		Version       int64   `json:"version"`
	}
	if err := x.decode(&in); err != nil {
		return 0, nil, err
	}
	d, err := load[Vehicle](x, TVehicle, strings.ToUpper(x.r.Params["id"]))
	if err != nil {
		return 0, nil, err
	}
	if in.Version <= 0 {
		return 0, nil, invalid("version", "required")
	}
	v := d.V
	if in.Model != nil {
		v.Model = *in.Model
	}
	if in.Configuration != nil {
		v.Configuration = *in.Configuration
	}
	if in.CustomerID != nil {
		v.CustomerID = *in.CustomerID
	}
	if in.Mileage != nil {
		if *in.Mileage < d.V.Mileage {
			return 0, nil, invalid("mileage", "out_of_range") // odometers do not run back
		}
		v.Mileage = *in.Mileage
	}
	if err := v.check(x); err != nil {
		return 0, nil, err
	}
	rec, err := save(x, TVehicle, d.Rec.ID, v, in.Version)
	if err != nil {
		return 0, nil, err
	}
	return 200, view(rec), nil
}

// --- outlets and inventory ---

func listOutlets(x *req) (int, any, error) {
	conds := x.filters("kind", "region")
	if c := x.q.Get("capability"); c != "" {
		conds = append(conds, sdk.Eq("capabilities", c))
	}
	return x.page(TOutlet, conds)
}

func createOutlet(x *req) (int, any, error) {
	var o Outlet
	if err := x.decode(&o); err != nil {
		return 0, nil, err
	}
	if o.Kind != "outlet" && o.Kind != "partner_shop" {
		return 0, nil, invalid("kind", "invalid_choice")
	}
	var err error
	if o.Name, err = text("name", o.Name, true, 200); err != nil {
		return 0, nil, err
	}
	if o.Region, err = text("region", o.Region, true, 100); err != nil {
		return 0, nil, err
	}
	if o.Address, err = text("address", o.Address, true, 500); err != nil {
		return 0, nil, err
	}
	if len(o.Capabilities) > 50 || len(o.Technicians) > 500 {
		return 0, nil, invalid("capabilities", "too_long")
	}
	for i, t := range o.Technicians {
		if o.Technicians[i].Name, err = text(fmt.Sprintf("technicians[%d].name", i), t.Name, true, 100); err != nil {
			return 0, nil, err
		}
	}
	if o.Capabilities == nil {
		o.Capabilities = []string{}
	}
	if o.Technicians == nil {
		o.Technicians = []Technician{}
	}
	rec, err := save(x, TOutlet, "", o, 0)
	if err != nil {
		return 0, nil, err
	}
	return 201, view(rec), nil
}

func getOutlet(x *req) (int, any, error) {
	rec, err := x.call.Host.GetRecord(x.ctx, TOutlet, x.r.Params["id"])
	if err != nil {
		return 0, nil, err
	}
	return 200, view(rec), nil
}

func stockID(outlet, part string) string { return outlet + ":" + part }

func listStock(x *req) (int, any, error) {
	if _, err := x.call.Host.GetRecord(x.ctx, TOutlet, x.r.Params["id"]); err != nil {
		return 0, nil, err
	}
	return x.page(TStock, []sdk.Condition{sdk.Eq("outlet_id", x.r.Params["id"])})
}

func putStock(x *req) (int, any, error) {
	outlet, part := x.r.Params["id"], x.r.Params["part_no"]
	if _, err := x.call.Host.GetRecord(x.ctx, TOutlet, outlet); err != nil {
		return 0, nil, err
	}
	if !partNoRE.MatchString(part) {
		return 0, nil, invalid("part_no", "invalid_format")
	}
	var in struct {
		Name         string `json:"name"`
		Quantity     *int64 `json:"quantity"`
		ReorderLevel *int64 `json:"reorder_level"`
	}
	if err := x.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Quantity == nil || *in.Quantity < 0 || *in.Quantity > 1_000_000 {
		return 0, nil, invalid("quantity", "out_of_range")
	}
	if in.ReorderLevel == nil || *in.ReorderLevel < 0 || *in.ReorderLevel > 1_000_000 {
		return 0, nil, invalid("reorder_level", "out_of_range")
	}
	name, err := text("name", in.Name, true, 200)
	if err != nil {
		return 0, nil, err
	}
	s := Stock{OutletID: outlet, PartNo: part, Name: name, Quantity: *in.Quantity, ReorderLevel: *in.ReorderLevel}
	s.BelowReorder = fmt.Sprint(s.Quantity <= s.ReorderLevel)
	rec, err := save(x, TStock, stockID(outlet, part), s, 0)
	if err != nil {
		return 0, nil, err
	}
	return 200, view(rec), nil
}

func reorder(x *req) (int, any, error) {
	return x.page(TStock, []sdk.Condition{sdk.Eq("below_reorder", "true")})
}
