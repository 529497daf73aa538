// Package cv is the commercial-vehicle industry module (PLG-7, seed 003): vehicles with
// their owners, the service network (own outlets 服務網點 and partner repair shops) with
// capabilities and technicians, the repair flow (report 報修 → diagnosis 故障診斷 → repair
// 維修 → revisit 服務回訪), parts inventory per outlet with reorder levels, the parts and
// batch numbers used in each repair (質量追溯), recalls of a batch (召回) with a follow-up
// task for every affected owner, and the intended model and quantity of prospects.
//
// Everything is stored through the host API's record store; the CRM serves the routes below
// under /api/v1/ext/commercial-vehicle/… after its own authentication and permission checks.
package cv

import "github.com/smecrm/crm/plugins/sdk"

// ID is the module's plugin ID.
const ID = "commercial-vehicle"

// Record types.
const (
	TVehicle  = "vehicle"
	TOutlet   = "outlet"
	TStock    = "stock"
	TRepair   = "repair"
	TPartUse  = "part_use"
	TRecall   = "recall"
	TProspect = "prospect"
)

var (
	rcu = []string{"read", "create", "update"}
	rc  = []string{"read", "create"}
	ru  = []string{"read", "update"}
	r   = []string{"read"}
)

// Module is the plugin.
type Module struct{}

// Manifest declares the record types, permissions and routes.
func (Module) Manifest() sdk.Manifest {
	return sdk.Manifest{
		ID: ID, Name: "Commercial vehicles", Version: "1.0.0",
		Description:  "Vehicles, service network, repairs with parts traceability, inventory and recalls for commercial-vehicle dealers.",
		Capabilities: []string{sdk.CapModule},
		RecordTypes: []sdk.RecordType{
			{Name: TVehicle, Indexed: []string{"vin", "customer_id", "model"}},
			{Name: TOutlet, Indexed: []string{"kind", "region", "capabilities"}},
			{Name: TStock, Indexed: []string{"outlet_id", "part_no", "below_reorder"}},
			{Name: TRepair, Indexed: []string{"vehicle_id", "customer_id", "outlet_id", "status"}},
			{Name: TPartUse, Indexed: []string{"repair_id", "vehicle_id", "part_no", "batch_no"}},
			{Name: TRecall, Indexed: []string{"part_no", "batch_no"}},
			{Name: TProspect, Indexed: []string{"customer_id", "intended_model"}},
		},
		Permissions: []sdk.Permission{
			{Object: "vehicle", Actions: rcu, Description: "Vehicles and their owners", Grants: map[string][]string{
				"general_manager": rcu, "vice_president": rcu, "sales_manager": rcu, "salesperson": rcu, "service_manager": rcu,
				"customer_service": r, "service_technician": ru}},
			{Object: "outlet", Actions: rcu, Description: "Service outlets and partner repair shops", Grants: map[string][]string{
				"general_manager": rcu, "service_manager": rcu, "service_technician": r, "customer_service": r, "warehouse": r}},
			{Object: "part", Actions: ru, Description: "Parts inventory per outlet", Grants: map[string][]string{
				"general_manager": ru, "service_manager": ru, "warehouse": ru, "service_technician": r}},
			{Object: "repair", Actions: rcu, Description: "Repair flow", Grants: map[string][]string{
				"general_manager": rcu, "service_manager": rcu, "service_technician": ru, "customer_service": rc}},
			{Object: "recall", Actions: rc, Description: "Recalls of a part batch", Grants: map[string][]string{
				"general_manager": rc, "service_manager": rc, "customer_service": r}},
			{Object: "prospect", Actions: ru, Description: "Intended model and quantity of prospects", Grants: map[string][]string{
				"general_manager": ru, "vice_president": ru, "sales_manager": ru, "salesperson": ru, "marketing": ru}},
		},
		Routes: []sdk.Route{
			{Name: "listVehicles", Method: "GET", Pattern: "/vehicles", Object: "vehicle", Action: "read"},
			{Name: "createVehicle", Method: "POST", Pattern: "/vehicles", Object: "vehicle", Action: "create"},
			{Name: "getVehicle", Method: "GET", Pattern: "/vehicles/{id}", Object: "vehicle", Action: "read"},
			{Name: "updateVehicle", Method: "PATCH", Pattern: "/vehicles/{id}", Object: "vehicle", Action: "update"},
			{Name: "listOutlets", Method: "GET", Pattern: "/outlets", Object: "outlet", Action: "read"},
			{Name: "createOutlet", Method: "POST", Pattern: "/outlets", Object: "outlet", Action: "create"},
			{Name: "getOutlet", Method: "GET", Pattern: "/outlets/{id}", Object: "outlet", Action: "read"},
			{Name: "listStock", Method: "GET", Pattern: "/outlets/{id}/parts", Object: "part", Action: "read"},
			{Name: "putStock", Method: "PUT", Pattern: "/outlets/{id}/parts/{part_no}", Object: "part", Action: "update"},
			{Name: "reorder", Method: "GET", Pattern: "/parts/reorder", Object: "part", Action: "read"},
			{Name: "listRepairs", Method: "GET", Pattern: "/repairs", Object: "repair", Action: "read"},
			{Name: "reportRepair", Method: "POST", Pattern: "/repairs", Object: "repair", Action: "create"},
			{Name: "getRepair", Method: "GET", Pattern: "/repairs/{id}", Object: "repair", Action: "read"},
			{Name: "diagnose", Method: "POST", Pattern: "/repairs/{id}/diagnosis", Object: "repair", Action: "update"},
			{Name: "repair", Method: "POST", Pattern: "/repairs/{id}/repair", Object: "repair", Action: "update"},
			{Name: "revisit", Method: "POST", Pattern: "/repairs/{id}/revisit", Object: "repair", Action: "update"},
			{Name: "listRecalls", Method: "GET", Pattern: "/recalls", Object: "recall", Action: "read"},
			{Name: "createRecall", Method: "POST", Pattern: "/recalls", Object: "recall", Action: "create"},
			{Name: "getRecall", Method: "GET", Pattern: "/recalls/{id}", Object: "recall", Action: "read"},
			{Name: "getProspect", Method: "GET", Pattern: "/prospects/{customer_id}", Object: "prospect", Action: "read"},
			{Name: "putProspect", Method: "PUT", Pattern: "/prospects/{customer_id}", Object: "prospect", Action: "update"},
		},
	}
}
