// Command crasher is a test classifier that misbehaves: it floods its output at start, and
// its Classify exits the process — or, for a customer whose name contains "garbage", answers
// a tier that does not exist.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/smecrm/crm/plugins/sdk"
)

type crasher struct{}

func (crasher) Manifest() sdk.Manifest {
	return sdk.Manifest{ID: "test-crasher", Name: "Crashing classifier (test)", Version: "0.0.1", Capabilities: []string{sdk.CapClassifier}}
}

func (crasher) Classify(_ context.Context, _ *sdk.Call, in sdk.ClassifyInput) (sdk.ClassifyResult, error) {
	if strings.Contains(in.Customer.Name, "garbage") {
		return sdk.ClassifyResult{Tier: "platinum", IntentClass: "Z", Rule: "nonsense"}, nil
	}
	fmt.Fprintln(os.Stderr, "crasher: exiting in the middle of a call")
	os.Exit(3)
	return sdk.ClassifyResult{}, nil
}

func main() {
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(os.Stderr, "crasher: flooding line %d\n", i)
	}
	sdk.Serve(crasher{})
}
