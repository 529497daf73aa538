package host_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/plugins/host"
)

// Benchmarks of the classifier plugin, run by `make bench` (bench/run.sh) as
//
//	go test ./plugins/host -run '^$' -bench Plugin -benchtime 1x
//
// BENCH_DATABASES picks the databases ("sqlite postgres"), BENCH_PLUGIN_CUSTOMERS the size
// of the tenant re-classified (default 100000). Each prints a "plugin-bench" line with its
// numbers besides the usual benchmark metrics.

func benchDatabases() []string {
	v := strings.Fields(strings.ReplaceAll(os.Getenv("BENCH_DATABASES"), ",", " "))
	if len(v) == 0 {
		return []string{store.SQLite, store.Postgres}
	}
	return v
}

// benchEnv is newEnv for benchmarks: the classifier installed, running, enabled for a new
// tenant.
func benchEnv(b *testing.B, dialect string) (*apitest.Env, *apitest.Company) {
	b.Helper()
	dir := pluginDir(dialect)
	opt := testOptions(dir)
	opt.CallTimeout, opt.BatchTimeout, opt.MaxFailures = 2*time.Second, time.Minute, 5
	env := apitest.NewWithOptions(b, dialect, server.Options{Plugins: opt})
	if _, err := host.Install(context.Background(), env.DB, dir, bins["classifier"]); err != nil {
		b.Fatal(err)
	}
	h := env.Server.Plugins
	if err := h.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.WaitRunning(ctx, classifierID); err != nil {
		b.Fatal(err)
	}
	co := env.Signup(b)
	co.Owner.MustDo(b, "PUT", "/api/v1/plugins/"+classifierID, map[string]any{"enabled": true, "config": map[string]any{"intent": map[string]any{"a_min_score": 50}}}, 200, nil)
	return env, co
}

