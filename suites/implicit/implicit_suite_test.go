package implicit

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestImplicit(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteCfg, repCfg := GinkgoConfiguration()
	suiteCfg.LabelFilter = "!(id: containsAny IMPLICIT-DISABLED)"
	RunSpecs(t, "implicit", Label("flow:implicit"), suiteCfg, repCfg)
}

// The suite runs against a reference with the implicit grant on, so that
// its checks really execute; IMPLICIT-DISABLED, which must then warn, is
// skipped here and judged by the spec below.
var _ = BeforeSuite(func(ctx SpecContext) {
	suitetest.Strict(ctx, withImplicit)
})

var _ = Describe("negative controls", Label("negative"), func() {
	DescribeTable("a weakened reference fails the check",
		func(ctx SpecContext, weakness, id string, want ...check.Verdict) {
			suitetest.ExpectFails(ctx, withImplicit, weakness, id, want...)
		},
		Entry(nil, "implicit-refresh-token", "IMPLICIT-NO-REFRESH-TOKEN", check.Fail),
		Entry(nil, "implicit-query", "IMPLICIT-FRAGMENT-ONLY", check.Fail),
	)
})

var _ = It("registers every check of catalogue group 4", func() {
	Expect(check.RegistrationErrors()).To(BeEmpty())
	for _, c := range catalogue.All() {
		if c.Flow == "implicit" {
			Expect(check.Registered()).To(ContainElement(c.ID))
		}
	}
})

// withImplicit switches the implicit grant on, so that the checks that
// need it really execute; the strict default has it off.
func withImplicit(c *reference.Config) { c.Implicit = true }

// With the implicit grant off, as the reference has it by default,
// IMPLICIT-DISABLED passes and the others skip with the reason; with it on,
// IMPLICIT-DISABLED warns (its negative control).
var _ = It("passes IMPLICIT-DISABLED with the grant off and warns with it on", func(ctx SpecContext) {
	off := suitetest.Reference(ctx, nil)
	Expect(check.Run(ctx, "IMPLICIT-DISABLED", off).Verdict).To(Equal(check.Pass))
	Expect(check.Run(ctx, "IMPLICIT-NO-REFRESH-TOKEN", off).Verdict).To(Equal(check.Skip))
	on := suitetest.Reference(ctx, withImplicit)
	res := check.Run(ctx, "IMPLICIT-DISABLED", on)
	Expect(res.Verdict).To(Equal(check.Warn), res.Message())
	on.Profile = check.OAuth21
	Expect(check.Run(ctx, "IMPLICIT-DISABLED", on).Verdict).To(Equal(check.Fail))
}, SpecTimeout(suitetest.Timeout))
