package clientcreds

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestClientCreds(t *testing.T) {
	suitetest.Run(t, "clientcreds")
}

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, and under each quirk
// it declares, it gives the verdict declared, through the very code users
// run.
var _ = suitetest.Suite("clientcreds", nil)

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

var _ = Describe("a server that serves client_credentials without listing it in grant_types_supported", func() {
	// Metadata is a claim, not a gate: the checks try the grant, and SKIP
	// only when the server answers unsupported_grant_type.
	unlisted := func(next http.Handler) http.Handler {
		return editMetadata(next, func(md map[string]any) {
			gts, _ := md["grant_types_supported"].([]any)
			md["grant_types_supported"] = slices.DeleteFunc(gts, func(g any) bool { return g == "client_credentials" })
		})
	}
	DescribeTable("still gets a verdict", func(ctx SpecContext, id string) {
		res := check.Run(ctx, id, suitetest.Behind(ctx, unlisted))
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	},
		Entry(nil, "CC-CLIENT-AUTH-REQUIRED"),
		Entry(nil, "CC-NO-REFRESH-TOKEN"),
		Entry(nil, "CLIENTAUTH-METHODS-SUPPORTED"),
		Entry(nil, "CLIENTAUTH-BASIC-FORM-ENCODING"),
		Entry(nil, "CLIENTAUTH-NO-SECRET-IN-URI"),
	)
})

var _ = Describe("a server without the grant", func() {
	noCC := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body := new(bytes.Buffer)
			_, _ = body.ReadFrom(r.Body)
			if r.URL.Path == "/token" && strings.Contains(body.String(), "grant_type=client_credentials") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"unsupported_grant_type"}`))
				return
			}
			r.Body = io.NopCloser(body)
			next.ServeHTTP(w, r)
		})
	}
	It("skips the client_credentials checks because the server said unsupported_grant_type", func(ctx SpecContext) {
		res := check.Run(ctx, "CC-NO-REFRESH-TOKEN", suitetest.Behind(ctx, noCC))
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Skip), res.Message())
		Expect(res.Findings[0].Message).To(ContainSubstring("unsupported_grant_type"))
	})
	It("still judges client authentication, with a made-up code", func(ctx SpecContext) {
		for _, id := range []string{"CLIENTAUTH-METHODS-SUPPORTED", "CLIENTAUTH-NO-SECRET-IN-URI", "CLIENTAUTH-BASIC-FORM-ENCODING"} {
			res := check.Run(ctx, id, suitetest.Behind(ctx, noCC))
			check.Attach(res)
			Expect(res.Verdict).To(Equal(check.Pass), res.Message())
		}
	})
})

var _ = Describe("CLIENTAUTH-NO-SECRET-IN-URI", func() {
	It("fails a server that authenticates from the request URI, though its answer is an error", func(ctx SpecContext) {
		// oauthcheck-a may not use client_credentials, so its credentials in
		// the URI get an error, unauthorized_client or, with a made-up code,
		// invalid_grant: both say that the client authenticated.
		env := suitetest.ReferenceWith(ctx, reftarget.Options{Weaknesses: []string{"secret-in-uri"}, Quirks: []string{"cc-not-for-confidential"}})
		res := check.Run(ctx, "CLIENTAUTH-NO-SECRET-IN-URI", env)
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Fail), res.Message())
	})
})

var _ = Describe("CLIENTAUTH-BRUTEFORCE-THROTTLE", func() {
	It("takes a server error for no throttling, not for a lockout", func(ctx SpecContext) {
		// The reference's lockout, answered 500 as a broken server would:
		// only 429, a 403 lockout page or 503 with Retry-After tell.
		fails := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				if rec.Code == http.StatusTooManyRequests {
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				_, _ = w.Write(rec.Body.Bytes())
			})
		}
		res := check.Run(ctx, "CLIENTAUTH-BRUTEFORCE-THROTTLE", suitetest.Behind(ctx, fails))
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Warn), res.Message())
	})
})

// A 429 says the server limits the requests, not whether it wants client
// authentication: no verdict rests on it.
var _ = It("makes CC-CLIENT-AUTH-REQUIRED ERROR when a request without credentials gets 429", func(ctx SpecContext) {
	env := suitetest.Answering(ctx, http.StatusTooManyRequests, func(r *http.Request, _ url.Values) bool {
		return r.URL.Path == "/token" && r.Header.Get("Authorization") == ""
	})
	res := check.Run(ctx, "CC-CLIENT-AUTH-REQUIRED", env)
	check.Attach(res)
	Expect(res.Verdict).To(Equal(check.Error), res.Message())
	Expect(res.Message()).To(ContainSubstring("429 Too Many Requests"))
}, SpecTimeout(suitetest.Timeout))
