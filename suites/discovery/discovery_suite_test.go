package discovery

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestDiscovery(t *testing.T) {
	suitetest.Run(t, "discovery")
}

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, and under each quirk
// it declares, it gives the verdict declared, through the very code users
// run.
var _ = suitetest.Suite("discovery", nil)

// editMetadata rewrites the metadata documents that next serves.
func editMetadata(next http.Handler, edit func(map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/.well-known/") {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var md map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &md) != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		edit(md)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(md)
	})
}

func run(ctx context.Context, env *check.Env, id string) *check.Result {
	GinkgoHelper()
	res := check.Run(ctx, id, env)
	check.Attach(res)
	return res
}

var _ = Describe("META-MATCHES-BEHAVIOUR", func() {
	It("reports a grant the server serves but does not list", func(ctx SpecContext) {
		unlisted := func(next http.Handler) http.Handler {
			return editMetadata(next, func(md map[string]any) {
				gts, _ := md["grant_types_supported"].([]any)
				md["grant_types_supported"] = slices.DeleteFunc(gts, func(g any) bool { return g == "client_credentials" })
			})
		}
		res := run(ctx, suitetest.Behind(ctx, unlisted), "META-MATCHES-BEHAVIOUR")
		Expect(res.Verdict).To(Equal(check.Warn), res.Message())
		Expect(res.Message()).To(ContainSubstring("serves client_credentials"))
	})
	It("tries a method only with a client registered for it", func(ctx SpecContext) {
		// Every client of the config is registered for client_secret_basic,
		// and the server holds them to it, as RFC 7591 §2 allows, though
		// it advertises client_secret_post for other clients.
		basicOnly := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if r.URL.Path == "/token" && strings.Contains(string(body), "client_secret=") {
					w.Header().Set("Content-Type", "application/json")
					w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"this client is registered for client_secret_basic"}`))
					return
				}
				next.ServeHTTP(w, r)
			})
		}
		res := run(ctx, suitetest.Behind(ctx, basicOnly), "META-MATCHES-BEHAVIOUR")
		Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	})
})

var _ = Describe("META-WELLKNOWN", func() {
	It("takes a location that does not answer 200 as not published, not as a failure", func(ctx SpecContext) {
		noOpenID := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/.well-known/openid-configuration" {
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
		res := run(ctx, suitetest.Behind(ctx, noOpenID), "META-WELLKNOWN")
		Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	})
})
