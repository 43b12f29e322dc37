package pkce

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/suitetest"
)

func TestPKCE(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "pkce", Label("flow:pkce"))
}

var _ = BeforeSuite(func(ctx SpecContext) {
	suitetest.Strict(ctx, nil)
})

var _ = Describe("negative controls", Label("negative"), func() {
	DescribeTable("a weakened reference fails the check",
		func(ctx SpecContext, weakness, id string, want ...check.Verdict) {
			suitetest.ExpectFails(ctx, nil, weakness, id, want...)
		},
		Entry(nil, "pkce-s256-unsupported", "PKCE-S256-SUPPORTED", check.Fail),
		Entry(nil, "pkce-no-verify", "PKCE-VERIFIER-MISMATCH", check.Fail),
		Entry(nil, "pkce-verifier-optional", "PKCE-VERIFIER-MISSING", check.Fail),
		Entry(nil, "pkce-downgrade", "PKCE-DOWNGRADE-NO-CHALLENGE", check.Fail),
		Entry(nil, "pkce-plain-downgrade", "PKCE-PLAIN-DOWNGRADE", check.Fail),
		Entry(nil, "pkce-optional", "PKCE-REQUIRED-PUBLIC", check.Warn),
		Entry(nil, "pkce-optional-confidential", "PKCE-REQUIRED-CONFIDENTIAL", check.Warn),
		Entry(nil, "pkce-unknown-method", "PKCE-UNSUPPORTED-METHOD", check.Fail),
		Entry(nil, "pkce-lax-syntax", "PKCE-VERIFIER-SYNTAX", check.Fail),
		Entry(nil, "pkce-plain", "PKCE-PLAIN-ACCEPTED", check.Warn),
	)
})

// Under the OAuth 2.1 profile, a public client without PKCE is a FAIL.
var _ = It("fails PKCE-REQUIRED-PUBLIC under the oauth2.1 profile", func(ctx SpecContext) {
	env := suitetest.Reference(ctx, nil, "pkce-optional")
	env.Profile = check.OAuth21
	res := check.Run(ctx, "PKCE-REQUIRED-PUBLIC", env)
	Expect(res.Verdict).To(Equal(check.Fail), res.Message())
}, SpecTimeout(suitetest.Timeout))

var _ = It("registers every check of catalogue group 3", func() {
	Expect(check.RegistrationErrors()).To(BeEmpty())
	for _, c := range check.All() {
		if c.Flow == "pkce" {
			Expect(check.Registered()).To(ContainElement(c.ID))
		}
	}
})
