package authcode

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestAuthcode(t *testing.T) { suitetest.Run(t, "authcode") }

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("authcode", nil)

// A race that nobody won tells nothing of single use: it is run again
// with a fresh code, and not counted as one of the rounds passed.
var _ = It("runs AUTHCODE-CONCURRENT-REDEEM again when a race has no winner", func(ctx SpecContext) {
	const parallel = 12
	var redemptions atomic.Int32
	env := suitetest.Fronted(ctx, func(w http.ResponseWriter, r *http.Request, form url.Values) bool {
		if r.URL.Path != "/token" || form.Get("grant_type") != "authorization_code" {
			return false
		}
		if redemptions.Add(1) > parallel {
			return false
		}
		// The first race: every redemption refused, as a server under
		// load may refuse them all.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_grant","error_description":"busy"}`)
		return true
	})
	res := check.Run(ctx, "AUTHCODE-CONCURRENT-REDEEM", env)
	Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	Expect(res.Message()).To(ContainSubstring("in 3 races that one redemption won"))
	Expect(redemptions.Load()).To(BeEquivalentTo(4*parallel), "four races: the first with no winner, then three won")
}, SpecTimeout(suitetest.Timeout))

// The oracle must see the fresh access token as active before its answer
// about the replayed code's tokens means anything: an oracle that calls
// every token inactive gives no PASS.
var _ = It("does not take a blind oracle's word in AUTHCODE-REUSE-REVOKES-TOKENS", func(ctx SpecContext) {
	env := suitetest.Fronted(ctx, func(w http.ResponseWriter, r *http.Request, form url.Values) bool {
		if r.URL.Path != "/introspect" {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"active":false}`)
		return true
	})
	env.Target.Metadata.UserinfoEndpoint = ""
	res := check.Run(ctx, "AUTHCODE-REUSE-REVOKES-TOKENS", env)
	Expect(res.Verdict).To(Equal(check.Error), res.Message())
	Expect(res.Message()).To(ContainSubstring("does not see a fresh access token as active"))
}, SpecTimeout(suitetest.Timeout))

// A server that remembers what a session approved asks it for no consent
// again. The error triggers before the denial have the check's session
// approve the client (a plain authorization proves each refusal), so the
// denial is tried in a session of its own, where the consent page comes
// and Deny is clicked.
var _ = It("judges the denial of AUTHCODE-ERROR-RESPONSE on a server that remembers consent", func(ctx SpecContext) {
	env := suitetest.ReferenceWith(ctx, reftarget.Options{Quirks: []string{"consent-remembered"}})
	res := check.Run(ctx, "AUTHCODE-ERROR-RESPONSE", env)
	check.Attach(res)
	Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	Expect(res.Findings).To(ContainElement(And(HaveField("Verdict", check.Pass),
		HaveField("Message", ContainSubstring("the user denies: redirected with error=access_denied")))))
}, SpecTimeout(suitetest.Timeout))

// A fresh code that the harness redeems only after its configured lifetime
// (a loaded machine, against codes that live seconds) is refused for the
// harness's slowness, not the server's fault: ERROR, never FAIL.
var _ = It("grades a fresh code redeemed after its configured lifetime as ERROR", func(ctx SpecContext) {
	env := suitetest.Reference(ctx, func(c *reference.Config) { c.CodeTTL = time.Millisecond })
	res := check.Run(ctx, "AUTHCODE-CODE-REUSE", env)
	check.Attach(res)
	Expect(res.Verdict).To(Equal(check.Error), res.Message())
	Expect(res.Message()).To(ContainSubstring("too slow to judge the server"))
}, SpecTimeout(suitetest.Timeout))

// An answer that tells nothing of the request (rate limited, a gateway's)
// is no refusal, and no verdict rests on it.
var _ = Describe("an answer that tells nothing", func() {
	It("makes AUTHCODE-CODE-REUSE ERROR when the replay gets 503", func(ctx SpecContext) {
		var redemptions atomic.Int32
		env := suitetest.Answering(ctx, http.StatusServiceUnavailable, func(r *http.Request, form url.Values) bool {
			return r.URL.Path == "/token" && form.Get("grant_type") == "authorization_code" && redemptions.Add(1) > 1
		})
		res := check.Run(ctx, "AUTHCODE-CODE-REUSE", env)
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Error), res.Message())
		Expect(res.Message()).To(ContainSubstring("503 Service Unavailable"))
	}, SpecTimeout(suitetest.Timeout))

	It("makes AUTHCODE-REDIRECT-REGISTRATION-RULES ERROR when registering the http redirect URI gets 429", func(ctx SpecContext) {
		env := suitetest.Answering(ctx, http.StatusTooManyRequests, func(r *http.Request, _ url.Values) bool {
			if r.URL.Path != "/register" {
				return false
			}
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			return bytes.Contains(body, []byte(`"http://client.oauthcheck.test/cb"`))
		})
		res := check.Run(ctx, "AUTHCODE-REDIRECT-REGISTRATION-RULES", env)
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Error), res.Message())
	}, SpecTimeout(suitetest.Timeout))

	It("skips AUTHCODE-REDIRECT-REGISTRATION-RULES when registration wants an initial access token", func(ctx SpecContext) {
		env := suitetest.Fronted(ctx, func(w http.ResponseWriter, r *http.Request, _ url.Values) bool {
			if r.URL.Path != "/register" {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_token"}`)
			return true
		})
		res := check.Run(ctx, "AUTHCODE-REDIRECT-REGISTRATION-RULES", env)
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Skip), res.Message())
		Expect(res.Message()).To(ContainSubstring("initial access token"))
	}, SpecTimeout(suitetest.Timeout))
})
