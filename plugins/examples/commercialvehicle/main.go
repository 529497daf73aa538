// Command commercialvehicle is the commercial-vehicle industry module (PLG-7); see package
// cv. Build: go build -o commercial-vehicle ./plugins/examples/commercialvehicle
package main

import (
	"github.com/smecrm/crm/plugins/examples/commercialvehicle/cv"
	"github.com/smecrm/crm/plugins/sdk"
)

func main() { sdk.Serve(cv.Module{}) }
