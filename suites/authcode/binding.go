package authcode

import (
	"fmt"
	"net/http"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// RFC 6749 §4.1.3: the server MUST "ensure that the authorization code was
// issued to the authenticated confidential client, or if the client is
// public, ensure that the code was issued to client_id in the request".
var _ = check.It("AUTHCODE-CLIENT-BINDING", func(c *check.C) {
	ran := false
	for _, pair := range [][2]string{
		{target.RoleConfidential, target.RoleConfidential2},
		{target.RolePublic, target.RolePublic2},
	} {
		owner, _ := c.Env.Target.Client(pair[0])
		other, _ := c.Env.Target.Client(pair[1])
		if owner == nil || other == nil {
			c.Info("no %s and %s clients in the config: that pair is not tested", pair[0], pair[1])
			continue
		}
		ran = true
		r := steps.NewAuthRequest(c, pair[0])
		code := steps.Code(c, r)
		c.Note("redeem %s's code as %s", owner.ID, other.ID)
		stolen := steps.ParseToken(c, steps.Token(c, other, r.ExchangeForm(code), steps.AuthDefault))
		steps.Refused(c, stolen, "RFC 6749 §4.1.3", fmt.Sprintf("%s's code, redeemed by %s,", owner.ID, other.ID), "invalid_grant", "invalid_client")
	}
	if !ran {
		c.Skipf("needs two confidential or two public clients")
	}
}, check.Control("code-not-client-bound", check.Fail))

// RFC 6749 §4.1.3: the server MUST "ensure that the redirect_uri parameter
// is present if the redirect_uri parameter was included in the initial
// authorization request ..., and if included ensure that their values are
// identical".
var _ = check.It("AUTHCODE-REDIRECT-URI-TOKEN-MATCH", func(c *check.C) {
	r := steps.NewAuthRequest(c, target.RoleConfidential)
	code := steps.Code(c, r)
	c.Note("redeem with another redirect_uri")
	form := r.ExchangeForm(code)
	form.Set("redirect_uri", r.RedirectURI+"/x")
	other := steps.ParseToken(c, steps.Token(c, r.Client, form, steps.AuthDefault))
	steps.Refused(c, other, "RFC 6749 §4.1.3", fmt.Sprintf("the code, redeemed with redirect_uri %s instead of the authorization request's,", r.RedirectURI+"/x"), "invalid_grant")

	r2 := steps.NewAuthRequest(c, target.RoleConfidential)
	code2 := steps.Code(c, r2)
	c.Note("redeem without redirect_uri")
	form = r2.ExchangeForm(code2)
	form.Del("redirect_uri")
	omitted := steps.ParseToken(c, steps.Token(c, r2.Client, form, steps.AuthDefault))
	switch {
	case steps.NotIssued(c, omitted, "the token request without redirect_uri"):
		c.Pass("a token request without the redirect_uri of the authorization request was refused (%d)", omitted.Status)
	case c.Env.Profile >= check.OAuth21:
		c.Info("OAuth 2.1 §4.1.3: a token request without redirect_uri was accepted; allowed there when PKCE binds the code")
	default:
		c.Fail("RFC 6749 §4.1.3", "a token request without the redirect_uri that the authorization request carried got tokens (%d)", http.StatusOK)
	}
}, check.Control("redirect-uri-not-checked", check.Fail))
