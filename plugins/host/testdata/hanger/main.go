// Command hanger is a test plugin that hangs: it answers Ping, but its Classify and its
// module route never return.
package main

import (
	"context"
	"time"

	"github.com/smecrm/crm/plugins/sdk"
)

type hanger struct{}

func (hanger) Manifest() sdk.Manifest {
	return sdk.Manifest{ID: "test-hanger", Name: "Hanging plugin (test)", Version: "0.0.1",
		Capabilities: []string{sdk.CapClassifier, sdk.CapModule},
		Permissions:  []sdk.Permission{{Object: "thing", Actions: []string{"read"}}},
		Routes:       []sdk.Route{{Name: "slow", Method: "GET", Pattern: "/slow", Object: "thing", Action: "read"}}}
}

func (hanger) Classify(context.Context, *sdk.Call, sdk.ClassifyInput) (sdk.ClassifyResult, error) {
	time.Sleep(time.Hour) // ignores its deadline
	return sdk.ClassifyResult{}, nil
}

func (hanger) HandleHTTP(context.Context, *sdk.Call, sdk.HTTPRequest) (sdk.HTTPResponse, error) {
	time.Sleep(time.Hour)
	return sdk.HTTPResponse{}, nil
}

func main() { sdk.Serve(hanger{}) }
