package refresh

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/suitetest"
)

func TestRefresh(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "refresh", Label("flow:refresh"))
}

var _ = BeforeSuite(func(ctx SpecContext) {
	suitetest.Strict(ctx, nil)
})

var _ = Describe("negative controls", Label("negative"), func() {
	DescribeTable("a weakened reference fails the check",
		func(ctx SpecContext, weakness, id string, want ...check.Verdict) {
			suitetest.ExpectFails(ctx, nil, weakness, id, want...)
		},
		Entry(nil, "refresh-no-rotation", "REFRESH-ROTATION", check.Fail),
		Entry(nil, "refresh-old-valid", "REFRESH-OLD-RT-INVALIDATED", check.Fail),
		Entry(nil, "refresh-no-reuse-detection", "REFRESH-REUSE-DETECTION", check.Fail),
		Entry(nil, "refresh-reuse-keeps-access", "REFRESH-REUSE-REVOKES-ACCESS", check.Warn),
		Entry(nil, "refresh-old-valid", "REFRESH-CONCURRENT", check.Fail),
		Entry(nil, "refresh-not-client-bound", "REFRESH-CLIENT-BINDING", check.Fail),
		Entry(nil, "refresh-no-client-auth", "REFRESH-CLIENT-AUTH-REQUIRED", check.Fail),
		Entry(nil, "refresh-scope-escalation", "REFRESH-SCOPE-NO-ESCALATION", check.Fail),
		Entry(nil, "refresh-no-expiry", "REFRESH-LIFECYCLE", check.Warn),
	)
})

var _ = It("registers every check of catalogue group 7", func() {
	Expect(check.RegistrationErrors()).To(BeEmpty())
	for _, c := range check.All() {
		if c.Flow == "refresh" {
			Expect(check.Registered()).To(ContainElement(c.ID))
		}
	}
})