// BenchmarkPluginClassifyCall measures one Classify call through the host — call token,
// deadline, gRPC to the plugin process and back, answer checked — 5,000 times after a
// warm-up, and reports p50 and p99.
func BenchmarkPluginClassifyCall(b *testing.B) {
	for _, d := range benchDatabases() {
		b.Run(d, func(b *testing.B) {
			env, co := benchEnv(b, d)
			ctx := tenantCtx(co)
			cl := env.Server.Plugins.Classifiers(ctx)
			if cl == nil {
				b.Fatal("no classifier plugin for the tenant")
			}
			in := customer.ClassifyInput{Customer: customer.View{ID: uuid.Must(uuid.NewV7()), Type: "enterprise", Name: "基准客户", Stage: "deal", Tags: []string{}}}
			const n = 5000
			for i := 0; i < 200; i++ {
				if _, err := env.Server.Plugins.Classifiers(ctx).Classify(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, 0, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lat = lat[:0]
				for j := 0; j < n; j++ {
					t0 := time.Now()
					if _, err := env.Server.Plugins.Classifiers(ctx).Classify(ctx, in); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
			b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
			b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
			fmt.Printf("plugin-bench %s classify-call n=%d p50=%s p99=%s\n", d, n, p50, p99)
		})
	}
}

// BenchmarkPluginReclassifyTenant seeds one tenant with BENCH_PLUGIN_CUSTOMERS customers
// (default 100,000) and times ReclassifyTenant end to end through the plugin — reading the
// customers and their transaction summaries in batches of 500, classifying each batch over
// one gRPC stream, writing every changed customer with its audit entry and event — then the
// same with the built-in rules for comparison. Every customer changes in both runs.
func BenchmarkPluginReclassifyTenant(b *testing.B) {
	size := 100_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_PLUGIN_CUSTOMERS")); err == nil && v > 0 {
		size = v
	}
	for _, d := range benchDatabases() {
		b.Run(d, func(b *testing.B) {
			env, co := benchEnv(b, d)
			ctx := tenantCtx(co)
			t0 := time.Now()
			seedCustomers(b, env, co, size)
			seeded := time.Since(t0)
			// The plugin's share alone: read every customer in batches of 500 and classify
			// each batch over the stream, writing nothing.
			t3 := time.Now()
			classifyOnly(b, env, co)
			only := time.Since(t3)
			b.ReportMetric(only.Seconds(), "s-classify-only")
			for i := 0; i < b.N; i++ {
				b.StartTimer()
				t1 := time.Now()
				res, err := env.Server.Customers.ReclassifyTenant(ctx, 500)
				plugin := time.Since(t1)
				b.StopTimer()
				if err != nil || res.Seen != size || res.Changed != size {
					b.Fatalf("plugin run: %+v %v", res, err)
				}
				// The same work with the built-in rules (they change every customer back).
				co.Owner.MustDo(b, "PUT", "/api/v1/plugins/"+classifierID, map[string]any{"enabled": false}, 200, nil)
				t2 := time.Now()
				res, err = env.Server.Customers.ReclassifyTenant(ctx, 500)
				builtin := time.Since(t2)
				if err != nil || res.Changed != size {
					b.Fatalf("built-in run: %+v %v", res, err)
				}
				co.Owner.MustDo(b, "PUT", "/api/v1/plugins/"+classifierID, map[string]any{"enabled": true}, 200, nil)
				b.ReportMetric(plugin.Seconds(), "s-plugin")
				b.ReportMetric(builtin.Seconds(), "s-builtin")
				b.ReportMetric(float64(size)/plugin.Seconds(), "customers/s")
				fmt.Printf("plugin-bench %s reclassify customers=%d plugin=%s builtin=%s ratio=%.2f classify-only=%s seeded-in=%s\n",
					d, size, plugin.Round(time.Millisecond), builtin.Round(time.Millisecond), plugin.Seconds()/builtin.Seconds(),
					only.Round(time.Millisecond), seeded.Round(time.Millisecond))
			}
		})
	}
}

// seedCustomers inserts n minimal customers of co directly (the import path is measured
// elsewhere): classified by the built-in rules as potential, no intent class.
func seedCustomers(b *testing.B, env *apitest.Env, co *apitest.Company, n int) {
	b.Helper()
	ctx := tenantctx.WithTenant(context.Background(), co.ID)
	now := time.Now().UTC()
	cl := datatypes.NewJSONType(customer.Classification{Rule: customer.BuiltinRule, Reasons: []string{"seeded"}, At: now})
	for done := 0; done < n; {
		batch := make([]customer.Customer, min(5000, n-done))
		for i := range batch {
			batch[i] = customer.Customer{ID: uuid.Must(uuid.NewV7()), Type: customer.TypeEnterprise, Name: fmt.Sprintf("基准客户 %06d", done+i),
				Stage: customer.StagePotential, Tier: customer.TierPotential, Classification: cl, Tags: datatypes.NewJSONType([]string{}),
				CustomFields: datatypes.NewJSONType(map[string]any{}), CreatedAt: now, UpdatedAt: now, Version: 1}
		}
		if err := env.DB.Tx(ctx, func(tx *gorm.DB) error { return tx.CreateInBatches(batch, 250).Error }); err != nil {
			b.Fatal(err)
		}
		done += len(batch)
	}
}

// classifyOnly reads co's customers in keyset batches of 500 and classifies each batch
// through the plugin, writing nothing.
func classifyOnly(b *testing.B, env *apitest.Env, co *apitest.Company) {
	b.Helper()
	ctx := tenantCtx(co)
	after := uuid.Nil
	total := 0
	for {
		var rows []customer.Customer
		err := env.DB.Read(ctx, func(tx *gorm.DB) error {
			return tx.Where("deleted_at IS NULL AND id > ?", after).Order("id").Limit(500).Find(&rows).Error
		})
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		after = rows[len(rows)-1].ID
		ins := make([]customer.ClassifyInput, len(rows))
		for i, c := range rows {
			ins[i] = customer.ClassifyInput{Customer: customer.View{ID: c.ID, Type: c.Type, Name: c.Name, Stage: c.Stage, Tier: c.Tier, Tags: c.Tags.Data()}}
		}
		cl, ok := env.Server.Plugins.Classifiers(ctx).(customer.BatchClassifier)
		if !ok {
			b.Fatal("the classifier plugin takes no batches")
		}
		res, err := cl.ClassifyBatch(ctx, ins)
		if err != nil || len(res) != len(ins) {
			b.Fatalf("batch: %d results, %v", len(res), err)
		}
		total += len(res)
	}
	if total == 0 {
		b.Fatal("nothing classified")
	}
}
