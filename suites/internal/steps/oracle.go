package steps

import (
	"net/http"
	"net/url"
	"sync"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// Active asks the token-validity oracle whether an access token still
// works. The config's oracle names it. introspection (the default):
// introspection as a confidential client, and the userinfo endpoint (200,
// or 401) for a token that introspection does not see as active, since a
// server may hide other clients' tokens from introspection (RFC 7662
// §2.2); the token is active if either says so. userinfo: that endpoint
// alone. A protected resource's URL: that resource alone (2xx, or 401).
// known is false when the oracle gives no answer that tells.
func Active(c *check.C, accessToken string) (active, known bool) {
	switch oracle := c.Env.Target.Config.Oracle; oracle {
	case "userinfo":
		return bearerActive(c, Metadata(c).UserinfoEndpoint, accessToken)
	case "", "introspection":
	default:
		return bearerActive(c, oracle, accessToken)
	}
	a, k := introspectActive(c, accessToken)
	if a {
		return true, true
	}
	ua, uk := bearerActive(c, Metadata(c).UserinfoEndpoint, accessToken)
	if uk {
		if ua {
			seenByUserinfo.Store(accessToken, true)
		}
		return ua, true
	}
	if _, ok := seenByUserinfo.Load(accessToken); ok {
		// Only userinfo saw the token active, and it tells nothing now:
		// introspection's "inactive" is what it said of the token all along.
		return false, false
	}
	return a, k
}

// seenByUserinfo holds the access tokens that the userinfo endpoint saw
// as active while introspection did not.
var seenByUserinfo sync.Map // access token → true

func introspectActive(c *check.C, accessToken string) (active, known bool) {
	md := Metadata(c)
	if md.IntrospectionEndpoint == "" {
		return false, false
	}
	var cl *target.Client
	for _, role := range []string{target.RoleConfidential, target.RoleConfidential2} {
		if x, _ := c.Env.Target.Client(role); x != nil && x.Secret != "" {
			cl = x
			break
		}
	}
	if cl == nil {
		return false, false
	}
	resp := Post(c, md.IntrospectionEndpoint, cl, url.Values{"token": {accessToken}, "token_type_hint": {"access_token"}}, AuthDefault)
	if resp.Status == http.StatusOK {
		if m, err := resp.JSON(); err == nil {
			// active is REQUIRED (RFC 7662 §2.2): an answer without it
			// tells nothing.
			a, ok := m["active"].(bool)
			return a, ok
		}
	}
	return false, false
}

// bearerActive presents the token to a protected resource (RFC 6750
// §2.1), the userinfo endpoint or the config's oracle URL: 2xx is a token
// that works, 401 one that does not (invalid_token, §3.1).
func bearerActive(c *check.C, resource, accessToken string) (active, known bool) {
	if resource == "" {
		return false, false
	}
	resp, err := c.HTTP.Get(c, resource, http.Header{"Authorization": {"Bearer " + accessToken}})
	if err != nil {
		return false, false
	}
	switch {
	case resp.Status >= 200 && resp.Status < 300:
		return true, true
	case resp.Status == http.StatusUnauthorized:
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
		c.Skipf("no token-validity oracle: %s", oracleNone(c))
	case !active:
		c.Fatalf("the oracle (%s) does not see a fresh access token as active, so it cannot tell whether a revocation took effect", oracleName(c))
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

// oracleName names the oracle that Active asks.
func oracleName(c *check.C) string {
	switch o := c.Env.Target.Config.Oracle; o {
	case "", "introspection":
		return "introspection, userinfo"
	default:
		return o
	}
}

// oracleNone says why the oracle gave no answer that tells.
func oracleNone(c *check.C) string {
	switch o := c.Env.Target.Config.Oracle; o {
	case "", "introspection":
		return "the target offers no introspection endpoint for a confidential client, and its userinfo endpoint does not answer 200 or 401 for the token"
	case "userinfo":
		return "the config's oracle is userinfo, and the target's userinfo endpoint is missing or does not answer 2xx or 401 for the token"
	default:
		return "the config's oracle " + o + " does not answer 2xx or 401 for the token (a host other than the issuer's site needs allowed_hosts)"
	}
}
