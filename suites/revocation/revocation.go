// Package revocation checks token revocation (RFC 7009): CHECKS.md
// group 9.
//
// Every probe that follows a revoking step honours the config's
// settle_time: a refresh waits it out (steps.Settle), and the
// token-validity oracle is asked again and again until it (steps.AwaitRevoked),
// after it has been seen to know the fresh token as active
// (steps.ProveActive): an oracle that sees nothing as active proves no
// revocation.
package revocation

import (
	"net/http"
	"net/url"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// endpoint returns the revocation endpoint, and skips when the metadata
// has none.
func endpoint(c *check.C) string {
	return steps.Endpoint(c, "revocation_endpoint", steps.Metadata(c).RevocationEndpoint)
}

// tokens gets an access and a refresh token of the confidential client
// through the code flow, and skips when the server has no revocation
// endpoint or issues no refresh token.
func tokens(c *check.C) (*target.Client, *steps.TokenResponse) {
	endpoint(c)
	r, t := steps.RefreshTokens(c, target.RoleConfidential)
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
	r := steps.Post(c, endpoint(c), cl, form, auth)
	steps.MustTell(c, r, "the revocation request")
	return r
}

// refreshWorks reports whether the refresh token rt still gets tokens,
// after settle_time; an answer that is no refusal ends the check as ERROR.
func refreshWorks(c *check.C, cl *target.Client, rt string) bool {
	steps.Settle(c)
	return !steps.NotIssued(c, steps.Refresh(c, cl, rt, ""), "the refresh")
}

// subject is a token that a revocation probe aims at: a refresh token
// when the server issues one, else an access token that the oracle has
// seen active.
type subject struct {
	owner *target.Client
	token string
	// hint is its token_type_hint: refresh_token or access_token.
	hint string
	// more gets another fresh token of the same kind for the same owner.
	more func() string
}

func (s *subject) kind() string {
	if s.hint == "refresh_token" {
		return "refresh token"
	}
	return "access token"
}

// works tells whether the token still works once the settle_time has
// passed: a refresh (which moves the subject on to the rotated refresh
// token), or the oracle.
func (s *subject) works(c *check.C) bool {
	if s.hint == "refresh_token" {
		steps.Settle(c)
		t := steps.Refresh(c, s.owner, s.token, "")
		if t.Issued() && t.RefreshToken != "" {
			s.token = t.RefreshToken
		}
		return !steps.NotIssued(c, t, "the refresh")
	}
	return !steps.Revoked(c, s.token)
}

// anySubject gets a token to revoke: the refresh token of a code flow
// when the check can use the browser and the server issues one, else an
// access token (of the code flow, or of client_credentials) that the
// oracle sees as active.
func anySubject(c *check.C) *subject {
	endpoint(c)
	if ok, _ := steps.CanBrowse(c); ok {
		r, t := steps.Tokens(c, target.RoleConfidential)
		if t.RefreshToken != "" {
			return &subject{owner: r.Client, token: t.RefreshToken, hint: "refresh_token", more: func() string {
				_, t := steps.Tokens(c, target.RoleConfidential)
				return t.RefreshToken
			}}
		}
		c.Info("the server issued no refresh token to %s: an access token is revoked instead", r.Client.ID)
		steps.ProveActive(c, t.AccessToken)
		return &subject{owner: r.Client, token: t.AccessToken, hint: "access_token", more: func() string {
			_, t := steps.Tokens(c, target.RoleConfidential)
			steps.ProveActive(c, t.AccessToken)
			return t.AccessToken
		}}
	}
	cl, t := steps.AccessToken(c)
	return &subject{owner: cl, token: t.AccessToken, hint: "access_token", more: func() string {
		_, t := steps.AccessToken(c)
		return t.AccessToken
	}}
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
}, check.Control("revoke-noop", check.Fail), check.Quirk("revocation-eventual", check.Pass), check.Quirk("refresh-grace-10s", check.Pass),
	check.Quirk("refresh-offline-access", check.Pass), steps.RefreshTurns)

