package refresh

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

// A refresh token that the harness presents once its configured lifetime
// has passed may simply have expired: its refusal is no evidence of what
// the check provoked. Here the server does not detect reuse, and the
// family's newest refresh token, used 2 s after the replay, has outlived
// its 3 s: without the guard, its refusal would PASS the server.
var _ = It("grades the refusal of a refresh token presented after its configured lifetime as ERROR", func(ctx SpecContext) {
	env := suitetest.ReferenceWith(ctx, reftarget.Options{
		Weaknesses: []string{string(reference.RefreshNoReuseDetect)},
		Config:     func(c *reference.Config) { c.RefreshTTL = 3 * time.Second },
	})
	res := check.Run(ctx, "REFRESH-REUSE-DETECTION", env)
	check.Attach(res)
	Expect(res.Verdict).To(Equal(check.Error), res.Message())
	Expect(res.Message()).To(ContainSubstring("too slow to judge the server"))
}, SpecTimeout(suitetest.Timeout))
