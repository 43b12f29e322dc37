package implicit

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestImplicit(t *testing.T) {
	check.FailOnShould(true)
	RegisterFailHandler(Fail)
	suiteCfg, repCfg := GinkgoConfiguration()
	suiteCfg.LabelFilter = "!(id: containsAny IMPLICIT-DISABLED)"
	RunSpecs(t, "implicit", Label("flow:implicit"), suiteCfg, repCfg)
}

// The suite runs against a reference with the implicit grant on, so that
// its checks really execute; IMPLICIT-DISABLED, which must then warn (its
// negative control), is left out of the strict run and judged by the spec
// below.
var _ = suitetest.Suite("implicit", withImplicit)

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