// RFC 7009 §2: servers "SHOULD support the revocation of access tokens".
// Any access token will do: of client_credentials when the server grants
// it, else of the code flow.
var _ = check.It("REVOKE-ACCESS-TOKEN", func(c *check.C) {
	endpoint(c)
	cl, t := steps.AccessToken(c) // seen active by the oracle
	c.Note("revoke the access token")
	r := revoke(c, cl, t.AccessToken, "access_token", steps.AuthDefault)
	switch {
	case r.OAuthError() == "unsupported_token_type":
		c.Info("the server does not revoke access tokens (unsupported_token_type)")
		return
	case r.Status != http.StatusOK:
		c.Warn("RFC 7009 §2.2", "revoking an access token of %s answered %s", cl.ID, steps.Describe(r))
		return
	}
	if !steps.Revoked(c, t.AccessToken) {
		c.Warn("RFC 7009 §2", "revoking the access token of %s answered 200, but it is still active after the settle time", cl.ID)
		return
	}
	c.Pass("the access token of %s, active before, is inactive once revoked", cl.ID)
}, check.Control("revoke-access-noop", check.Warn), check.Quirk("revocation-eventual", check.Pass),
	check.Quirk("cc-not-for-confidential", check.Pass), check.Quirk("refresh-offline-access", check.Pass))

