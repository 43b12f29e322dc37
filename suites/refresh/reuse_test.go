package refresh

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

// Without a second public client, REFRESH-REUSE-REVOKES-ACCESS replays a
// refresh token of the public client, and still tells a server that
// revokes the family's access token from one that keeps it.
var _ = DescribeTable("REFRESH-REUSE-REVOKES-ACCESS without a second public client",
	func(ctx SpecContext, weaknesses []string, want check.Verdict) {
		env := suitetest.ReferenceWith(ctx, reftarget.Options{Weaknesses: weaknesses})
		public := env.Target.Config.Clients[target.RolePublic].ID
		delete(env.Target.Config.Clients, target.RolePublic2)
		res := check.Run(ctx, "REFRESH-REUSE-REVOKES-ACCESS", env)
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
	Entry("strict", nil, check.Pass),
	Entry("refresh-reuse-keeps-access", []string{string(reference.RefreshReuseKeepsAccess)}, check.Warn))
