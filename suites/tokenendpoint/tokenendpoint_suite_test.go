package tokenendpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestTokenEndpoint(t *testing.T) {
	suitetest.Run(t, "tokenendpoint")
}

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, and under each quirk
// it declares, it gives the verdict declared, through the very code users
// run.
var _ = suitetest.Suite("tokenendpoint", nil)

// serve starts a reference server, shaped by cfg and with quirks, behind
// wrap, which changes some of its answers as a real server might, and
// returns the environment of its checks, with the config that tests the
// reference.
func serve(ctx context.Context, cfg func(*reference.Config), wrap func(http.Handler) http.Handler, quirks ...string) *check.Env {
	GinkgoHelper()
	rc := reference.DefaultConfig()
	reftarget.Quick(&rc)
	if cfg != nil {
		cfg(&rc)
	}
	ref, err := reference.New(rc, reference.WithQuirk(quirks...))
	Expect(err).NotTo(HaveOccurred())
	var h http.Handler = ref
	if wrap != nil {
		h = wrap(ref)
	}
	srv := httptest.NewServer(h)
	DeferCleanup(srv.Close)
	Expect(ref.SetIssuer(srv.URL)).To(Succeed())
	env, err := check.Open(ctx, srv.URL, reftarget.TargetConfig(ref), suitetest.Browser(ctx), client.Options{})
	Expect(err).NotTo(HaveOccurred())
	env.Profile = check.BCP
	return env
}

// rewrite passes requests to next and lets edit change the JSON answers
// of the token endpoint.
func rewrite(next http.Handler, edit func(req reqBody, m map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/token" {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var m map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &m) == nil {
			edit(reqBody(body), m)
			rec.Body.Reset()
			_ = json.NewEncoder(rec.Body).Encode(m)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// reqBody is a request body, for matching.
type reqBody []byte

func (u reqBody) has(s string) bool { return strings.Contains(string(u), s) }

var _ = Describe("a server with only client credentials", func() {
	// No user to log in: the code grant cannot be used, so the checks
	// judge the client_credentials responses, and SKIP nothing that those
	// show.
	noUser := func(c *reference.Config) { c.Users = nil }
	DescribeTable("gets a verdict", func(ctx SpecContext, id string) {
		res := check.Run(ctx, id, serve(ctx, noUser, nil))
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	},
		Entry(nil, "TOKEN-CACHE-NO-STORE"),
		Entry(nil, "TOKEN-RESPONSE-FORMAT"),
		Entry(nil, "TOKEN-ERROR-CODES"),
		Entry(nil, "TOKEN-INVALID-CLIENT-401"),
		Entry(nil, "TOKEN-POST-ONLY"),
		Entry(nil, "TOKEN-PARAM-HYGIENE"),
		Entry(nil, "TOKEN-ENTROPY"),
		Entry(nil, "TOKEN-AT-LIFETIME"),
	)
})

var _ = Describe("TOKEN-ERROR-CODES", func() {
	It("fails a wrong error code, as the catalogue grades it", func(ctx SpecContext) {
		wrongCode := func(next http.Handler) http.Handler {
			return rewrite(next, func(req reqBody, m map[string]any) {
				if m["error"] == "invalid_grant" {
					m["error"] = "invalid_request"
				}
			})
		}
		res := check.Run(ctx, "TOKEN-ERROR-CODES", serve(ctx, nil, wrongCode))
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Fail), res.Message())
	})
})

var _ = Describe("TOKEN-RESPONSE-FORMAT", func() {
	noScope := func(next http.Handler) http.Handler {
		return rewrite(next, func(req reqBody, m map[string]any) { delete(m, "scope") })
	}
	It("compares the scope as a set", func(ctx SpecContext) {
		// No scope member: the granted scope is read from the JWT, where
		// scope-reordered writes it in reverse order: the same set.
		res := check.Run(ctx, "TOKEN-RESPONSE-FORMAT", serve(ctx, nil, noScope, "scope-reordered"))
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	})
	It("fails a scope that changed without a scope member", func(ctx SpecContext) {
		// The server grants openid alone, for openid profile asked, and
		// does not say so.
		narrowed := func(next http.Handler) http.Handler {
			inner := noScope(next)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/authorize" {
					q := r.URL.Query()
					q.Set("scope", "openid")
					r.URL.RawQuery = q.Encode()
				}
				inner.ServeHTTP(w, r)
			})
		}
		res := check.Run(ctx, "TOKEN-RESPONSE-FORMAT", serve(ctx, nil, narrowed))
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Fail), res.Message())
		Expect(res.Message()).To(ContainSubstring("no scope member"))
	})
})

// A server that takes form-encoded token requests only may answer a JSON
// body with 415 Unsupported Media Type (Keycloak does): that is a refusal
// of the body, not an error code answered with the wrong status.
var _ = It("passes a 415 to the JSON body of TOKEN-ERROR-CODES", func(ctx SpecContext) {
	env := suitetest.Fronted(ctx, func(w http.ResponseWriter, r *http.Request, _ url.Values) bool {
		if r.URL.Path != "/token" || r.Header.Get("Content-Type") != "application/json" {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnsupportedMediaType)
		io.WriteString(w, `{"error":"invalid_request","error_description":"RESTEASY003065: Cannot consume content type"}`)
		return true
	})
	res := check.Run(ctx, "TOKEN-ERROR-CODES", env)
	check.Attach(res)
	Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	Expect(res.Message()).To(ContainSubstring("a JSON body: 415"))
}, SpecTimeout(suitetest.Timeout))
