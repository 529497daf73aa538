package followup_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/smecrm/crm/app/apitest"
)

// BenchmarkLogFollowUp logs follow-ups through the API on SQLite, in process (for pprof; the
// load benchmark over HTTP is bench/cmd/load's "followup" scenario).
func BenchmarkLogFollowUp(b *testing.B) {
	env := apitest.New(b, "sqlite")
	if err := env.Server.Jobs.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer env.Server.Jobs.Stop(context.Background())
	acme := env.Signup(b)
	sales := acme.AddUser(b, "salesperson")
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fuNewCustomer(b, sales, fmt.Sprintf("基准客户 %d", i), nil).ID.String()
	}
	body := map[string]any{"method": "phone", "content": "电话沟通了新报价，客户会内部讨论"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sales.MustDo(b, "POST", "/api/v1/customers/"+ids[i%len(ids)]+"/follow-ups", body, 201, nil)
	}
}
