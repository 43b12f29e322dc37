package device

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestDevice(t *testing.T) { suitetest.Run(t, "device") }

// The strict reference runs with reftarget.Quick lifetimes; the checks
// declare their negative controls and the lifetimes these need.
var _ = suitetest.Suite("device", nil)

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
