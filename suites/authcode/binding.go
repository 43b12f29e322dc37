package authcode

import (
	"net/http"
	"net/url"

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
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {r.RedirectURI}, "code_verifier": {r.Verifier}}
		stolen := steps.ParseToken(c, steps.Token(c, other, form, steps.AuthDefault))
		switch e := stolen.OAuthError(); {
		case stolen.Issued():
			c.Fail("RFC 6749 §4.1.3", "a code issued to %s was redeemed by %s: %s", owner.ID, other.ID, steps.Describe(stolen.Response))
		case e == "invalid_grant" || e == "invalid_client":
			c.Pass("%s could not redeem %s's code (%s)", other.ID, owner.ID, e)
		default:
			c.Warn("RFC 6749 §5.2", "%s could not redeem %s's code, but the error was %s, not invalid_grant", other.ID, owner.ID, steps.Describe(stolen.Response))
		}
	}
	if !ran {
		c.Skipf("needs two confidential or two public clients")
	}
})

// RFC 6749 §4.1.3: the server MUST "ensure that the redirect_uri parameter
// is present if the redirect_uri parameter was included in the initial
// authorization request ..., and if included ensure that their values are
// identical".
var _ = check.It("AUTHCODE-REDIRECT-URI-TOKEN-MATCH", func(c *check.C) {
	r := steps.NewAuthRequest(c, target.RoleConfidential)
	code := steps.Code(c, r)
	c.Note("redeem with another redirect_uri")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {r.RedirectURI + "/x"}, "code_verifier": {r.Verifier}}
	other := steps.ParseToken(c, steps.Token(c, r.Client, form, steps.AuthDefault))
	switch {
	case other.Issued():
		c.Fail("RFC 6749 §4.1.3", "the code was redeemed with redirect_uri %s, not the %s of the authorization request", r.RedirectURI+"/x", r.RedirectURI)
	case other.OAuthError() == "invalid_grant":
		c.Pass("a different redirect_uri was refused with invalid_grant")
	default:
		c.Warn("RFC 6749 §5.2", "a different redirect_uri was refused with %s, not invalid_grant", steps.Describe(other.Response))
	}

	r2 := steps.NewAuthRequest(c, target.RoleConfidential)
	code2 := steps.Code(c, r2)
	c.Note("redeem without redirect_uri")
	form = url.Values{"grant_type": {"authorization_code"}, "code": {code2}, "code_verifier": {r2.Verifier}}
	omitted := steps.ParseToken(c, steps.Token(c, r2.Client, form, steps.AuthDefault))
	switch {
	case !omitted.Issued():
		c.Pass("a token request without the redirect_uri of the authorization request was refused (%d)", omitted.Status)
	case c.Env.Profile >= check.OAuth21:
		c.Info("OAuth 2.1 §4.1.3: a token request without redirect_uri was accepted; allowed there when PKCE binds the code")
	default:
		c.Fail("RFC 6749 §4.1.3", "a token request without the redirect_uri that the authorization request carried got tokens (%d)", http.StatusOK)
	}
})