// RFC 7009 §2.1: revoking a refresh token SHOULD also invalidate the
// access tokens of the same grant; revoking an access token MAY revoke the
// refresh token.
var _ = check.It("REVOKE-CASCADE", func(c *check.C) {
	cl, t := tokens(c)
	steps.ProveActive(c, t.AccessToken)
	c.Note("revoke the refresh token")
	revoke(c, cl, t.RefreshToken, "refresh_token", steps.AuthDefault)
	if !steps.Revoked(c, t.AccessToken) {
		c.Warn("RFC 7009 §2.1", "revoking the refresh token left the access token of the same grant active after the settle time")
	} else {
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
}, check.Control("revoke-no-cascade", check.Warn), check.Quirk("revocation-eventual", check.Pass),
	check.Quirk("refresh-offline-access", check.Pass), steps.RefreshTurns)

// RFC 7009 §2.1: the server "first validates the client credentials (in
// case of a confidential client)".
var _ = check.It("REVOKE-CLIENT-AUTH", func(c *check.C) {
	s := anySubject(c)
	if s.owner.Secret == "" {
		c.Skipf("the client %s has no secret in the config", s.owner.ID)
	}
	for _, try := range []struct {
		name string
		cl   *target.Client
		auth steps.Auth
	}{
		{"client_id only", &target.Client{ID: s.owner.ID}, steps.AuthNone},
		{"a wrong secret", &target.Client{ID: s.owner.ID, Secret: "oauthcheck-wrong-" + steps.Random(8)}, steps.AuthBasic},
	} {
		c.Note("revoke the %s with %s", s.kind(), try.name)
		r := revoke(c, try.cl, s.token, s.hint, try.auth)
		switch {
		case !s.works(c):
			c.Fail("RFC 7009 §2.1", "revocation with %s revoked the %s (%s)", try.name, s.kind(), steps.Describe(r))
			return
		case r.Status == http.StatusUnauthorized || r.OAuthError() == "invalid_client":
			c.Pass("revocation of the %s with %s was refused (%s) and the token still works", s.kind(), try.name, steps.Describe(r))
		default:
			c.Warn("RFC 7009 §2.1", "revocation of the %s with %s answered %s, not 401 invalid_client (the token still works)", s.kind(), try.name, steps.Describe(r))
		}
	}
}, check.Control("revoke-no-client-auth", check.Fail), check.Quirk("revocation-eventual", check.Pass), check.Quirk("refresh-grace-10s", check.Pass),
	check.Quirk("refresh-offline-access", check.Pass), steps.RefreshTurns)

// RFC 7009 §2.1: the server "verifies whether the token was issued to the
// client making the revocation request. If this validation fails, the
// request is refused".
var _ = check.It("REVOKE-CROSS-CLIENT", func(c *check.C) {
	steps.Client(c, target.RoleConfidential2) // skips without a second client
	s := anySubject(c)
	other := otherThan(c, s.owner)
	c.Note("revoke %s's %s as %s", s.owner.ID, s.kind(), other.ID)
	r := revoke(c, other, s.token, s.hint, steps.AuthDefault)
	switch {
	case !s.works(c):
		c.Fail("RFC 7009 §2.1", "%s revoked %s's %s", other.ID, s.owner.ID, s.kind())
	case r.Status == http.StatusOK:
		c.Warn("RFC 7009 §2.1", "%s's revocation of %s's %s answered 200 (a silent no-op) instead of refusing", other.ID, s.owner.ID, s.kind())
	default:
		c.Pass("%s's revocation of %s's %s was refused (%s) and the token still works", other.ID, s.owner.ID, s.kind(), steps.Describe(r))
	}
}, check.Control("revoke-cross-client", check.Fail), check.Quirk("revocation-eventual", check.Pass),
	check.Quirk("refresh-offline-access", check.Pass), steps.RefreshTurns)

// otherThan returns a confidential client of the config other than cl,
// and skips when there is none.
func otherThan(c *check.C, cl *target.Client) *target.Client {
	for _, role := range []string{target.RoleConfidential, target.RoleConfidential2} {
		if x, _ := c.Env.Target.Client(role); x != nil && x.ID != cl.ID && x.Secret != "" {
			return x
		}
	}
	c.Skipf("the config names no second confidential client besides %s", cl.ID)
	return nil
}

// RFC 7009 §2.2: invalid tokens "do not cause an error response"; §2.1:
// a wrong token_type_hint makes the server "extend its search across all
// of its supported token types".
var _ = check.It("REVOKE-INVALID-TOKEN", func(c *check.C) {
	cl := steps.Client(c, target.RoleConfidential)
	c.Note("(a) revoke a random string")
	if r := revoke(c, cl, "oauthcheck-"+steps.Random(24), "", steps.AuthDefault); r.Status == http.StatusOK {
		c.Pass("(a) revoking an unknown token answered 200")
	} else {
		c.Warn("RFC 7009 §2.2", "(a) revoking an unknown token answered %s, not 200", steps.Describe(r))
	}
	s := anySubject(c)
	wrong := map[string]string{"refresh_token": "access_token", "access_token": "refresh_token"}[s.hint]
	c.Note("(b) revoke the %s with token_type_hint=%s", s.kind(), wrong)
	answer := steps.Describe(revoke(c, s.owner, s.token, wrong, steps.AuthDefault))
	switch {
	case !s.works(c):
		c.Pass("(b) the %s sent with token_type_hint=%s was revoked (%s)", s.kind(), wrong, answer)
	case s.hint == "refresh_token":
		c.Fail("RFC 7009 §2.1", "(b) a refresh token sent with token_type_hint=access_token was not revoked (the revocation request got %s)", answer)
	default:
		// An access token that stays active may be one the server does not
		// revoke at all (RFC 7009 §2 makes that a SHOULD): the right hint
		// tells.
		s.token = s.more()
		c.Note("(b) revoke another access token with the right hint, token_type_hint=access_token")
		r := revoke(c, s.owner, s.token, "access_token", steps.AuthDefault)
		if r.Status != http.StatusOK || s.works(c) {
			c.Info("(b) not judged: the server does not revoke access tokens even with the right hint (%s)", steps.Describe(r))
			break
		}
		c.Fail("RFC 7009 §2.1", "(b) an access token sent with token_type_hint=refresh_token was not revoked (the revocation request got %s), though one sent with the right hint is", answer)
	}
	c.Note("(c) GET the revocation endpoint")
	u := endpoint(c) + "?token=" + url.QueryEscape("oauthcheck-"+steps.Random(8))
	if r, err := c.HTTP.Get(c, u, nil); err == nil && r.Status < 300 {
		c.Info("(c) a GET to the revocation endpoint answered %d", r.Status)
	}
}, check.Control("revoke-hint-strict", check.Fail), check.Quirk("revocation-eventual", check.Pass),
	check.Quirk("refresh-offline-access", check.Pass), steps.RefreshTurns)
