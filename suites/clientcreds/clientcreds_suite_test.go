package clientcreds

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/suitetest"
)

func TestClientCreds(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "clientcreds", Label("flow:clientcreds"))
}

var _ = BeforeSuite(func(ctx SpecContext) {
	suitetest.Strict(ctx, nil)
})

var _ = Describe("negative controls", Label("negative"), func() {
	DescribeTable("a weakened reference fails the check",
		func(ctx SpecContext, weakness, id string, want ...check.Verdict) {
			suitetest.ExpectFails(ctx, nil, weakness, id, want...)
		},
		Entry(nil, "cc-no-client-auth", "CC-CLIENT-AUTH-REQUIRED", check.Fail),
		Entry(nil, "cc-public-client", "CC-PUBLIC-CLIENT-REJECTED", check.Fail),
		Entry(nil, "cc-refresh-token", "CC-NO-REFRESH-TOKEN", check.Warn),
		Entry(nil, "no-basic-auth", "CLIENTAUTH-METHODS-SUPPORTED", check.Fail),
		Entry(nil, "basic-no-form-decoding", "CLIENTAUTH-BASIC-FORM-ENCODING", check.Fail),
		Entry(nil, "secret-in-uri", "CLIENTAUTH-NO-SECRET-IN-URI", check.Fail),
		Entry(nil, "no-client-auth-throttle", "CLIENTAUTH-BRUTEFORCE-THROTTLE", check.Warn),
	)
})

var _ = It("registers every check of catalogue group 5", func() {
	Expect(check.RegistrationErrors()).To(BeEmpty())
	for _, c := range check.All() {
		if c.Flow == "clientcreds" {
			Expect(check.Registered()).To(ContainElement(c.ID))
		}
	}
})
