package device

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestDevice(t *testing.T) { suitetest.Run(t, "device") }

// The strict reference runs with reftarget.Quick lifetimes; the checks
// declare their negative controls and the lifetimes these need.
var _ = suitetest.Suite("device", nil)

// A target without the device grant skips every check, with the reason.
var _ = DescribeTable("skips without the device grant",
	func(ctx SpecContext, strip func(*check.Env), reason string) {
		env := suitetest.Reference(ctx, nil)
		strip(env)
		for _, c := range catalogue.All() {
			if c.Flow != "device" {
				continue
			}
			res := check.Run(ctx, c.ID, env)
			Expect(res.Verdict).To(Equal(check.Skip), res.Message())
			Expect(res.Message()).To(ContainSubstring(reason))
			Expect(res.Exchanges).To(BeEmpty(), "%s sent requests before skipping", c.ID)
		}
	},
	Entry("no device_authorization_endpoint", func(e *check.Env) { e.Target.Metadata.DeviceAuthorizationEndpoint = "" }, "device_authorization_endpoint"),
	Entry("no device client", func(e *check.Env) { delete(e.Target.Config.Clients, "device") }, `no "device" client`),
)

// A refused normalised user code is an observation under every profile:
// RFC 8628 §6.1 advises normalising with a lower-case "should", and the
// catalogue grades a refusal INFO.
var _ = DescribeTable("gives INFO for a refused normalised user code",
	func(ctx SpecContext, p check.Profile) {
		env := suitetest.Reference(ctx, nil, "device-no-normalisation")
		env.Profile = p
		res := check.Run(ctx, "DEVICE-USER-CODE-NORMALISATION", env)
		Expect(res.Verdict).To(Equal(check.Info), res.Message())
	},
	Entry("oauth2", check.OAuth2, SpecTimeout(suitetest.Timeout)),
	Entry("bcp", check.BCP, SpecTimeout(suitetest.Timeout)),
)

// A wait beyond what a run without --slow may wait makes the check skip
// with the reason, at once, instead of waiting: expires_in + 10 s for
// DEVICE-EXPIRED-TOKEN, the interval for every check that polls.
var _ = DescribeTable("skips a wait beyond the quick limit without --slow",
	func(ctx SpecContext, cfg suitetest.Config, id, reason string) {
		env := suitetest.Reference(ctx, cfg)
		start := time.Now()
		res := check.Run(ctx, id, env)
		Expect(res.Verdict).To(Equal(check.Skip), res.Message())
		Expect(res.Message()).To(ContainSubstring(reason))
		Expect(time.Since(start)).To(BeNumerically("<", 10*time.Second), "the check waited before skipping")
	},
	Entry("expires_in 25 s: a wait of 35 s", func(c *reference.Config) { c.DeviceTTL = 25 * time.Second },
		"DEVICE-EXPIRED-TOKEN", "expires_in 25s, and up to 10s more) is 35s", SpecTimeout(suitetest.Timeout)),
	Entry("interval 40 s", func(c *reference.Config) { c.DeviceInterval = 40 * time.Second },
		"DEVICE-AUTHORIZATION-PENDING", "the polling interval is 40s", SpecTimeout(suitetest.Timeout)),
)

// A server that counts polls per client carries a raised interval from
// one check to the next (reftarget's throttle-per-client quirk keeps it
// for expires_in): the checks that follow DEVICE-SLOW-DOWN-EMITTED on the
// same server honour the slow_down they get, and neither FAIL nor end as
// ERROR, as in a run where the specs come in that order.
var _ = It("gives no FAIL after DEVICE-SLOW-DOWN-EMITTED on a server that throttles per client", func(ctx SpecContext) {
	env := suitetest.ReferenceWith(ctx, reftarget.Options{Quirks: []string{"throttle-per-client"}})
	for _, id := range []string{"DEVICE-SLOW-DOWN-EMITTED", "DEVICE-AUTHORIZATION-PENDING", "DEVICE-SLOW-DOWN-EMITTED",
		"DEVICE-SLOW-DOWN-INTERVAL", "DEVICE-SLOW-DOWN-EMITTED", "DEVICE-VERIFICATION-URI-COMPLETE"} {
		res := check.Run(ctx, id, env)
		check.Attach(res)
		Expect(res.Verdict).To(BeElementOf(check.Pass, check.Info, check.Warn), res.Message())
	}
}, SpecTimeout(4*suitetest.Timeout))

// DEVICE-SLOW-DOWN-INTERVAL runs (b) beside (a), on the first device
// client, which the flow's other checks poll too. On a server that counts
// per client, a slow_down there may be their doing: (b) goes again, alone
// on the second client, and only that attempt is graded. Here the first
// client's raised interval is DEVICE-SLOW-DOWN-EMITTED's, just before.
var _ = It("grades DEVICE-SLOW-DOWN-INTERVAL (b) alone when other polls of the first client may have slowed it down", func(ctx SpecContext) {
	env := suitetest.ReferenceWith(ctx, reftarget.Options{Quirks: []string{"throttle-per-client"}})
	Expect(check.Run(ctx, "DEVICE-SLOW-DOWN-EMITTED", env).Verdict).To(Equal(check.Pass))
	res := check.Run(ctx, "DEVICE-SLOW-DOWN-INTERVAL", env)
	check.Attach(res)
	Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	notes := notesOf(res)
	Expect(notes).To(ContainElement(ContainSubstring("go again on the second client")))
	Expect(res.Findings).NotTo(ContainElement(HaveField("Verdict", check.Fail)))
}, SpecTimeout(2*suitetest.Timeout))

