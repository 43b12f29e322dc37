package discovery

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/suitetest"
)

func TestDiscovery(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "discovery", Label("flow:discovery"))
}

// Every check of the suite runs against the strict reference and passes.
var _ = BeforeSuite(func(ctx SpecContext) {
	suitetest.Strict(ctx, nil)
})

// Negative controls: under each weakness the check it targets must FAIL
// or WARN, through the very code users run.
var _ = Describe("negative controls", Label("negative"), func() {
	DescribeTable("a weakened reference fails the check",
		func(ctx SpecContext, weakness, id string, want ...check.Verdict) {
			suitetest.ExpectFails(ctx, nil, weakness, id, want...)
		},
		Entry(nil, "issuer-mismatch", "META-ISSUER-IDENTICAL", check.Fail),
		Entry(nil, "metadata-incomplete", "META-REQUIRED-FIELDS", check.Fail),
		Entry(nil, "pkce-not-advertised", "META-PKCE-ADVERTISED", check.Warn),
		Entry(nil, "jwks-private-key", "META-JWKS-PUBLIC-ONLY", check.Fail),
		Entry(nil, "password-grant", "META-MATCHES-BEHAVIOUR", check.Warn),
		Entry(nil, "metadata-not-json", "META-WELLKNOWN", check.Fail),
	)
})

var _ = It("registers every check of catalogue group 1", func() {
	Expect(check.RegistrationErrors()).To(BeEmpty())
	for _, c := range check.All() {
		if c.Flow == "discovery" {
			Expect(check.Registered()).To(ContainElement(c.ID))
		}
	}
})
