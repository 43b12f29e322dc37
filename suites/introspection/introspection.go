// Package introspection checks token introspection (RFC 7662): CHECKS.md
// group 10.
package introspection

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// caller is the confidential client that introspects, and the endpoint.
func caller(c *check.C) (*target.Client, string) {
	u := steps.Endpoint(c, "introspection_endpoint", steps.Metadata(c).IntrospectionEndpoint)
	cl := steps.Client(c, target.RoleConfidential)
	if cl.Secret == "" {
		c.Skipf("the confidential client has no secret in the config")
	}
	return cl, u
}

func introspect(c *check.C, cl *target.Client, u, token string, auth steps.Auth) *client.Response {
	return steps.Post(c, u, cl, url.Values{"token": {token}}, auth)
}

// RFC 7662 §2.1: "the endpoint MUST also require some form of
// authorization to access this endpoint".
var _ = check.It("INTROSPECT-AUTH-REQUIRED", func(c *check.C) {
	cl, u := caller(c)
	_, t := steps.Tokens(c, target.RoleConfidential)
	for _, try := range []struct {
		name string
		cl   *target.Client
		auth steps.Auth
	}{
		{"no credentials", nil, steps.AuthNone},
		{"a wrong secret", &target.Client{ID: cl.ID, Secret: "oauthcheck-wrong-" + steps.Random(8)}, steps.AuthBasic},
	} {
		c.Note("introspect with %s", try.name)
		r := introspect(c, try.cl, u, t.AccessToken, try.auth)
		switch {
		case r.Status == http.StatusOK && strings.Contains(string(r.Body), `"active"`):
			c.Fail("RFC 7662 §2.1", "introspection with %s answered 200 with token information", try.name)
		case r.Status == http.StatusUnauthorized:
			c.Pass("introspection with %s: 401", try.name)
		default:
			c.Warn("RFC 7662 §2.1", "introspection with %s answered %s, not 401", try.name, steps.Describe(r))
		}
	}
}, check.Control("introspect-no-auth", check.Fail))

// RFC 7662 §2.2: for an inactive token "the authorization server MUST
// return ... "active" ... false", and "SHOULD NOT include any additional
// information".
var _ = check.It("INTROSPECT-INACTIVE-MINIMAL", func(c *check.C) {
	cl, u := caller(c)
	samples := map[string]string{"an unknown token": "oauthcheck-" + steps.Random(24)}
	if rev := steps.Metadata(c).RevocationEndpoint; rev != "" {
		_, t := steps.Tokens(c, target.RoleConfidential)
		c.Note("revoke an access token")
		if r := steps.Post(c, rev, cl, url.Values{"token": {t.AccessToken}, "token_type_hint": {"access_token"}}, steps.AuthDefault); r.Status == http.StatusOK {
			samples["a revoked access token"] = t.AccessToken
		}
	}
	for name, tok := range samples {
		c.Note("introspect %s", name)
		r := introspect(c, cl, u, tok, steps.AuthDefault)
		var m map[string]any
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &m) != nil {
			c.Fail("RFC 7662 §2.2", "introspecting %s answered %s, not 200 JSON", name, steps.Describe(r))
			continue
		}
		switch active, ok := m["active"].(bool); {
		case !ok:
			c.Fail("RFC 7662 §2.2", "introspecting %s gave no boolean active member", name)
		case active && name == "a revoked access token":
			c.Fail("RFC 7662 §2.2", "a revoked access token is introspected as active")
		case active:
			c.Fail("RFC 7662 §2.2", "%s is introspected as active", name)
		case len(m) > 1:
			c.Warn("RFC 7662 §2.2", "introspecting %s gave more than active:false: %s", name, strings.TrimSpace(string(r.Body)))
		default:
			c.Pass("%s: exactly {\"active\":false}", name)
		}
	}
}, check.Control("introspect-inactive-verbose", check.Warn))

// RFC 7662 §2.2: an active token gives active:true with metadata
// consistent with the token: client_id, scope, exp, iss.
var _ = check.It("INTROSPECT-ACTIVE-RESPONSE", func(c *check.C) {
	cl, u := caller(c)
	// A token of another client than the caller, so that a server that
	// echoes the caller's client_id shows.
	role := target.RoleConfidential
	for _, r := range []string{target.RolePublic, target.RoleConfidential2} {
		if x, _ := c.Env.Target.Client(r); x != nil {
			role = r
			break
		}
	}
	r, t := steps.Tokens(c, role)
	c.Note("introspect a fresh access token")
	resp := introspect(c, cl, u, t.AccessToken, steps.AuthDefault)
	var m map[string]any
	if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &m) != nil {
		c.Fail("RFC 7662 §2.2", "introspection answered %s, not 200 JSON", steps.Describe(resp))
		return
	}
	if m["active"] != true && r.Client.ID != cl.ID {
		// RFC 7662 §2.2 lets a server hide another client's token from a
		// caller; then judge the caller's own token.
		c.Info("%s's token is inactive to %s: the server does not show another client's tokens to it (RFC 7662 §2.2 allows that)", r.Client.ID, cl.ID)
		r, t = steps.Tokens(c, target.RoleConfidential)
		c.Note("introspect the caller's own fresh access token")
		resp = introspect(c, cl, u, t.AccessToken, steps.AuthDefault)
		m = nil
		if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &m) != nil {
			c.Fail("RFC 7662 §2.2", "introspection answered %s, not 200 JSON", steps.Describe(resp))
			return
		}
	}
	if m["active"] != true {
		c.Fail("RFC 7662 §2.2", "a fresh access token of %s, introspected by its own client, is inactive", r.Client.ID)
		return
	}
	ok := true
	if id, has := m["client_id"].(string); has && id != r.Client.ID {
		c.Warn("RFC 7662 §2.2", "client_id is %q, but the token was issued to %q", id, r.Client.ID)
		ok = false
	}
	if iss, has := m["iss"].(string); has && iss != steps.Metadata(c).Issuer {
		c.Warn("RFC 7662 §2.2", "iss is %q, not the issuer %q", iss, steps.Metadata(c).Issuer)
		ok = false
	}
	if sc, has := m["scope"].(string); has && t.Scope != "" && sc != t.Scope {
		c.Warn("RFC 7662 §2.2", "scope is %q, but the token response said %q", sc, t.Scope)
		ok = false
	}
	if _, has := m["exp"].(float64); !has && t.HasExpiresIn {
		c.Info("introspection gives no exp")
	}
	if ok {
		c.Pass("active:true with client_id, iss and scope consistent with the token")
	}
}, check.Control("introspect-wrong-client-id", check.Warn))
