package refresh

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

// Without a second public client, the replay checks replay refresh tokens
// of the public client, and still tell a server that does what they ask
// from one that does not.
var _ = DescribeTable("the replay checks without a second public client",
	func(ctx SpecContext, id string, weaknesses []string, want check.Verdict) {
		env := suitetest.ReferenceWith(ctx, reftarget.Options{Weaknesses: weaknesses})
		public := env.Target.Config.Clients[target.RolePublic].ID
		delete(env.Target.Config.Clients, target.RolePublic2)
		res := check.Run(ctx, id, env)
		check.Attach(res)
		Expect(res.Verdict).To(Equal(want), res.Message())
		var clients []string
		for _, s := range res.Steps {
			if i := strings.Index(s.URL, "client_id="); i >= 0 && strings.Contains(s.URL, "/authorize?") {
				clients = append(clients, strings.SplitN(s.URL[i+len("client_id="):], "&", 2)[0])
			}
		}
		Expect(clients).NotTo(BeEmpty())
		Expect(clients).To(HaveEach(public), "the family is the public client's")
	},
	Entry("REFRESH-REUSE-REVOKES-ACCESS, strict", "REFRESH-REUSE-REVOKES-ACCESS", nil, check.Pass),
	Entry("REFRESH-REUSE-REVOKES-ACCESS, refresh-reuse-keeps-access", "REFRESH-REUSE-REVOKES-ACCESS", []string{string(reference.RefreshReuseKeepsAccess)}, check.Warn),
	Entry("REFRESH-REUSE-DETECTION, strict", "REFRESH-REUSE-DETECTION", nil, check.Pass),
	Entry("REFRESH-REUSE-DETECTION, refresh-no-reuse-detection", "REFRESH-REUSE-DETECTION", []string{string(reference.RefreshNoReuseDetect)}, check.Fail))

// RFC 9700 §4.14.2 asks rotation of public clients only: with no public
// client in the config, the check replays the confidential client's
// tokens, and an old one that still works is only noted.
var _ = It("does not hold a confidential client to rotation in REFRESH-OLD-RT-INVALIDATED", func(ctx SpecContext) {
	env := suitetest.ReferenceWith(ctx, reftarget.Options{Weaknesses: []string{"refresh-old-valid"},
		Config: func(c *reference.Config) { c.RefreshTTL = 2 * time.Minute }})
	delete(env.Target.Config.Clients, target.RolePublic)
	delete(env.Target.Config.Clients, target.RolePublic2)
	res := check.Run(ctx, "REFRESH-OLD-RT-INVALIDATED", env)
	check.Attach(res)
	Expect(res.Verdict).To(Equal(check.Info), res.Message())
	Expect(res.Message()).To(ContainSubstring("asks rotation of public clients only"))
}, SpecTimeout(suitetest.Timeout))
