package introspection

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestIntrospection(t *testing.T) {
	suitetest.Run(t, "introspection")
}

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, and under each quirk
// it declares, it gives the verdict declared, through the very code users
// run.
var _ = suitetest.Suite("introspection", nil)

var _ = Describe("INTROSPECT-AUTH-REQUIRED", func() {
	It("does not take {\"active\":false} for token information", func(ctx SpecContext) {
		// A caller with no credentials is told nothing: the token is
		// inactive to it (RFC 7662 §2.2), which leaks nothing.
		tellsNothing := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if r.URL.Path == "/introspect" && r.Header.Get("Authorization") == "" && !strings.Contains(string(body), "client_secret=") {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"active":false}`))
					return
				}
				next.ServeHTTP(w, r)
			})
		}
		res := check.Run(ctx, "INTROSPECT-AUTH-REQUIRED", suitetest.Behind(ctx, tellsNothing))
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	})
})

// RFC 7662 §2.1 leaves to the server which clients may introspect: a
// server that refuses the config's client even its own tokens is not
// judged on its answers to that client.
var _ = Describe("a server that lets the client introspect nothing", func() {
	refuses := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/introspect" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte(`{"error":"unauthorized_client"}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	DescribeTable("skips, saying why", func(ctx SpecContext, id string) {
		res := check.Run(ctx, id, suitetest.Behind(ctx, refuses))
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Skip), res.Message())
		Expect(res.Message()).To(ContainSubstring("does not let oauthcheck-a introspect tokens"))
	},
		Entry(nil, "INTROSPECT-ACTIVE-RESPONSE"),
		Entry(nil, "INTROSPECT-INACTIVE-MINIMAL"),
	)
})
