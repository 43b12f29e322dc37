package revocation

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestRevocation(t *testing.T) {
	suitetest.Run(t, "revocation")
}

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, and under each quirk
// it declares, it gives the verdict declared, through the very code users
// run.
var _ = suitetest.Suite("revocation", nil)

func run(ctx context.Context, env *check.Env, id string) *check.Result {
	GinkgoHelper()
	res := check.Run(ctx, id, env)
	check.Attach(res)
	return res
}

// blind makes introspection call every token inactive and userinfo refuse
// every one.
func blind(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/introspect":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"active":false}`))
		case "/userinfo":
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

var _ = Describe("an oracle that sees no token as active", func() {
	// Such an oracle cannot tell a revoked token from a fresh one, so the
	// checks that ask it cannot PASS.
	DescribeTable("ends the check as ERROR", func(ctx SpecContext, id string) {
		res := run(ctx, suitetest.Behind(ctx, blind), id)
		Expect(res.Verdict).To(Equal(check.Error), res.Message())
	},
		Entry(nil, "REVOKE-ACCESS-TOKEN"),
		Entry(nil, "REVOKE-CASCADE"),
	)
})

var _ = Describe("a protected resource as the oracle", func() {
	// oracle: a URL asks that resource alone. Here introspection calls
	// every token inactive and userinfo refuses every one, while
	// /resource answers as the reference's userinfo does: only the
	// resource's answers can make the check PASS.
	resourceOnly := func(next http.Handler) http.Handler {
		blinded := blind(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/resource" {
				r.URL.Path = "/userinfo"
				next.ServeHTTP(w, r)
				return
			}
			blinded.ServeHTTP(w, r)
		})
	}
	It("judges REVOKE-ACCESS-TOKEN by the resource alone", func(ctx SpecContext) {
		env := suitetest.Behind(ctx, resourceOnly)
		env.Target.Config.Oracle = env.Target.Issuer + "/resource"
		res := run(ctx, env, "REVOKE-ACCESS-TOKEN")
		Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	})
	It("warns when the resource still takes a revoked access token", func(ctx SpecContext) {
		env := suitetest.ReferenceWith(ctx, reftarget.Options{Weaknesses: []string{"revoke-access-noop"}})
		env.Target.Config.Oracle = env.Target.Issuer + "/userinfo"
		res := run(ctx, env, "REVOKE-ACCESS-TOKEN")
		Expect(res.Verdict).To(Equal(check.Warn), res.Message())
	})
	It("is ERROR when the resource stops telling once the token is revoked", func(ctx SpecContext) {
		// /resource answers 503 where userinfo would answer 401: a token
		// that the oracle cannot see any more is not seen revoked.
		silent := func(next http.Handler) http.Handler { return unavailableFor401(resourceOnly(next), "/resource") }
		env := suitetest.Behind(ctx, silent)
		env.Target.Config.Oracle = env.Target.Issuer + "/resource"
		res := run(ctx, env, "REVOKE-ACCESS-TOKEN")
		Expect(res.Verdict).To(Equal(check.Error), res.Message())
		Expect(res.Message()).To(ContainSubstring("no answer that tells"))
	})
	It("is ERROR when userinfo, the only part of the default oracle that saw the token, stops telling", func(ctx SpecContext) {
		// Introspection calls every token inactive (as a server that hides
		// other clients' tokens does), and userinfo answers 503 where it
		// would answer 401.
		silent := func(next http.Handler) http.Handler {
			withUserinfo := unavailableFor401(next, "/userinfo")
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/introspect" {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"active":false}`))
					return
				}
				withUserinfo.ServeHTTP(w, r)
			})
		}
		res := run(ctx, suitetest.Behind(ctx, silent), "REVOKE-ACCESS-TOKEN")
		Expect(res.Verdict).To(Equal(check.Error), res.Message())
		Expect(res.Message()).To(ContainSubstring("no answer that tells"))
	})
	It("skips, saying so, when the resource answers neither 2xx nor 401", func(ctx SpecContext) {
		env := suitetest.Behind(ctx, resourceOnly)
		env.Target.Config.Oracle = env.Target.Issuer + "/no-such-resource"
		res := run(ctx, env, "REVOKE-ACCESS-TOKEN")
		Expect(res.Verdict).To(Equal(check.Skip), res.Message())
		Expect(res.Message()).To(ContainSubstring("/no-such-resource does not answer 2xx or 401"))
	})
})

var _ = Describe("a server that issues no refresh token", func() {
	// Under refresh-offline-access the config's scope gets no refresh
	// token: the checks that can revoke an access token instead still
	// judge the server.
	DescribeTable("is judged on an access token", func(ctx SpecContext, id, weakness string) {
		env := suitetest.ReferenceWith(ctx, reftarget.Options{Quirks: []string{"refresh-offline-access"}, Weaknesses: []string{weakness}})
		res := run(ctx, env, id)
		Expect(res.Verdict).To(Equal(check.Fail), res.Message())
		Expect(res.Message()).To(ContainSubstring("access token"))
	},
		Entry(nil, "REVOKE-INVALID-TOKEN", "revoke-hint-strict"),
		Entry(nil, "REVOKE-CLIENT-AUTH", "revoke-no-client-auth"),
		Entry(nil, "REVOKE-CROSS-CLIENT", "revoke-cross-client"),
	)
	It("does not blame the hint on a server that does not revoke access tokens", func(ctx SpecContext) {
		env := suitetest.ReferenceWith(ctx, reftarget.Options{Quirks: []string{"refresh-offline-access"}, Weaknesses: []string{"revoke-access-noop"}})
		res := run(ctx, env, "REVOKE-INVALID-TOKEN")
		Expect(res.Verdict).To(Equal(check.Pass), res.Message())
		Expect(res.Findings.String()).To(ContainSubstring("(b) not judged"))
	})
})

// unavailableFor401 answers 503 where next would answer a request for path
// with 401: an oracle that stops telling.
func unavailableFor401(next http.Handler, path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if rec.Code == http.StatusUnauthorized {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}
