// Package revocation checks token revocation (RFC 7009): CHECKS.md
// group 9.
package revocation

import (
	"net/http"
	"net/url"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// tokens gets an access and a refresh token of the confidential client,
// and skips when the server has no revocation endpoint or issues no
// refresh token.
func tokens(c *check.C) (*target.Client, *steps.TokenResponse) {
	steps.Endpoint(c, "revocation_endpoint", steps.Metadata(c).RevocationEndpoint)
	r, t := steps.Tokens(c, target.RoleConfidential)
	if t.RefreshToken == "" {
		c.Skipf("the server issued no refresh token to %s", r.Client.ID)
	}
	return r.Client, t
}

func revoke(c *check.C, cl *target.Client, token, hint string, auth steps.Auth) *client.Response {
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	return steps.Post(c, steps.Metadata(c).RevocationEndpoint, cl, form, auth)
}

func refreshWorks(c *check.C, cl *target.Client, rt string) bool {
	steps.Settle(c)
	return steps.Refresh(c, cl, rt, "").Issued()
}

// RFC 7009 §2: servers "MUST support the revocation of refresh tokens";
// §2.2: the token is invalid afterwards.
var _ = check.It("REVOKE-REFRESH-TOKEN", func(c *check.C) {
	cl, t := tokens(c)
	c.Note("revoke the refresh token")
	r := revoke(c, cl, t.RefreshToken, "refresh_token", steps.AuthDefault)
	if r.Status != http.StatusOK {
		c.Fail("RFC 7009 §2.2", "revoking a refresh token answered %s, not 200", steps.Describe(r))
		return
	}
	c.Note("refresh with the revoked token")
	if refreshWorks(c, cl, t.RefreshToken) {
		c.Fail("RFC 7009 §2.1", "a revoked refresh token still works")
		return
	}
	c.Pass("a revoked refresh token was refused")
}, check.Control("revoke-noop", check.Fail))

// RFC 7009 §2: servers "SHOULD support the revocation of access tokens".
var _ = check.It("REVOKE-ACCESS-TOKEN", func(c *check.C) {
	cl, t := tokens(c)
	c.Note("revoke the access token")
	r := revoke(c, cl, t.AccessToken, "access_token", steps.AuthDefault)
	switch {
	case r.OAuthError() == "unsupported_token_type":
		c.Info("the server does not revoke access tokens (unsupported_token_type)")
		return
	case r.Status != http.StatusOK:
		c.Warn("RFC 7009 §2.2", "revoking an access token answered %s", steps.Describe(r))
		return
	}
	revoked, known := steps.AwaitRevoked(c, t.AccessToken)
	active := !revoked
	switch {
	case !known:
		c.Skipf("no token-validity oracle: no introspection or userinfo endpoint")
	case active:
		c.Warn("RFC 7009 §2", "revoking the access token answered 200, but it is still active")
	default:
		c.Pass("a revoked access token is inactive")
	}
}, check.Control("revoke-access-noop", check.Warn))

// RFC 7009 §2.1: revoking a refresh token SHOULD also invalidate the
// access tokens of the same grant; revoking an access token MAY revoke the
// refresh token.
var _ = check.It("REVOKE-CASCADE", func(c *check.C) {
	cl, t := tokens(c)
	c.Note("revoke the refresh token")
	revoke(c, cl, t.RefreshToken, "refresh_token", steps.AuthDefault)
	revoked, known := steps.AwaitRevoked(c, t.AccessToken)
	active := !revoked
	switch {
	case !known:
		c.Skipf("no token-validity oracle: no introspection or userinfo endpoint")
	case active:
		c.Warn("RFC 7009 §2.1", "revoking the refresh token left the access token of the same grant active")
	default:
		c.Pass("revoking the refresh token revoked the access token of the same grant")
	}
	cl2, t2 := tokens(c)
	c.Note("revoke the access token")
	revoke(c, cl2, t2.AccessToken, "access_token", steps.AuthDefault)
	if refreshWorks(c, cl2, t2.RefreshToken) {
		c.Info("revoking the access token left the refresh token working (allowed)")
	} else {
		c.Info("revoking the access token revoked the refresh token too")
	}
}, check.Control("revoke-no-cascade", check.Warn))

// RFC 7009 §2.1: the server "first validates the client credentials (in
// case of a confidential client)".
var _ = check.It("REVOKE-CLIENT-AUTH", func(c *check.C) {
	cl, t := tokens(c)
	if cl.Secret == "" {
		c.Skipf("the confidential client has no secret in the config")
	}
	for _, try := range []struct {
		name string
		cl   *target.Client
		auth steps.Auth
	}{
		{"client_id only", &target.Client{ID: cl.ID}, steps.AuthNone},
		{"a wrong secret", &target.Client{ID: cl.ID, Secret: "oauthcheck-wrong-" + steps.Random(8)}, steps.AuthBasic},
	} {
		c.Note("revoke with %s", try.name)
		r := revoke(c, try.cl, t.RefreshToken, "refresh_token", try.auth)
		next := steps.Refresh(c, cl, t.RefreshToken, "")
		works := next.Issued()
		if works && next.RefreshToken != "" {
			t = next // go on with the newest refresh token
		}
		switch {
		case !works:
			c.Fail("RFC 7009 §2.1", "revocation with %s revoked the token (%s)", try.name, steps.Describe(r))
			return
		case r.Status == http.StatusUnauthorized || r.OAuthError() == "invalid_client":
			c.Pass("revocation with %s was refused (%s) and the token still works", try.name, steps.Describe(r))
		default:
			c.Warn("RFC 7009 §2.1", "revocation with %s answered %s, not 401 invalid_client (the token still works)", try.name, steps.Describe(r))
		}
	}
}, check.Control("revoke-no-client-auth", check.Fail))

// RFC 7009 §2.1: the server "verifies whether the token was issued to the
// client making the revocation request. If this validation fails, the
// request is refused".
var _ = check.It("REVOKE-CROSS-CLIENT", func(c *check.C) {
	other := steps.Client(c, target.RoleConfidential2)
	cl, t := tokens(c)
	c.Note("revoke %s's refresh token as %s", cl.ID, other.ID)
	r := revoke(c, other, t.RefreshToken, "refresh_token", steps.AuthDefault)
	works := refreshWorks(c, cl, t.RefreshToken)
	switch {
	case !works:
		c.Fail("RFC 7009 §2.1", "%s revoked %s's refresh token", other.ID, cl.ID)
	case r.Status == http.StatusOK:
		c.Warn("RFC 7009 §2.1", "%s's revocation of %s's token answered 200 (a silent no-op) instead of refusing", other.ID, cl.ID)
	default:
		c.Pass("%s's revocation of %s's token was refused (%s) and the token still works", other.ID, cl.ID, steps.Describe(r))
	}
}, check.Control("revoke-cross-client", check.Fail))

// RFC 7009 §2.2: invalid tokens "do not cause an error response"; §2.1:
// a wrong token_type_hint makes the server "extend its search across all
// of its supported token types".
var _ = check.It("REVOKE-INVALID-TOKEN", func(c *check.C) {
	cl, t := tokens(c)
	c.Note("(a) revoke a random string")
	if r := revoke(c, cl, "oauthcheck-"+steps.Random(24), "", steps.AuthDefault); r.Status == http.StatusOK {
		c.Pass("revoking an unknown token answered 200")
	} else {
		c.Warn("RFC 7009 §2.2", "revoking an unknown token answered %s, not 200", steps.Describe(r))
	}
	c.Note("(b) revoke the refresh token with token_type_hint=access_token")
	revoke(c, cl, t.RefreshToken, "access_token", steps.AuthDefault)
	if refreshWorks(c, cl, t.RefreshToken) {
		c.Fail("RFC 7009 §2.1", "a refresh token sent with token_type_hint=access_token was not revoked")
	} else {
		c.Pass("a refresh token with the wrong hint was revoked")
	}
	c.Note("(c) GET the revocation endpoint")
	u := steps.Metadata(c).RevocationEndpoint + "?token=" + url.QueryEscape("oauthcheck-"+steps.Random(8))
	if r, err := c.HTTP.Get(c, u, nil); err == nil && r.Status < 300 {
		c.Info("a GET to the revocation endpoint answered %d", r.Status)
	}
}, check.Control("revoke-hint-strict", check.Fail))
