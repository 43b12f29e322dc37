package introspection

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/suitetest"
)

func TestIntrospection(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "introspection", Label("flow:introspection"))
}

var _ = BeforeSuite(func(ctx SpecContext) {
	suitetest.Strict(ctx, nil)
})

var _ = Describe("negative controls", Label("negative"), func() {
	DescribeTable("a weakened reference fails the check",
		func(ctx SpecContext, weakness, id string, want ...check.Verdict) {
			suitetest.ExpectFails(ctx, nil, weakness, id, want...)
		},
		Entry(nil, "introspect-no-auth", "INTROSPECT-AUTH-REQUIRED", check.Fail),
		Entry(nil, "introspect-inactive-verbose", "INTROSPECT-INACTIVE-MINIMAL", check.Warn),
		Entry(nil, "introspect-wrong-client-id", "INTROSPECT-ACTIVE-RESPONSE", check.Warn),
	)
})

var _ = It("registers every check of catalogue group 10", func() {
	Expect(check.RegistrationErrors()).To(BeEmpty())
	for _, c := range check.All() {
		if c.Flow == "introspection" {
			Expect(check.Registered()).To(ContainElement(c.ID))
		}
	}
})
