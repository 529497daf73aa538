// Package web serves the browser app: the Vite build of app/web (TypeScript, React, Ant Design)
// embedded in the binary. The build output (dist/) is not committed; without it the binary
// still compiles (dist/.keep is) and answers pages with a short note on how to build the app.
package web

import (
	"bytes"
	"embed"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

//go:embed all:dist
var dist embed.FS

// Built reports whether the embedded dist holds a built app.
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// apiPrefixes are the paths the app never answers: an unknown path under them stays a
// problem+json 404 from the API's error handler.
var apiPrefixes = []string{"/api/", "/platform/v1/", "/public/v1/", "/healthz", "/readyz", "/metrics"}

// Handler serves the app's files for GET and HEAD requests outside the API, and index.html
// for any other such path so that the app's own router handles deep links. Register it after
// every route: it passes API paths and other methods on (to the 404 answer).
func Handler() fiber.Handler {
	sub, _ := fs.Sub(dist, "dist")
	index, indexErr := fs.ReadFile(sub, "index.html")
	return func(c *fiber.Ctx) error {
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			return c.Next()
		}
		p := c.Path()
		for _, pre := range apiPrefixes {
			if strings.HasPrefix(p, pre) || p == strings.TrimSuffix(pre, "/") {
				return c.Next()
			}
		}
		c.Set("X-Content-Type-Options", "nosniff")
		if indexErr != nil {
			c.Set(fiber.HeaderCacheControl, "no-store")
			c.Type("html", "utf-8")
			return c.Status(fiber.StatusOK).SendString(notBuilt)
		}
		name := strings.TrimPrefix(path.Clean(p), "/")
		if name != "" && name != "index.html" && name != ".keep" {
			if b, err := fs.ReadFile(sub, name); err == nil {
				if strings.HasPrefix(name, "assets/") { // content-hashed names
					c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
				} else {
					c.Set(fiber.HeaderCacheControl, "no-cache")
				}
				if t := mime.TypeByExtension(path.Ext(name)); t != "" {
					c.Set(fiber.HeaderContentType, t)
				}
				return c.Send(b)
			}
			if path.Ext(name) != "" && !strings.Contains(path.Base(name), "@") {
				// A missing file (an old asset, a typo) is a 404, not the app's page.
				return c.Status(fiber.StatusNotFound).SendString("not found")
			}
		}
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(bytes.Clone(index))
	}
}

const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CRM</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:.1rem .3rem}</style>
</head><body>
<h1>The web app is not built into this binary</h1>
<p>网页应用尚未构建。The JSON API works (<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>).</p>
<p>To get the browser app, run <code>make run</code> (it builds the app when it is missing or
out of date; Node.js 20 and npm are needed once, at build time), or <code>make web</code> and
then rebuild the binary.</p>
</body></html>
`
