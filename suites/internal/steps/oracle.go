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
	case http.StatusUnauthorized, http.StatusForbidden:
		return false, true
	}
	return false, false
}

// Refresh sends a refresh token request as cl.
func Refresh(c *check.C, cl *target.Client, refreshToken, scope string) *TokenResponse {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return ParseToken(c, Token(c, cl, form, AuthDefault))
}
