package server_test

// OWASP API4:2023, unrestricted resource consumption: a compressed request body is inflated
// through a bound, whatever the route and however it is encoded.

import (
	"bytes"
	"compress/gzip"
	"io"
	"runtime"
	"testing"

	"github.com/smecrm/crm/app/apitest"
)

// zeros is an endless reader of zero bytes, the best-compressing content there is.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func gzipped(t *testing.T, src io.Reader) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if _, err := io.Copy(w, src); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// allocatedDuring answers how many bytes the process allocated while fn ran.
func allocatedDuring(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestAPI4CompressedBodies(t *testing.T) {
	const expanded = 256 << 20
	once := gzipped(t, io.LimitReader(zeros{}, expanded)) // one layer: about 250 KiB
	twice := gzipped(t, bytes.NewReader(once))            // two layers: a few hundred bytes
	if len(twice) > 4096 {
		t.Fatalf("the stacked bomb is %d bytes, want a few hundred", len(twice))
	}
	const budget = 64 << 20

	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		for _, tc := range []struct {
			name, encoding string
			body           []byte
			want           int
			code           string
		}{
			{"stacked gzip layers", "gzip, gzip", twice, 415, "unsupported_media_type"},
			{"stacked gzip and deflate", "deflate, gzip", twice, 415, "unsupported_media_type"},
			{"unknown coding", "zstd", twice, 415, "unsupported_media_type"},
			{"one gzip layer expanding past the limit", "gzip", once, 413, "payload_too_large"},
			{"corrupt gzip", "gzip", []byte("not gzip at all"), 400, "bad_request"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var r *apitest.Response
				used := allocatedDuring(func() {
					r = env.Do(t, "POST", "/api/v1/auth/login", tc.body, map[string]string{"Content-Encoding": tc.encoding})
				})
				if r.Status != tc.want {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
				}
				if p := r.Problem(t); p.Code != tc.code {
					t.Fatalf("code %q, want %q: %s", p.Code, tc.code, r.Body)
				}
				if used > budget {
					t.Fatalf("the request allocated %d MiB, want under %d MiB", used>>20, budget>>20)
				}
			})
		}

		t.Run("one gzip layer within the limit still signs in", func(t *testing.T) {
			body := gzipped(t, bytes.NewReader([]byte(`{"tenant":"`+acme.Slug+`","email":"`+acme.Owner.Email+`","password":"`+acme.Owner.Password+`"}`)))
			r := env.Do(t, "POST", "/api/v1/auth/login", body, map[string]string{"Content-Encoding": "gzip"})
			if r.Status != 200 {
				t.Fatalf("gzip login: %d %s", r.Status, r.Body)
			}
		})
	})
}
