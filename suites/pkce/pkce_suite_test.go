package pkce

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

func TestPKCE(t *testing.T) { suitetest.Run(t, "pkce") }

// Every check of the suite passes against the strict reference; under each
// weakness, the check it targets must FAIL or WARN, through the very code
// users run.
var _ = suitetest.Suite("pkce", nil)

// Under the OAuth 2.1 profile, a public client without PKCE is a FAIL.
var _ = It("fails PKCE-REQUIRED-PUBLIC under the oauth2.1 profile", func(ctx SpecContext) {
	env := suitetest.Reference(ctx, nil, "pkce-optional")
	env.Profile = check.OAuth21
	res := check.Run(ctx, "PKCE-REQUIRED-PUBLIC", env)
	Expect(res.Verdict).To(Equal(check.Fail), res.Message())
}, SpecTimeout(suitetest.Timeout))
