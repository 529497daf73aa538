package sdk_test

import (
	"testing"

	"github.com/smecrm/crm/plugins/sdk"
)

// A classifier plugin sees the customer's credit rating and risk level (RSK-2) across the wire.
func TestCustomerCreditCrossesTheWire(t *testing.T) {
	in := sdk.Customer{ID: "c1", Name: "宁波精工", CreditRating: "AA", RiskLevel: "high"}
	out := sdk.CustomerFromPB(sdk.CustomerToPB(in))
	if out.CreditRating != "AA" || out.RiskLevel != "high" {
		t.Errorf("after the wire: %+v", out)
	}
}
