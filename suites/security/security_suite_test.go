package security

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestSecurity(t *testing.T) { suitetest.Run(t, "security") }

// The checks of groups 11 to 16 that are built pass against the strict
// reference; under each weakness, the check it targets must FAIL or WARN.
var _ = suitetest.Suite("security", nil)

// CLICKJACK-FRAMING-HEADERS looks at more than the login and consent
// pages: an error page and the device verification page are among the
// pages it judges.
var _ = It("judges the framing headers of an error page and the device verification page", func(ctx SpecContext) {
	env := suitetest.Reference(ctx, nil)
	res := check.Run(ctx, "CLICKJACK-FRAMING-HEADERS", env)
	Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	var errorPage, devicePage bool
	for _, st := range res.Steps {
		if st.Kind != evidence.StepDocument {
			continue
		}
		errorPage = errorPage || st.Status == http.StatusBadRequest
		devicePage = devicePage || strings.Contains(st.URL, "/device")
	}
	Expect(errorPage).To(BeTrue(), "no error page among the documents:\n%s", check.Steps(res.Steps))
	Expect(devicePage).To(BeTrue(), "no device verification page among the documents:\n%s", check.Steps(res.Steps))
}, SpecTimeout(suitetest.Timeout))

func TestFramingOf(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   int
		reason string
	}{
		{"none", http.Header{}, unprotected, ""},
		{"csp none", http.Header{"Content-Security-Policy": {"frame-ancestors 'none'"}}, cspFraming, ""},
		{"csp allow-list", http.Header{"Content-Security-Policy": {"default-src 'self'; frame-ancestors 'self' https://app.example"}}, cspFraming, ""},
		{"csp wildcard", http.Header{"Content-Security-Policy": {"frame-ancestors *"}, "X-Frame-Options": {"DENY"}}, unprotected,
			"frame-ancestors * lets anyone frame the page, and browsers that know CSP then ignore X-Frame-Options"},
		{"csp scheme", http.Header{"Content-Security-Policy": {"frame-ancestors https:"}}, unprotected, "any https origin"},
		{"two policies", http.Header{"Content-Security-Policy": {"frame-ancestors *", "frame-ancestors 'self'"}}, cspFraming, "the strictest policy holds"},
		{"xfo", http.Header{"X-Frame-Options": {"sameorigin"}}, xfoOnly, ""},
		{"xfo allow-from", http.Header{"X-Frame-Options": {"ALLOW-FROM https://a.example"}}, unprotected, "no browser enforces ALLOW-FROM"},
		{"report only", http.Header{"Content-Security-Policy-Report-Only": {"frame-ancestors 'none'"}}, unprotected, "a report-only policy blocks nothing"},
	}
	for _, tt := range tests {
		if got, why := framingOf(tt.header); got != tt.want {
			t.Errorf("%s: framingOf = %d (%s), want %d (%s)", tt.name, got, why, tt.want, tt.reason)
		}
	}
}

func TestJudgeFraming(t *testing.T) {
	deny := http.Header{"Content-Security-Policy": {"frame-ancestors 'none'"}, "X-Frame-Options": {"DENY"}}
	open := http.Header{}
	login := serverPage{URL: "https://as.example/login", Status: 200, Acts: []string{"login"}}
	consent := serverPage{URL: "https://as.example/consent", Status: 200, Acts: []string{"approve"}}
	errPage := serverPage{URL: "https://as.example/authorize?client_id=x", Status: 400}
	device := serverPage{URL: "https://as.example/device", Status: 200}
	with := func(p serverPage, h http.Header) serverPage { p.Header = h; return p }
	verdicts := func(fs check.Findings) []check.Verdict {
		var out []check.Verdict
		for _, f := range fs {
			out = append(out, f.Verdict)
		}
		return out
	}
	tests := []struct {
		name   string
		pages  []serverPage
		want   []check.Verdict
		reason string
	}{
		{"all protected", []serverPage{with(login, deny), with(consent, deny), with(errPage, deny), with(device, deny)}, []check.Verdict{check.Pass}, ""},
		{"error page open", []serverPage{with(login, deny), with(consent, deny), with(errPage, open), with(device, deny)}, []check.Verdict{check.Warn},
			"protection on some pages only"},
		{"login open", []serverPage{with(login, open), with(consent, deny)}, []check.Verdict{check.Fail}, "the login page has neither header"},
		{"consent wildcard", []serverPage{with(login, deny), with(consent, http.Header{"Content-Security-Policy": {"frame-ancestors *"}})}, []check.Verdict{check.Fail},
			"frame-ancestors * is no protection"},
		{"xfo only", []serverPage{with(login, http.Header{"X-Frame-Options": {"DENY"}})}, []check.Verdict{check.Warn, check.Pass}, "only X-Frame-Options"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, verdicts(judgeFraming(tt.pages))); diff != "" {
			t.Errorf("%s: verdicts mismatch (-want +got) (%s):\n%s", tt.name, tt.reason, diff)
		}
	}
}

// Without a test user, ROPC-DISABLED still judges the server, with
// made-up credentials: a server that serves the grant judges them.
var _ = DescribeTable("ROPC-DISABLED without a test user",
	func(ctx SpecContext, weakness string, want check.Verdict) {
		var env *check.Env
		if weakness == "" {
			env = suitetest.Reference(ctx, nil)
		} else {
			env = suitetest.Reference(ctx, nil, weakness)
		}
		env.Target.Config.User = nil
		res := check.Run(ctx, "ROPC-DISABLED", env)
		Expect(res.Verdict).To(Equal(want), res.Message())
	},
	Entry("strict", "", check.Pass),
	Entry("the grant served", "password-grant", check.Fail),
)

// A script app renders its login form after the page's requests are done:
// framed without protection, it is still a clickjacker's interface.
var _ = It("sees a framed script login's form", func(ctx SpecContext) {
	env := suitetest.ReferenceWith(ctx, reftarget.Options{Quirks: []string{string(reference.QuirkJSLogin)}, Weaknesses: []string{"framing-allowed"}})
	res := check.Run(ctx, "CLICKJACK-IFRAME-BLOCKED", env)
	check.Attach(res)
	Expect(res.Verdict).To(Equal(check.Fail), res.Message())
}, SpecTimeout(suitetest.Timeout))

// An answer that tells nothing of the request (a gateway's 503) is no
// refusal: the check ends as ERROR, not PASS.
var _ = Describe("an answer that tells nothing", func() {
	It("makes ROPC-DISABLED ERROR when the password grant gets 503", func(ctx SpecContext) {
		env := suitetest.Answering(ctx, http.StatusServiceUnavailable, func(r *http.Request, form url.Values) bool {
			return r.URL.Path == "/token" && form.Get("grant_type") == "password"
		})
		res := check.Run(ctx, "ROPC-DISABLED", env)
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Error), res.Message())
		Expect(res.Message()).To(ContainSubstring("503 Service Unavailable"))
	}, SpecTimeout(suitetest.Timeout))

	It("makes CLICKJACK-IFRAME-BLOCKED ERROR when the framed page is a 503", func(ctx SpecContext) {
		env := suitetest.Answering(ctx, http.StatusServiceUnavailable, func(r *http.Request, _ url.Values) bool {
			return r.Header.Get("Sec-Fetch-Dest") == "iframe"
		})
		res := check.Run(ctx, "CLICKJACK-IFRAME-BLOCKED", env)
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Error), res.Message())
		Expect(res.Message()).To(ContainSubstring("503 Service Unavailable in the frame"))
	}, SpecTimeout(suitetest.Timeout))
})
