// Package introspection checks token introspection (RFC 7662): CHECKS.md
// group 10.
package introspection

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

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
	r := steps.Post(c, u, cl, url.Values{"token": {token}}, auth)
	steps.MustTell(c, r, "the introspection request")
	return r
}

// mustMayIntrospect skips the check when introspection refused the
// caller cl, authenticated, with 401 or 403 (r) and refuses it a fresh
// access token of its own as well: RFC 7662 §2.1 leaves to the server
// which clients may introspect. A refusal of only some tokens is the
// check's to judge.
func mustMayIntrospect(c *check.C, cl *target.Client, u string, r *client.Response) {
	if r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden {
		return
	}
	owner, t, _ := freshToken(c, target.RoleConfidential)
	if owner == nil || owner.ID != cl.ID {
		return
	}
	c.Note("introspect a fresh access token of %s: may it introspect at all?", cl.ID)
	if own := introspect(c, cl, u, t.AccessToken, steps.AuthDefault); own.Status == http.StatusUnauthorized || own.Status == http.StatusForbidden {
		c.Skipf("the server does not let %s introspect tokens, not even its own (%s); RFC 7662 §2.1 leaves that to the server: name a client that may as the confidential client", cl.ID, steps.Describe(own))
	}
}

// freshToken gets a new access token of one of roles, the cheapest way
// the target allows: client_credentials when the server grants it to one
// of them, else the code flow as the first role. ok is false, with why,
// when neither can be had; the check goes on.
func freshToken(c *check.C, roles ...string) (owner *target.Client, t *steps.TokenResponse, why string) {
	cc := steps.FindCC(c, roles...)
	if cc.Client != nil {
		return cc.Client, cc.Token, ""
	}
	if ok, why := steps.CanBrowse(c); !ok {
		return nil, nil, "no client_credentials (" + cc.Why + ") and no code flow (" + why + ")"
	}
	if cl, why := c.Env.Target.Client(roles[0]); cl == nil {
		return nil, nil, why
	}
	r, tok := steps.Tokens(c, roles[0])
	return r.Client, tok, ""
}

// RFC 7662 §2.1: "the endpoint MUST also require some form of
// authorization to access this endpoint"; §2.3: invalid client
// credentials get 401.
var _ = check.It("INTROSPECT-AUTH-REQUIRED", func(c *check.C) {
	cl, u := caller(c)
	_, t := steps.AccessToken(c) // the oracle has seen it active
	for _, try := range []struct {
		name string
		cl   *target.Client
		auth steps.Auth
	}{
		{"no credentials", nil, steps.AuthNone},
		{"a wrong secret", &target.Client{ID: cl.ID, Secret: "oauthcheck-wrong-" + steps.Random(8)}, steps.AuthBasic},
	} {
		c.Note("introspect an active access token with %s", try.name)
		r := introspect(c, try.cl, u, t.AccessToken, try.auth)
		m, err := r.JSON()
		switch {
		case r.Status == http.StatusUnauthorized:
			c.Pass("introspection with %s: 401", try.name)
		case r.Status == http.StatusOK && err == nil && (m["active"] == true || len(m) > 1):
			c.Fail("RFC 7662 §2.1", "introspection with %s answered 200 with information about an active token: %s", try.name, strings.Join(members(m), ", "))
		case r.Status == http.StatusOK && err == nil && m["active"] == false && try.cl == nil:
			c.Info("introspection with no credentials answered {\"active\":false} for an active token: no token information, though not the 401 of RFC 7662 §2.3")
		case r.Status == http.StatusOK && err == nil && m["active"] == false:
			c.Warn("RFC 7662 §2.3", "introspection with %s answered {\"active\":false}, no token information, but not 401", try.name)
		default:
			c.Warn("RFC 7662 §2.3", "introspection with %s answered %s, not 401", try.name, steps.Describe(r))
		}
	}
}, check.Control("introspect-no-auth", check.Fail), check.Quirk("cc-not-for-confidential", check.Pass),
	check.Quirk("revocation-eventual", check.Pass))

