package device

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestDevice(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "device", Label("flow:device"))
}

// The strict reference runs with reftarget.Quick: a 1 s interval and codes
// that live 20 s, so DEVICE-EXPIRED-TOKEN waits 22 s.
var _ = BeforeSuite(func(ctx SpecContext) {
	suitetest.Strict(ctx, nil)
})

// lifetime shortens the device codes' life for one negative control, so
// that it waits no longer than it must.
func lifetime(d time.Duration) suitetest.Config {
	return func(c *reference.Config) { c.DeviceTTL = d }
}

// quick keeps the suite's reftarget.Quick lifetimes.
var quick suitetest.Config

var _ = Describe("negative controls", Label("negative"), func() {
	DescribeTable("a weakened reference fails the check",
		func(ctx SpecContext, cfg suitetest.Config, weakness, id string, want ...check.Verdict) {
			suitetest.ExpectFails(ctx, cfg, weakness, id, want...)
		},
		EntryDescription("%[3]s under %[2]s: %[4]s"),
		Entry(nil, quick, "device-authz-incomplete", "DEVICE-AUTHZ-RESPONSE", check.Fail),
		Entry(nil, quick, "device-no-pending", "DEVICE-AUTHORIZATION-PENDING", check.Fail),
		Entry(nil, quick, "device-no-slow-down", "DEVICE-SLOW-DOWN-EMITTED", check.Warn),
		// 12 s leave room for one slow_down and one complying poll.
		Entry(nil, lifetime(12*time.Second), "device-slow-down-strict", "DEVICE-SLOW-DOWN-INTERVAL", check.Fail),
		Entry(nil, quick, "device-deny-ignored", "DEVICE-ACCESS-DENIED", check.Fail),
		Entry(nil, lifetime(time.Second), "device-no-expiry", "DEVICE-EXPIRED-TOKEN", check.Fail),
		Entry(nil, quick, "device-code-reuse", "DEVICE-CODE-SINGLE-USE", check.Fail),
		Entry(nil, quick, "device-not-client-bound", "DEVICE-CODE-CLIENT-BINDING", check.Fail),
		Entry(nil, quick, "device-weak-user-code", "DEVICE-USER-CODE-ENTROPY", check.Warn),
		Entry(nil, quick, "device-no-rate-limit", "DEVICE-USER-CODE-RATE-LIMIT", check.Warn),
		Entry(nil, quick, "device-no-normalisation", "DEVICE-USER-CODE-NORMALISATION", check.Warn),
		Entry(nil, quick, "device-complete-auto-approve", "DEVICE-VERIFICATION-URI-COMPLETE", check.Fail),
	)
})

// A target without the device grant skips every check, with the reason.
var _ = DescribeTable("skips without the device grant",
	func(ctx SpecContext, strip func(*check.Env), reason string) {
		env := suitetest.Reference(ctx, nil)
		strip(env)
		for _, c := range catalogue.All() {
			if c.Flow != "device" {
				continue
			}
			res := check.Run(ctx, c.ID, env)
			Expect(res.Verdict).To(Equal(check.Skip), res.Message())
			Expect(res.Message()).To(ContainSubstring(reason))
			Expect(res.Exchanges).To(BeEmpty(), "%s sent requests before skipping", c.ID)
		}
	},
	Entry("no device_authorization_endpoint", func(e *check.Env) { e.Target.Metadata.DeviceAuthorizationEndpoint = "" }, "device_authorization_endpoint"),
	Entry("no device client", func(e *check.Env) { delete(e.Target.Config.Clients, "device") }, `no "device" client`),
)

// Under the plain oauth2 profile a refused normalised code is an
// observation, as the catalogue has it; under bcp it is a WARN.
var _ = It("gives INFO for DEVICE-USER-CODE-NORMALISATION under the oauth2 profile", func(ctx SpecContext) {
	env := suitetest.Reference(ctx, nil, "device-no-normalisation")
	env.Profile = check.OAuth2
	res := check.Run(ctx, "DEVICE-USER-CODE-NORMALISATION", env)
	Expect(res.Verdict).To(Equal(check.Info), res.Message())
}, SpecTimeout(suitetest.Timeout))

var _ = It("registers every check of catalogue group 6", func() {
	Expect(check.RegistrationErrors()).To(BeEmpty())
	for _, c := range catalogue.All() {
		if c.Flow == "device" {
			Expect(check.Registered()).To(ContainElement(c.ID))
		}
	}
})