// notesOf is the labels of a result's exchanges.
func notesOf(res *check.Result) []string {
	var notes []string
	for _, e := range res.Exchanges {
		notes = append(notes, e.Note)
	}
	return notes
}

// ... and on a server that counts per code, (b) beside (a) is graded at
// once: the check takes about as long as (b) alone.
var _ = It("runs DEVICE-SLOW-DOWN-INTERVAL (b) beside (a) on a server that counts per code", func(ctx SpecContext) {
	env := suitetest.Reference(ctx, nil)
	res := check.Run(ctx, "DEVICE-SLOW-DOWN-INTERVAL", env)
	check.Attach(res)
	Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	notes := notesOf(res)
	Expect(notes).NotTo(ContainElement(ContainSubstring("go again on the second client")))
	Expect(notes).To(ContainElement(ContainSubstring("(a) poll 6")))
	Expect(res.Waited).To(BeNumerically("<", 9*time.Second), "(a) and (b) did not overlap")
}, SpecTimeout(suitetest.Timeout))

// The person answers a device authorization only once the check has the
// browser: while other checks hold every browser slot, a check that needs
// the person waits for one before it asks for the codes, so the wait does
// not spend their lifetime (a vendor whose device codes live 20 s gave
// ERROR "User code has expired" on a busy run, and a false INFO for
// DEVICE-USER-CODE-NORMALISATION).
var _ = DescribeTable("takes the browser before the codes' lifetime starts",
	func(ctx SpecContext, id string, want check.Verdict) {
		env := suitetest.Reference(ctx, func(c *reference.Config) { c.DeviceTTL = 5 * time.Second })
		env.BrowserSlots = browser.NewSlots(GinkgoT().TempDir(), 1)
		release, err := env.BrowserSlots.Acquire(ctx)
		Expect(err).NotTo(HaveOccurred())
		done := make(chan *check.Result, 1)
		go func() { defer GinkgoRecover(); done <- check.Run(ctx, id, env) }()
		// Another check holds the only slot for longer than the codes live.
		time.Sleep(7 * time.Second)
		release()
		var res *check.Result
		Eventually(done).WithContext(ctx).Should(Receive(&res))
		check.Attach(res)
		Expect(res.Verdict).To(Equal(want), res.Message())
	},
	Entry(nil, "DEVICE-ACCESS-DENIED", check.Pass, SpecTimeout(suitetest.Timeout)),
	Entry(nil, "DEVICE-USER-CODE-NORMALISATION", check.Pass, SpecTimeout(suitetest.Timeout)),
)

func TestOutcomeLockout(t *testing.T) {
	f := &codeForm{baseline: map[string]bool{}}
	page := func(status int, body string) *client.Response {
		return &client.Response{Status: status, Body: []byte(body)}
	}
	tests := []struct {
		name     string
		r        *client.Response
		rejected int
		want     string
		reason   string
	}{
		{"429", page(429, "slow"), 0, outcomeThrottled, "429 is throttling"},
		{"wrong code", page(400, "That code is unknown or expired."), 3, outcomeRejected, "an ordinary refusal"},
		{"403 lockout", page(403, "<h1>Request refused</h1><p>Access denied.</p>"), 5, outcomeThrottled, "a 403 after ordinary refusals is a lockout (lockout-403)"},
		{"403 at once", page(403, "The form expired or you are not signed in."), 0, outcomeOther, "a 403 to the first code is the form's, not a limit"},
		{"blocked", page(200, "Access blocked for now."), 0, outcomeThrottled, "the words of a lockout"},
		{"503 page", page(503, "Service Temporarily Unavailable"), 3, outcomeOther, "a server error's words are not a limit"},
		{"503 with Retry-After", &client.Response{Status: 503, Header: http.Header{"Retry-After": {"30"}}}, 3, outcomeThrottled, "a 503 that says when to come back is a limit"},
	}
	for _, tt := range tests {
		if got := f.outcome(tt.r, tt.rejected); got != tt.want {
			t.Errorf("%s: outcome = %s, want %s (%s)", tt.name, got, tt.want, tt.reason)
		}
	}
}

// A verification page may show the user code in a filled-in field rather
// than in its text: the person sees it all the same.
var _ = It("sees the user code that verification_uri_complete's page shows in a filled-in input", func(ctx SpecContext) {
	codeText := regexp.MustCompile(`<p class="code" id="user-code">([^<]*)</p>`)
	env := suitetest.Behind(ctx, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || r.URL.Path != "/device" || r.URL.Query().Get("user_code") == "" {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			_, _ = io.WriteString(w, codeText.ReplaceAllString(rec.Body.String(), `<input id="user-code" value="$1" readonly>`))
		})
	})
	res := check.Run(ctx, "DEVICE-VERIFICATION-URI-COMPLETE", env)
	check.Attach(res)
	Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	Expect(res.Message()).To(ContainSubstring("showed the user code"))
}, SpecTimeout(suitetest.Timeout))