func members(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// maxExpiryWait is the longest INTROSPECT-INACTIVE-MINIMAL waits for an
// access token to expire.
const maxExpiryWait = 20 * time.Second

// RFC 7662 §2.2: for an inactive token "the authorization server MUST
// return ... "active" ... false", and "SHOULD NOT include any additional
// information".
var _ = check.It("INTROSPECT-INACTIVE-MINIMAL", func(c *check.C) {
	cl, u := caller(c)
	type sample struct{ name, token string }
	samples := []sample{{"an unknown token", "oauthcheck-" + steps.Random(24)}}
	owner, t, why := freshToken(c, target.RoleConfidential, target.RoleConfidential2)
	switch rev := steps.Metadata(c).RevocationEndpoint; {
	case owner == nil:
		c.Info("no revoked access token introspected: %s", why)
	case rev == "":
		c.Info("no revoked access token introspected: the metadata has no revocation_endpoint")
	default:
		c.Note("is the fresh access token active? (the oracle must know it before it can tell it revoked)")
		if active, _ := steps.Active(c, t.AccessToken); !active {
			c.Info("no revoked access token introspected: the oracle does not see a fresh access token of %s as active (INTROSPECT-ACTIVE-RESPONSE judges that)", owner.ID)
			break
		}
		c.Note("revoke the access token")
		r := steps.Post(c, rev, owner, url.Values{"token": {t.AccessToken}, "token_type_hint": {"access_token"}}, steps.AuthDefault)
		if r.Status != http.StatusOK {
			c.Info("no revoked access token introspected: revoking it answered %s", steps.Describe(r))
			break
		}
		if revoked, known := steps.AwaitRevoked(c, t.AccessToken); revoked && known {
			samples = append(samples, sample{"a revoked access token", t.AccessToken})
			break
		}
		// Still active after the settle time: either introspection says so
		// of a token that no longer works, or the revocation did nothing.
		if ua, known := userinfoActive(c, t.AccessToken); known && !ua {
			c.Fail("RFC 7662 §2.2", "a revoked access token is introspected as active after the settle time, though the userinfo endpoint refuses it")
		} else {
			c.Info("the access token revoked with 200 is still active after the settle time, to introspection and userinfo alike: the revocation did not take effect (REVOKE-ACCESS-TOKEN judges that), so it is not introspected here")
		}
	}
	if owner != nil && t.HasExpiresIn {
		if wait := time.Duration(t.ExpiresIn*float64(time.Second)) + time.Second; wait <= maxExpiryWait {
			_, t2, _ := freshToken(c, target.RoleConfidential, target.RoleConfidential2)
			if t2 != nil {
				c.Wait(wait, "the access token to expire")
				samples = append(samples, sample{"an expired access token", t2.AccessToken})
			}
		} else {
			c.Info("no expired access token introspected: access tokens live %v s, longer than the check waits", t.ExpiresIn)
		}
	}
	for _, s := range samples {
		c.Note("introspect %s", s.name)
		r := introspect(c, cl, u, s.token, steps.AuthDefault)
		mustMayIntrospect(c, cl, u, r)
		var m map[string]any
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &m) != nil {
			c.Fail("RFC 7662 §2.2", "introspecting %s answered %s, not 200 JSON", s.name, steps.Describe(r))
			continue
		}
		switch active, ok := m["active"].(bool); {
		case !ok:
			c.Fail("RFC 7662 §2.2", "introspecting %s gave no boolean active member", s.name)
		case active:
			c.Fail("RFC 7662 §2.2", "%s is introspected as active", s.name)
		case len(m) > 1:
			c.Warn("RFC 7662 §2.2", "introspecting %s gave more than active:false: %s", s.name, strings.TrimSpace(string(r.Body)))
		default:
			c.Pass("%s: exactly {\"active\":false}", s.name)
		}
	}
}, check.Control("introspect-inactive-verbose", check.Warn), check.Quirk("revocation-eventual", check.Pass),
	check.Quirk("cc-not-for-confidential", check.Pass))

// userinfoActive asks the userinfo endpoint about an access token: 200 is
// active, 401 inactive; anything else, or no endpoint, does not tell.
func userinfoActive(c *check.C, at string) (active, known bool) {
	md := steps.Metadata(c)
	if md.UserinfoEndpoint == "" {
		return false, false
	}
	c.Note("does the userinfo endpoint take the token?")
	r, err := c.HTTP.Get(c, md.UserinfoEndpoint, http.Header{"Authorization": {"Bearer " + at}})
	if err != nil {
		return false, false
	}
	switch r.Status {
	case http.StatusOK:
		return true, true
	case http.StatusUnauthorized:
		return false, true
	}
	return false, false
}

