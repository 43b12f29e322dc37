package pkce

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestPKCE(t *testing.T) { suitetest.Run(t, "pkce") }

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("pkce", nil)

// Under the OAuth 2.1 profile, a public client without PKCE is a FAIL.
var _ = It("fails PKCE-REQUIRED-PUBLIC under the oauth2.1 profile", func(ctx SpecContext) {
	env := suitetest.Reference(ctx, nil, "pkce-optional")
	env.Profile = check.OAuth21
	res := check.Run(ctx, "PKCE-REQUIRED-PUBLIC", env)
	Expect(res.Verdict).To(Equal(check.Fail), res.Message())
}, SpecTimeout(suitetest.Timeout))

// A refusal is seen, never inferred from silence: a browser that cannot
// log in (an actor that does nothing) gets no answer, and the checks that
// judge a refusal end as ERROR, not PASS.
var _ = DescribeTable("no answer is no refusal",
	func(ctx SpecContext, id string) {
		ctx2, cancel := context.WithTimeout(ctx, suitetest.Timeout)
		defer cancel()
		env := suitetest.Reference(ctx2, nil)
		env.Actor = idle{}
		res := check.Run(ctx2, id, env)
		Expect(res.Verdict).To(Equal(check.Error), res.Message())
	},
	Entry(nil, "PKCE-REQUIRED-PUBLIC"),
	Entry(nil, "PKCE-REQUIRED-CONFIDENTIAL"),
	Entry(nil, "PKCE-DOWNGRADE-NO-CHALLENGE"),
	Entry(nil, "PKCE-PLAIN-ACCEPTED"),
)

// idle is a person who never acts: the login page stays as it is.
type idle struct{}

func (idle) Act(context.Context, *browser.Page, browser.Task) (browser.Action, error) {
	return browser.ActNone, nil
}

// An error page of a gateway or a rate limiter tells nothing of the
// request: no refusal is credited, and the check ends as ERROR.
var _ = It("takes no 503 page for a refusal of code_challenge_method=plain", func(ctx SpecContext) {
	env := suitetest.Answering(ctx, http.StatusServiceUnavailable, func(r *http.Request, _ url.Values) bool {
		return r.URL.Path == "/authorize" && r.URL.Query().Get("code_challenge_method") == "plain"
	})
	res := check.Run(ctx, "PKCE-PLAIN-ACCEPTED", env)
	check.Attach(res)
	Expect(res.Verdict).To(Equal(check.Error), res.Message())
	Expect(res.Message()).To(ContainSubstring("an error page (503)"))
}, SpecTimeout(suitetest.Timeout))
