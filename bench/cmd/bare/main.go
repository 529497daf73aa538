// Command bare is the benchmark's ceiling: a Fiber v2 app with one route, GET /bare, that
// answers a small JSON object, configured like the CRM server's fiber.Config (timeouts, JSON
// encoder, no startup banner) and run as its own process, exactly as bin/crm is. The load tool
// compares every CRM scenario with this route measured in the same run on the same machine,
// so the ratio says how much the CRM's own work (authentication, tenant scoping, permission
// checks, database, JSON) costs on top of Fiber itself.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
)

type answer struct {
	Status string `json:"status"`
	ID     string `json:"id"`
	N      int    `json:"n"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	flag.Parse()

	app := fiber.New(fiber.Config{
		AppName:               "bare",
		BodyLimit:             32 << 20,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		JSONEncoder:           json.Marshal,
		JSONDecoder:           json.Unmarshal,
	})
	app.Get("/bare", func(c *fiber.Ctx) error {
		return c.JSON(answer{Status: "ok", ID: "0190a5b2-7c3e-7d4f-8a1b-2c3d4e5f6a7b", N: 42})
	})

	errc := make(chan error, 1)
	go func() { errc <- app.Listen(*addr) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case err := <-errc:
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	case <-sig:
		_ = app.ShutdownWithTimeout(5 * time.Second)
	}
}