// RFC 7662 §2.2: an active token gives active:true with metadata
// consistent with the token: client_id, scope (a set, RFC 6749 §3.3),
// exp, iss.
var _ = check.It("INTROSPECT-ACTIVE-RESPONSE", func(c *check.C) {
	cl, u := caller(c)
	// A token of another client than the caller, so that a server that
	// echoes the caller's client_id shows.
	var roles []string
	for _, r := range []string{target.RolePublic, target.RoleConfidential2} {
		if x, _ := c.Env.Target.Client(r); x != nil {
			roles = append(roles, r)
		}
	}
	roles = append(roles, target.RoleConfidential)
	owner, t, why := token(c, roles)
	if owner == nil {
		c.Skipf("no access token could be had: %s", why)
	}
	c.Note("introspect a fresh access token of %s", owner.ID)
	resp := introspect(c, cl, u, t.AccessToken, steps.AuthDefault)
	mustMayIntrospect(c, cl, u, resp)
	var m map[string]any
	if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &m) != nil {
		c.Fail("RFC 7662 §2.2", "introspection answered %s, not 200 JSON", steps.Describe(resp))
		return
	}
	if m["active"] != true && owner.ID != cl.ID {
		// RFC 7662 §2.2 lets a server hide another client's token from a
		// caller; then judge the caller's own token.
		c.Info("%s's token is inactive to %s: the server does not show another client's tokens to it (RFC 7662 §2.2 allows that)", owner.ID, cl.ID)
		owner, t, why = token(c, []string{target.RoleConfidential})
		if owner == nil {
			c.Skipf("no access token of %s could be had: %s", cl.ID, why)
		}
		c.Note("introspect the caller's own fresh access token")
		resp = introspect(c, cl, u, t.AccessToken, steps.AuthDefault)
		m = nil
		if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &m) != nil {
			c.Fail("RFC 7662 §2.2", "introspection answered %s, not 200 JSON", steps.Describe(resp))
			return
		}
	}
	if m["active"] != true {
		c.Fail("RFC 7662 §2.2", "a fresh access token of %s, introspected by its own client, is inactive", owner.ID)
		return
	}
	ok := true
	if id, has := m["client_id"].(string); has && id != owner.ID {
		c.Warn("RFC 7662 §2.2", "client_id is %q, but the token was issued to %q", id, owner.ID)
		ok = false
	}
	if iss, has := m["iss"].(string); has && iss != steps.Metadata(c).Issuer {
		c.Warn("RFC 7662 §2.2", "iss is %q, not the issuer %q", iss, steps.Metadata(c).Issuer)
		ok = false
	}
	if sc, has := m["scope"].(string); has && t.Scope != "" && !sameScope(sc, t.Scope) {
		c.Warn("RFC 7662 §2.2", "scope is %q, but the token response said %q", sc, t.Scope)
		ok = false
	}
	if _, has := m["exp"].(float64); !has && t.HasExpiresIn {
		c.Info("introspection gives no exp")
	}
	if ok {
		c.Pass("active:true with client_id, iss and scope consistent with the token of %s", owner.ID)
	}
	c.Note("the same introspection as a GET")
	q := url.Values{"token": {t.AccessToken}}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	if r, err := c.HTTP.Get(c, u+sep+q.Encode(), http.Header{"Authorization": {steps.BasicHeader(cl.ID, cl.Secret)}}); err == nil && r.Status == http.StatusOK {
		c.Info("a GET to the introspection endpoint was processed (200): token and credentials end up in logs")
	}
}, check.Control("introspect-wrong-client-id", check.Warn), check.Quirk("scope-reordered", check.Pass),
	check.Quirk("revocation-eventual", check.Pass))

// token gets a fresh access token of the first role that can have one:
// through the code flow when the check can use the browser, else through
// client_credentials.
func token(c *check.C, roles []string) (*target.Client, *steps.TokenResponse, string) {
	if ok, _ := steps.CanBrowse(c); ok {
		r, t := steps.Tokens(c, roles[0])
		return r.Client, t, ""
	}
	var secret []string
	for _, r := range roles {
		if x, _ := c.Env.Target.Client(r); x != nil && x.Secret != "" {
			secret = append(secret, r)
		}
	}
	if len(secret) == 0 {
		_, why := steps.CanBrowse(c)
		return nil, nil, why
	}
	cc := steps.FindCC(c, secret...)
	return cc.Client, cc.Token, cc.Why
}

// sameScope compares two scopes as sets (RFC 6749 §3.3).
func sameScope(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}
