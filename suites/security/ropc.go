package security

import (
	"net/url"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// RFC 9700 §2.4: "The resource owner password credentials grant MUST NOT
// be used"; OAuth 2.1 removes it.
var _ = check.It("ROPC-DISABLED", func(c *check.C) {
	// Without a test user, made-up credentials still tell whether the
	// grant is served: a refusal of the grant type, or an answer about
	// the credentials.
	username, password, real := "oauthcheck-nobody", "oauthcheck-"+steps.Random(12), false
	if u, _ := c.Env.Target.User(); u != nil {
		username, password, real = u.Username, u.Password, true
	}
	tried := false
	for _, role := range []string{target.RoleConfidential, target.RolePublic} {
		cl, _ := c.Env.Target.Client(role)
		if cl == nil {
			continue
		}
		tried = true
		c.Note("the password grant as %s", cl.ID)
		form := url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}, "scope": {c.Env.Target.Config.Scope}}
		t := steps.ParseToken(c, steps.Token(c, cl, form, steps.AuthDefault))
		switch e := t.OAuthError(); {
		case !steps.NotIssued(c, t, "the password grant"):
			c.Violation(check.BCP, "RFC 9700 §2.4", "the password grant issued a token to %s", cl.ID)
		case e == "unsupported_grant_type" || e == "unauthorized_client":
			c.Pass("the password grant was refused for %s (%s)", cl.ID, e)
		case !real && e == "invalid_grant":
			c.Violation(check.BCP, "RFC 9700 §2.4", "the password grant is served to %s: made-up credentials were judged (invalid_grant) rather than the grant refused", cl.ID)
		default:
			c.Pass("the password grant was refused for %s (%s)", cl.ID, steps.Describe(t.Response))
		}
	}
	if !tried {
		c.Skipf("the config names no confidential or public client")
	}
}, check.Control("password-grant", check.Fail))
