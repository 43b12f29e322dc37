package tokenendpoint

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/suitetest"
)

func TestTokenEndpoint(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "tokenendpoint", Label("flow:tokenendpoint"))
}

var _ = BeforeSuite(func(ctx SpecContext) {
	suitetest.Strict(ctx, nil)
})

var _ = Describe("negative controls", Label("negative"), func() {
	DescribeTable("a weakened reference fails the check",
		func(ctx SpecContext, weakness, id string, want ...check.Verdict) {
			suitetest.ExpectFails(ctx, nil, weakness, id, want...)
		},
		Entry(nil, "no-cache-headers", "TOKEN-CACHE-NO-STORE", check.Fail),
		Entry(nil, "token-response-incomplete", "TOKEN-RESPONSE-FORMAT", check.Fail),
		Entry(nil, "token-error-html", "TOKEN-ERROR-CODES", check.Fail),
		Entry(nil, "invalid-client-400", "TOKEN-INVALID-CLIENT-401", check.Fail),
		Entry(nil, "token-get-allowed", "TOKEN-POST-ONLY", check.Fail),
		Entry(nil, "token-repeated-params", "TOKEN-PARAM-HYGIENE", check.Fail),
		Entry(nil, "weak-tokens", "TOKEN-ENTROPY", check.Fail),
		Entry(nil, "long-access-tokens", "TOKEN-AT-LIFETIME", check.Warn),
	)
})

var _ = It("registers every check of catalogue group 8", func() {
	Expect(check.RegistrationErrors()).To(BeEmpty())
	for _, c := range check.All() {
		if c.Flow == "tokenendpoint" {
			Expect(check.Registered()).To(ContainElement(c.ID))
		}
	}
})
