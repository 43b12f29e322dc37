package refresh

import (
	"net/http"
	"net/http/httptest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

var _ = Describe("REFRESH-LIFECYCLE's logout", func() {
	It("sees the strict reference revoke on logout, and idle expiry", func(ctx SpecContext) {
		res := check.Run(ctx, "REFRESH-LIFECYCLE", suitetest.Reference(ctx, nil))
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Pass), res.Message())
		Expect(res.Findings.String()).To(And(ContainSubstring("(a) the refresh token was revoked"), ContainSubstring("(b) a refresh token unused")))
	})

	It("confirms the sign-out and sees the refresh token survive it", func(ctx SpecContext) {
		env := suitetest.ReferenceWith(ctx, reftarget.Options{Quirks: []string{string(reference.QuirkLogoutKeepsRefresh)}})
		res := check.Run(ctx, "REFRESH-LIFECYCLE", env)
		check.Attach(res)
		// (a) is an observation beside (b)'s PASS.
		Expect(res.Verdict).To(Equal(check.Pass), res.Message())
		Expect(res.Findings.String()).To(ContainSubstring("INFO: (a) the refresh token still works after the person logged out"))
	})

	It("does not judge a logout that left the session alive", func(ctx SpecContext) {
		// The end-session endpoint shows a page and does nothing: the
		// refresh token works, but no logout happened to blame.
		cfg := reference.DefaultConfig()
		reftarget.Quick(&cfg)
		ref, err := reference.New(cfg)
		Expect(err).NotTo(HaveOccurred())
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/logout" {
				_, _ = w.Write([]byte("<!doctype html><p>Goodbye</p>"))
				return
			}
			ref.ServeHTTP(w, r)
		}))
		DeferCleanup(srv.Close)
		Expect(ref.SetIssuer(srv.URL)).To(Succeed())
		env, err := check.Open(ctx, srv.URL, reftarget.TargetConfig(ref), suitetest.Browser(ctx), client.Options{})
		Expect(err).NotTo(HaveOccurred())
		res := check.Run(ctx, "REFRESH-LIFECYCLE", env)
		check.Attach(res)
		Expect(res.Verdict).To(Equal(check.Pass), res.Message())
		Expect(res.Findings.String()).To(ContainSubstring("INFO: (a) not judged"))
	})
})
