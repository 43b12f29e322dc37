package authcode

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/reftarget"
	"github.com/oauthcheck/oauthcheck/suites/suitetest"
)

func TestAuthcode(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "authcode", Label("flow:authcode"))
}

// shortCodes lets AUTHCODE-EXPIRY wait seconds, not minutes: the code
// lifetime of reftarget.Quick, long enough for a loaded machine's browser.
var shortCodes suitetest.Config = reftarget.Quick

var _ = BeforeSuite(func(ctx SpecContext) {
	suitetest.Strict(ctx, shortCodes)
})

var _ = Describe("negative controls", Label("negative"), func() {
	DescribeTable("a weakened reference fails the check",
		func(ctx SpecContext, weakness, id string, want ...check.Verdict) {
			suitetest.ExpectFails(ctx, shortCodes, weakness, id, want...)
		},
		Entry(nil, "code-reuse", "AUTHCODE-CODE-REUSE", check.Fail),
		Entry(nil, "code-replay-keeps-tokens", "AUTHCODE-REUSE-REVOKES-TOKENS", check.Warn),
		Entry(nil, "code-reuse", "AUTHCODE-CONCURRENT-REDEEM", check.Fail),
		Entry(nil, "code-no-expiry", "AUTHCODE-EXPIRY", check.Warn),
		Entry(nil, "code-not-client-bound", "AUTHCODE-CLIENT-BINDING", check.Fail),
		Entry(nil, "redirect-uri-not-checked", "AUTHCODE-REDIRECT-URI-TOKEN-MATCH", check.Fail),
		Entry(nil, "redirect-prefix-match", "AUTHCODE-REDIRECT-EXACT-MATCH", check.Fail),
		Entry(nil, "registration-lax", "AUTHCODE-REDIRECT-REGISTRATION-RULES", check.Fail),
		Entry(nil, "state-truncated", "AUTHCODE-STATE-ECHO", check.Fail),
		Entry(nil, "error-no-state", "AUTHCODE-ERROR-RESPONSE", check.Fail),
		Entry(nil, "repeated-params-allowed", "AUTHCODE-PARAM-HYGIENE", check.Fail),
		Entry(nil, "redirect-307", "AUTHCODE-NO-307", check.Fail),
	)
})

var _ = It("registers every check of catalogue group 2", func() {
	Expect(check.RegistrationErrors()).To(BeEmpty())
	for _, c := range check.All() {
		if c.Flow == "authcode" {
			Expect(check.Registered()).To(ContainElement(c.ID))
		}
	}
})
