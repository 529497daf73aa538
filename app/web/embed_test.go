package web

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestHandler(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		return c.Status(fiber.StatusNotFound).JSON(fiber.Map{"code": "not_found"})
	}})
	app.Use(Handler())
	cases := []struct {
		method, path string
		status       int
		contains     string
	}{
		{"GET", "/", 200, "<html"},
		{"GET", "/customers/0190a0b0-0000-7000-8000-000000000000", 200, "<html"},
		{"GET", "/platform/tenants", 200, "<html"},
		{"GET", "/api/v1/nothing-here", 404, `"not_found"`},
		{"GET", "/platform/v1/nothing", 404, `"not_found"`},
		{"GET", "/healthz", 404, `"not_found"`},
		{"POST", "/customers", 404, `"not_found"`},
	}
	if Built() {
		cases = append(cases, struct {
			method, path string
			status       int
			contains     string
		}{"GET", "/assets/missing-file.js", 404, "not found"})
	}
	for _, tc := range cases {
		res, err := app.Test(httptest.NewRequest(tc.method, tc.path, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != tc.status || !strings.Contains(string(body), tc.contains) {
			t.Errorf("%s %s: %d %q, want %d containing %q", tc.method, tc.path, res.StatusCode, body, tc.status, tc.contains)
		}
	}
}
