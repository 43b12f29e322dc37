package steps

import (
	"net/http"
	"net/url"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// Active asks the token-validity oracle whether an access token still
// works: introspection as a confidential client, and the userinfo
// endpoint (200, or 401/403), which answers for any client's token. The
// token is active if either says so: a server may hide other clients'
// tokens from introspection (RFC 7662 §2.2). known is false when the
// target offers neither.
func Active(c *check.C, accessToken string) (active, known bool) {
	a, k := introspectActive(c, accessToken)
	if a {
		return true, true
	}
	if ua, uk := userinfoActive(c, accessToken); uk {
		return ua, true
	}
	return a, k
}

func introspectActive(c *check.C, accessToken string) (active, known bool) {
	md := Metadata(c)
	cfg := c.Env.Target.Config
	if md.IntrospectionEndpoint != "" && cfg.Oracle != "userinfo" {
		var cl *target.Client
		for _, role := range []string{target.RoleConfidential, target.RoleConfidential2} {
			if x, _ := c.Env.Target.Client(role); x != nil && x.Secret != "" {
				cl = x
				break
			}
		}
		if cl != nil {
			resp := Post(c, md.IntrospectionEndpoint, cl, url.Values{"token": {accessToken}, "token_type_hint": {"access_token"}}, AuthDefault)
			if resp.Status == http.StatusOK {
				m, err := resp.JSON()
				if err == nil {
					a, ok := m["active"].(bool)
					return a && ok, true
				}
			}
		}
	}
	return false, false
}

func userinfoActive(c *check.C, accessToken string) (active, known bool) {
	md := Metadata(c)
	if md.UserinfoEndpoint == "" {
		return false, false
	}
	resp, err := c.HTTP.Get(c, md.UserinfoEndpoint, http.Header{"Authorization": {"Bearer " + accessToken}})
	if err != nil {
		return false, false
	}
	switch resp.Status {
	case http.StatusOK:
		return true, true
	case http.StatusUnauthorized:
		return false, true
	}
	// A 403 (insufficient_scope, RFC 6750 §3.1) or anything else says
	// nothing of whether the token itself is active.
	return false, false
}

// ProveActive asks the oracle about a fresh access token, before the step
// that should revoke it: only an oracle that sees the fresh token as
// active can tell a revoked one. It skips the check when the target offers
// no oracle, and ends it as ERROR when the oracle does not see the fresh
// token as active.
func ProveActive(c *check.C, accessToken string) {
	c.Note("is the fresh access token active? (the oracle must know it before it can tell it revoked)")
	active, known := Active(c, accessToken)
	switch {
	case !known:
		c.Skipf("no token-validity oracle: the target offers no introspection endpoint for a confidential client, and its userinfo endpoint does not answer 200 or 401 for the token")
	case !active:
		c.Fatalf("the oracle (introspection, userinfo) does not see a fresh access token as active, so it cannot tell whether a revocation took effect")
	}
}

// Refresh sends a refresh token request as cl. A refusal of a refresh
// token that the harness presented once the config's refresh_lifetime had
// passed since the server issued it ends the check as ERROR
// (MustBeLive): the token may just have expired.
func Refresh(c *check.C, cl *target.Client, refreshToken, scope string) *TokenResponse {
	t := RefreshIdle(c, cl, refreshToken, scope)
	MustBeLive(c, refreshToken, t, "refreshing")
	return t
}

// RefreshIdle is Refresh for a check that waits a refresh token's lifetime
// out on purpose: it judges no refusal.
func RefreshIdle(c *check.C, cl *target.Client, refreshToken, scope string) *TokenResponse {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return ParseToken(c, Token(c, cl, form, AuthDefault))
}
