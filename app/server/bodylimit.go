package server

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/problem"
)

// Decoded-size caps of a compressed request body. Fiber's Ctx.Body would otherwise inflate
// every layer of a stacked Content-Encoding without a bound, so a body of a few hundred bytes
// could make the server allocate gigabytes before any size check ran.
const (
	maxDecodedBody      = 8 << 20  // JSON and forms: far above the 1 MiB the JSON routes take
	maxDecodedMultipart = 32 << 20 // uploads: the server's raw body limit
)

// decodeBody is the first word on a request body's Content-Encoding. It accepts one layer of
// gzip, deflate or br (or identity), inflates it through a limit — answering 413 as soon as the
// decoded size passes it, without holding more than the limit — and hands the handlers the
// decoded body with the header removed, so nothing decodes it again. Several layers, or an
// encoding it does not know, answer 415.
func decodeBody(c *fiber.Ctx) error {
	enc := strings.ToLower(strings.TrimSpace(c.Get(fiber.HeaderContentEncoding)))
	if enc == "" || enc == "identity" {
		return c.Next()
	}
	var open func(io.Reader) (io.Reader, error)
	switch enc {
	case "gzip", "x-gzip":
		open = func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }
	case "deflate":
		// HTTP's "deflate" is zlib-wrapped; raw DEFLATE from older clients is accepted as well.
		open = func(r io.Reader) (io.Reader, error) { return newDeflateReader(r) }
	case "br":
		open = func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }
	default: // several layers ("gzip, gzip") or an unknown coding
		return problem.New(problem.Unsupported, "unsupported_encoding")
	}
	limit := int64(maxDecodedBody)
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm) {
		limit = maxDecodedMultipart
	}
	r, err := open(bytes.NewReader(c.Request().Body()))
	if err != nil {
		return problem.New(problem.BadRequest, "bad_encoding")
	}
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(r, limit+1))
	if n > limit {
		return problem.New(problem.TooLarge, "too_large")
	}
	if err != nil {
		return problem.New(problem.BadRequest, "bad_encoding")
	}
	c.Request().Header.Del(fiber.HeaderContentEncoding)
	c.Request().SetBodyRaw(out.Bytes())
	return c.Next()
}

// newDeflateReader reads zlib-wrapped DEFLATE (RFC 9110's "deflate"), or raw DEFLATE when the
// first two bytes are no zlib header.
func newDeflateReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	if h, err := br.Peek(2); err == nil && h[0]&0x0f == 8 && (uint16(h[0])<<8|uint16(h[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}
