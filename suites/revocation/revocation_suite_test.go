package revocation

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/suitetest"
)

func TestRevocation(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "revocation", Label("flow:revocation"))
}

var _ = BeforeSuite(func(ctx SpecContext) {
	suitetest.Strict(ctx, nil)
})

var _ = Describe("negative controls", Label("negative"), func() {
	DescribeTable("a weakened reference fails the check",
		func(ctx SpecContext, weakness, id string, want ...check.Verdict) {
			suitetest.ExpectFails(ctx, nil, weakness, id, want...)
		},
		Entry(nil, "revoke-noop", "REVOKE-REFRESH-TOKEN", check.Fail),
		Entry(nil, "revoke-access-noop", "REVOKE-ACCESS-TOKEN", check.Warn),
		Entry(nil, "revoke-no-cascade", "REVOKE-CASCADE", check.Warn),
		Entry(nil, "revoke-no-client-auth", "REVOKE-CLIENT-AUTH", check.Fail),
		Entry(nil, "revoke-cross-client", "REVOKE-CROSS-CLIENT", check.Fail),
		Entry(nil, "revoke-hint-strict", "REVOKE-INVALID-TOKEN", check.Fail),
	)
})

var _ = It("registers every check of catalogue group 9", func() {
	Expect(check.RegistrationErrors()).To(BeEmpty())
	for _, c := range check.All() {
		if c.Flow == "revocation" {
			Expect(check.Registered()).To(ContainElement(c.ID))
		}
	}
})
