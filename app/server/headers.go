package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
)

// AppCSP is the Content-Security-Policy of every answer: the browser app loads its scripts,
// styles, images and API calls from this origin only. Styles may also be inline because Ant
// Design's CSS-in-JS injects <style> elements at run time; scripts may not (the Vite build
// has no inline script). Images may be data: and blob: URLs (icons, previews, exports). No
// page of the CRM may be framed, and no plugin object embedded. Module answers
// (/api/v1/ext/…) replace it with their own, stricter policy (plugins/host).
const AppCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'"

// hstsValue is Strict-Transport-Security when the base URL is https: browsers keep to https
// for two years, the CRM's own subdomains included.
const hstsValue = "max-age=63072000; includeSubDomains"

// securityHeaders sets the security headers of every answer — the API's, the web app's and
// every error's, since it runs before anything that can fail — through Fiber's helmet
// middleware. A handler may replace one (a plugin module's stricter CSP), never remove them
// all. HSTS follows the configured base URL rather than the request, which behind a
// TLS-terminating proxy arrives as plain http.
func securityHeaders(baseURL string) fiber.Handler {
	h := helmet.New(helmet.Config{
		ContentSecurityPolicy: AppCSP,
		XFrameOptions:         "DENY",
		ContentTypeNosniff:    "nosniff",
		ReferrerPolicy:        "strict-origin-when-cross-origin",
		PermissionPolicy:      "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
		// The app loads nothing from other origins; other origins may not embed its answers.
		CrossOriginOpenerPolicy:   "same-origin",
		CrossOriginResourcePolicy: "same-origin",
		HSTSMaxAge:                0, // set below, from the base URL
	})
	hsts := strings.HasPrefix(strings.ToLower(baseURL), "https://")
	return func(c *fiber.Ctx) error {
		if hsts {
			c.Set(fiber.HeaderStrictTransportSecurity, hstsValue)
		}
		return h(c)
	}
}
