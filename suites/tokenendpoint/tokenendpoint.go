// Package tokenendpoint checks the hygiene of the token endpoint (RFC 6749
// §3.2, §5): CHECKS.md group 8.
//
// The checks judge every token response the target gives without a
// person (client credentials, when the server grants it to a configured
// client) and through the browser (authorization code, then a refresh),
// whichever the target offers: a server with client credentials alone is
// judged on those.
package tokenendpoint

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// tokenResponse is a successful token response of a grant, with the scope
// the request asked for.
type tokenResponse struct {
	grant, asked string
	*steps.TokenResponse
}

// tokenResponses gets a token response of each grant the target offers:
// client_credentials when the server grants it to a configured client,
// the code grant when the check can use the browser (or when there is no
// other way), and a refresh when the code grant gave a refresh token.
func tokenResponses(c *check.C) []tokenResponse {
	var out []tokenResponse
	if cc := steps.FindCC(c); cc.Client != nil {
		out = append(out, tokenResponse{"client_credentials", "", cc.Token})
	} else {
		c.Info("no client_credentials token response: %s", cc.Why)
	}
	if ok, why := steps.CanBrowse(c); !ok && len(out) > 0 {
		c.Info("the code grant was not tried: %s", why)
		return out
	}
	c.Note("authorization_code")
	r, t := steps.Tokens(c, target.RoleConfidential)
	out = append(out, tokenResponse{"authorization_code", r.Scope, t})
	if t.RefreshToken != "" {
		c.Note("refresh_token")
		if rt := steps.Refresh(c, r.Client, t.RefreshToken, ""); rt.Issued() {
			// A refresh without scope asks for the scope granted before
			// (RFC 6749 §6).
			asked := t.Scope
			if asked == "" {
				asked = r.Scope
			}
			out = append(out, tokenResponse{"refresh_token", asked, rt})
		}
	}
	return out
}

// noStore judges the caching headers of a response that carries tokens or
// credentials: failing is what RFC 6749 §5.1 makes a MUST (token
// responses); WARN otherwise.
func noStore(c *check.C, what string, r *client.Response, mustHave bool) {
	cc := strings.ToLower(r.Header.Get("Cache-Control"))
	switch {
	case !strings.Contains(cc, "no-store") && mustHave:
		c.Fail("RFC 6749 §5.1", "the %s has Cache-Control %q, without no-store", what, r.Header.Get("Cache-Control"))
	case !strings.Contains(cc, "no-store"):
		c.Warn("RFC 6749 §5.1", "the %s has Cache-Control %q, without no-store", what, r.Header.Get("Cache-Control"))
	case !strings.Contains(strings.ToLower(r.Header.Get("Pragma")), "no-cache"):
		c.Warn("RFC 6749 §5.1", "the %s has no Pragma: no-cache (RFC 6749 requires it; OAuth 2.1 dropped it)", what)
	default:
		c.Pass("the %s has Cache-Control: no-store and Pragma: no-cache", what)
	}
}

// RFC 6749 §5.1: the server "MUST include the HTTP "Cache-Control"
// response header field with a value of "no-store" in any response
// containing tokens, credentials, or other sensitive information, as well
// as the "Pragma" response header field with a value of "no-cache"".
var _ = check.It("TOKEN-CACHE-NO-STORE", func(c *check.C) {
	for _, t := range tokenResponses(c) {
		noStore(c, t.grant+" token response", t.Response, true)
	}
	md := steps.Metadata(c)
	if cl, _ := c.Env.Target.Client(target.RoleDevice); cl != nil && md.DeviceAuthorizationEndpoint != "" {
		c.Note("device authorization")
		if r := steps.RequestDevice(c, cl); r.Status == http.StatusOK && r.Field("device_code") != "" {
			noStore(c, "device authorization response", r, false)
		}
	}
	if cl, _ := c.Env.Target.Client(target.RoleConfidential); cl != nil && cl.Secret != "" && md.IntrospectionEndpoint != "" {
		c.Note("introspection")
		r := steps.Post(c, md.IntrospectionEndpoint, cl, url.Values{"token": {"oauthcheck-" + steps.Random(16)}}, steps.AuthDefault)
		if r.Status == http.StatusOK {
			noStore(c, "introspection response", r, false)
		}
	}
	c.Note("an error response")
	if r := steps.Token(c, nil, url.Values{"grant_type": {"authorization_code"}, "code": {"oauthcheck-" + steps.Random(16)}}, steps.AuthNone); r.Status >= 400 &&
		!strings.Contains(strings.ToLower(r.Header.Get("Cache-Control")), "no-store") {
		c.Info("an error response of the token endpoint (%s) has no Cache-Control: no-store", steps.Describe(r))
	}
}, check.Control("no-cache-headers", check.Fail), check.Quirk("cc-not-for-confidential", check.Pass))

// RFC 6749 §5.1: a success is 200 application/json with access_token and
// token_type (REQUIRED), expires_in (RECOMMENDED), and scope "if
// identical to the scope requested by the client; otherwise, REQUIRED".
// The scope is a set (§3.3): its order means nothing.
var _ = check.It("TOKEN-RESPONSE-FORMAT", func(c *check.C) {
	for _, t := range tokenResponses(c) {
		mt, _, _ := mime.ParseMediaType(t.Header.Get("Content-Type"))
		m, err := t.JSON()
		switch {
		case err != nil:
			c.Fail("RFC 6749 §5.1", "the %s token response is not a JSON object", t.grant)
			continue
		case mt != "application/json":
			c.Fail("RFC 6749 §5.1", "the %s token response is served as %q, not application/json", t.grant, t.Header.Get("Content-Type"))
			continue
		}
		var missing []string
		for _, k := range []string{"access_token", "token_type"} {
			if s, _ := m[k].(string); s == "" {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			c.Fail("RFC 6749 §5.1", "the %s token response lacks REQUIRED %s", t.grant, strings.Join(missing, ", "))
			continue
		}
		_, hasScope := m["scope"]
		switch granted, how := grantedScope(c, t.AccessToken); {
		case hasScope && t.asked != "" && !sameScope(t.Scope, t.asked):
			c.Info("the %s token response grants scope %q for the %q asked for, and says so", t.grant, t.Scope, t.asked)
		case !hasScope && t.asked != "" && how != "" && !sameScope(granted, t.asked):
			c.Fail("RFC 6749 §5.1", "the %s token response has no scope member, but the token's scope (%s) is %q, not the %q asked for", t.grant, how, granted, t.asked)
			continue
		}
		if !t.HasExpiresIn {
			c.Warn("RFC 6749 §5.1", "the %s token response has no expires_in", t.grant)
			continue
		}
		c.Pass("the %s token response is application/json with access_token, token_type %s and expires_in %v", t.grant, t.TokenType, t.ExpiresIn)
	}
}, check.Control("token-response-incomplete", check.Fail), check.Control("token-text-plain", check.Fail),
	check.Quirk("scope-reordered", check.Pass), check.Quirk("cc-not-for-confidential", check.Pass))

// grantedScope reads the scope an access token was granted: its scope
// claim when it is a JWT, else what introspection says; how says where it
// came from, "" when neither tells.
func grantedScope(c *check.C, at string) (scope, how string) {
	if parts := strings.Split(at, "."); len(parts) == 3 {
		if raw, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
			var claims map[string]any
			if json.Unmarshal(raw, &claims) == nil {
				if s, ok := claims["scope"].(string); ok {
					return s, "its JWT scope claim"
				}
			}
		}
	}
	md := steps.Metadata(c)
	if cl, _ := c.Env.Target.Client(target.RoleConfidential); cl != nil && cl.Secret != "" && md.IntrospectionEndpoint != "" {
		c.Note("which scope was granted? (introspection)")
		r := steps.Post(c, md.IntrospectionEndpoint, cl, url.Values{"token": {at}}, steps.AuthDefault)
		if m, err := r.JSON(); err == nil && m["active"] == true {
			if s, ok := m["scope"].(string); ok {
				return s, "as introspected"
			}
		}
	}
	return "", ""
}

// sameScope compares two scopes as sets (RFC 6749 §3.3).
func sameScope(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// RFC 6749 §5.2: errors are 400 (401 for invalid_client) JSON with an
// error from the registered set.
var _ = check.It("TOKEN-ERROR-CODES", func(c *check.C) {
	md := steps.Metadata(c)
	tokenURL := steps.Endpoint(c, "token_endpoint", md.TokenEndpoint)
	conf := steps.Client(c, target.RoleConfidential)
	type trial struct {
		name string
		cl   *target.Client
		form url.Values
		want []string
	}
	cc := steps.FindCC(c)
	trials := []trial{
		{"no grant_type", conf, url.Values{}, []string{"invalid_request"}},
		{"grant_type=foo", conf, url.Values{"grant_type": {"urn:oauthcheck:bogus"}}, []string{"unsupported_grant_type"}},
		// unauthorized_client: the client may not use the code grant;
		// unsupported_grant_type: the server offers none.
		{"a bogus code", conf, url.Values{"grant_type": {"authorization_code"}, "code": {"oauthcheck-" + steps.Random(16)},
			"redirect_uri": {c.Env.Target.Config.RedirectURI}, "code_verifier": {steps.Random(32)}}, []string{"invalid_grant", "unauthorized_client", "unsupported_grant_type"}},
	}
	if pub, _ := c.Env.Target.Client(target.RolePublic); pub != nil {
		want := []string{"unauthorized_client", "invalid_client"}
		if cc.Unsupported {
			want = append(want, "unsupported_grant_type")
		}
		trials = append(trials, trial{"client_credentials for a public client", pub, steps.CCForm(), want})
	}
	if cc.Client != nil {
		trials = append(trials, trial{"an unknown scope", cc.Client, url.Values{"grant_type": {"client_credentials"}, "scope": {"oauthcheck-nonexistent-scope"}}, []string{"invalid_scope"}})
	} else {
		c.Info("the unknown scope was not tried: no configured client may use client_credentials (%s)", cc.Why)
	}
	for _, tr := range trials {
		c.Note("error trigger: %s", tr.name)
		r := steps.Post(c, tokenURL, tr.cl, tr.form, steps.AuthDefault)
		if t := steps.ParseToken(c, r); t.Issued() && tr.form.Has("scope") {
			// RFC 6749 §3.3 lets the server ignore a scope it does not
			// grant, as long as it says which scope it issued.
			if slices.Contains(strings.Fields(t.Scope), tr.form.Get("scope")) {
				c.Fail("RFC 6749 §3.3", "%s: a token was issued with the unknown scope %q", tr.name, tr.form.Get("scope"))
			} else {
				c.Info("%s: the unknown scope was ignored and a token issued with scope %q (RFC 6749 §3.3 allows that)", tr.name, t.Scope)
			}
			continue
		}
		judgeError(c, tr.name, r, tr.want)
	}
	c.Note("error trigger: a JSON body")
	req, _ := http.NewRequestWithContext(c, http.MethodPost, tokenURL, strings.NewReader(`{"grant_type":"client_credentials"}`))
	req.Header = http.Header{"Authorization": {steps.BasicHeader(conf.ID, conf.Secret)}, "Content-Type": {"application/json"}}
	r, err := c.HTTP.Do(c, req)
	c.Require(err, "POST the token endpoint")
	steps.MustTell(c, r, "a JSON body")
	switch e := r.OAuthError(); {
	case steps.ParseToken(c, r).Issued():
		c.Info("a JSON body was accepted as a token request")
	case r.Status == http.StatusUnsupportedMediaType && e == "invalid_request":
		// The media type refused with an OAuth error: the status says why.
		c.Pass("a JSON body: %s", steps.Describe(r))
	case e == "invalid_client" || e == "invalid_grant" || e == "unauthorized_client" || e == "invalid_scope":
		// The body was read as a token request and judged on its merits.
		c.Info("the server read a JSON body as a token request: %s", steps.Describe(r))
	default:
		judgeError(c, "a JSON body", r, []string{"invalid_request", "unsupported_grant_type"})
	}
}, check.Control("token-error-html", check.Fail), check.Quirk("cc-not-for-confidential", check.Pass), check.Quirk("scope-reordered", check.Pass))

// judgeError grades an error answer of the token endpoint as the catalogue
// does: a success, a server error, a body that is not a JSON error, or
// another error code than the trigger calls for is FAIL; a status other
// than 400 (401 for invalid_client) is WARN.
func judgeError(c *check.C, name string, r *client.Response, want []string) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	e := r.OAuthError()
	steps.MustTell(c, r, name)
	switch {
	case r.Status == http.StatusOK:
		c.Fail("RFC 6749 §5.2", "%s: answered 200", name)
	case r.Status >= 500:
		c.Fail("RFC 6749 §5.2", "%s: answered %d, a server error", name, r.Status)
	case mt != "application/json" || e == "":
		c.Fail("RFC 6749 §5.2", "%s: answered %d %q without a JSON error", name, r.Status, r.Header.Get("Content-Type"))
	case !slices.Contains(want, e):
		c.Fail("RFC 6749 §5.2", "%s: %s, where RFC 6749 §5.2 calls for %s", name, steps.Describe(r), strings.Join(want, " or "))
	case r.Status != http.StatusBadRequest && !(e == "invalid_client" && r.Status == http.StatusUnauthorized):
		c.Warn("RFC 6749 §5.2", "%s: error=%s with status %d, not 400", name, e, r.Status)
	default:
		c.Pass("%s: %d %s", name, r.Status, e)
	}
}

// RFC 6749 §5.2: when the client authenticated through the Authorization
// header, a failure "MUST respond with an HTTP 401 (Unauthorized) status
// code and include the "WWW-Authenticate" response header field matching
// the authentication scheme used by the client".
var _ = check.It("TOKEN-INVALID-CLIENT-401", func(c *check.C) {
	cl := steps.Client(c, target.RoleConfidential)
	if cl.Secret == "" {
		c.Skipf("the confidential client has no secret in the config")
	}
	p := steps.NewAuthProbe(c, cl)
	c.Note("%s with a wrong secret in Basic", p.What())
	t := p.Send(c, &target.Client{ID: cl.ID, Secret: "oauthcheck-wrong-" + steps.Random(8)}, steps.AuthBasic)
	www := t.Header.Get("WWW-Authenticate")
	switch {
	case t.Issued():
		c.Fail("RFC 6749 §5.2", "a wrong secret in Basic got a token")
	case t.Status != http.StatusUnauthorized:
		c.Fail("RFC 6749 §5.2", "a wrong secret in Basic was answered %s, not 401", steps.Describe(t.Response))
	case !strings.HasPrefix(strings.ToLower(www), "basic"):
		c.Fail("RFC 6749 §5.2", "the 401 has WWW-Authenticate %q, not the Basic scheme", www)
	case t.OAuthError() != "invalid_client":
		c.Warn("RFC 6749 §5.2", "the 401 carries error=%s, not invalid_client", t.OAuthError())
	default:
		c.Pass("a wrong secret in Basic: 401, WWW-Authenticate: %s, invalid_client", www)
	}
}, check.Control("invalid-client-400", check.Fail), check.Quirk("cc-not-for-confidential", check.Pass))

// RFC 6749 §3.2: "The client MUST use the HTTP "POST" method when making
// access token requests"; a server that answers GET puts credentials and
// codes in logs.
var _ = check.It("TOKEN-POST-ONLY", func(c *check.C) {
	u := steps.Endpoint(c, "token_endpoint", steps.Metadata(c).TokenEndpoint)
	get := func(cl *target.Client, form url.Values) *steps.TokenResponse {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		r, err := c.HTTP.Get(c, u+sep+form.Encode(), http.Header{"Authorization": {steps.BasicHeader(cl.ID, cl.Secret)}})
		c.Require(err, "GET the token endpoint")
		// Any answer without a token is no token; but for one that tells
		// nothing of the request.
		steps.MustTell(c, r, "the GET token request")
		return steps.ParseToken(c, r)
	}
	judged := false
	if cc := steps.FindCC(c); cc.Client != nil {
		judged = true
		c.Note("GET a client_credentials token request")
		if t := get(cc.Client, steps.CCForm()); t.Issued() {
			c.Fail("RFC 6749 §3.2", "a GET client_credentials request of %s got a token", cc.Client.ID)
		} else {
			c.Pass("a GET client_credentials request got no token (%s)", steps.Describe(t.Response))
		}
	} else {
		c.Info("client_credentials not sent as GET: %s", cc.Why)
	}
	if ok, why := steps.CanBrowse(c); ok {
		judged = true
		r := steps.NewAuthRequest(c, target.RoleConfidential)
		code := steps.Code(c, r)
		c.Note("GET a token request that redeems a fresh code")
		if t := get(r.Client, r.ExchangeForm(code)); t.Issued() {
			c.Fail("RFC 6749 §3.2", "a GET authorization_code request of %s got a token", r.Client.ID)
		} else {
			c.Pass("a GET request that redeems a fresh code got no token (%s)", steps.Describe(t.Response))
		}
	} else {
		c.Info("no code redeemed by GET: %s", why)
	}
	if !judged {
		c.Skipf("no token request could be sent as GET: no client may use client_credentials, and no code can be had")
	}
}, check.Control("token-get-allowed", check.Fail), check.Quirk("cc-not-for-confidential", check.Pass))

// RFC 6749 §3.2: unknown parameters are ignored, repeated ones refused;
// §2.3: one authentication method per request; §3.2.1: a public client
// sends client_id.
var _ = check.It("TOKEN-PARAM-HYGIENE", func(c *check.C) {
	cl := steps.Client(c, target.RoleConfidential)
	tokenURL := steps.Endpoint(c, "token_endpoint", steps.Metadata(c).TokenEndpoint)
	if cl.Secret != "" {
		p := steps.NewAuthProbe(c, cl)
		c.Note("(a) an unknown parameter in %s", p.What())
		form := cloneForm(p.Form)
		form.Set("foo", "bar")
		switch t := steps.ParseToken(c, steps.Post(c, tokenURL, cl, form, steps.AuthDefault)); p.Judge(t) {
		case steps.AuthAccepted:
			c.Pass("(a) an unknown parameter was ignored (%s)", steps.Describe(t.Response))
		case steps.AuthRefused:
			c.Warn("RFC 6749 §3.2", "(a) %s with foo=bar was refused (%s): unknown parameters must be ignored", p.What(), steps.Describe(t.Response))
		default:
			c.Info("(a) the answer to %s with foo=bar does not show whether it was processed: %s", p.What(), steps.Describe(t.Response))
		}
		c.Note("(b) grant_type twice")
		form = cloneForm(p.Form)
		form.Add("grant_type", form.Get("grant_type"))
		t := steps.ParseToken(c, steps.Post(c, tokenURL, cl, form, steps.AuthDefault))
		switch {
		case p.Judge(t) == steps.AuthAccepted:
			c.Fail("RFC 6749 §3.2", "(b) grant_type sent twice was not refused: %s", steps.Describe(t.Response))
		case t.OAuthError() == "invalid_request":
			c.Pass("(b) grant_type twice: invalid_request")
		default:
			c.Warn("RFC 6749 §3.2", "(b) grant_type twice: %s, not invalid_request", steps.Describe(t.Response))
		}
		c.Note("(c) Basic and client_secret in the body at once")
		form = cloneForm(p.Form)
		form.Set("client_id", cl.ID)
		form.Set("client_secret", cl.Secret)
		r, err := c.HTTP.PostForm(c, tokenURL, form.Encode(), http.Header{"Authorization": {steps.BasicHeader(cl.ID, cl.Secret)}})
		c.Require(err, "POST the token endpoint")
		t = steps.ParseToken(c, r)
		switch {
		case p.Judge(t) == steps.AuthAccepted:
			c.Fail("RFC 6749 §2.3", "(c) two client authentication methods at once were accepted: %s", steps.Describe(r))
		case r.OAuthError() == "invalid_request":
			c.Pass("(c) two authentication methods at once: invalid_request")
		default:
			c.Warn("RFC 6749 §2.3", "(c) two authentication methods at once: %s, not invalid_request", steps.Describe(r))
		}
	} else {
		c.Info("the confidential client has no secret in the config: (a), (b) and (c) not tried")
	}
	pub, _ := c.Env.Target.Client(target.RolePublic)
	ok, why := steps.CanBrowse(c)
	switch {
	case pub == nil:
		c.Info("the config names no public client: (d) not tried")
	case !ok:
		c.Info("(d) not tried: %s", why)
	default:
		r := steps.NewAuthRequest(c, target.RolePublic)
		code := steps.Code(c, r)
		c.Note("(d) the public client omits client_id")
		t := steps.ParseToken(c, steps.Post(c, tokenURL, nil, r.ExchangeForm(code), steps.AuthNone))
		if !steps.NotIssued(c, t, "(d) the redemption without client_id") {
			c.Fail("RFC 6749 §3.2.1", "(d) a public client's code was redeemed without client_id")
		} else {
			c.Pass("(d) without client_id the public client's code was refused (%s)", steps.Describe(t.Response))
		}
	}
}, check.Control("token-repeated-params", check.Fail), check.Quirk("cc-not-for-confidential", check.Pass))

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vals := range v {
		out[k] = slices.Clone(vals)
	}
	return out
}

// RFC 6750 §5.3: bearer tokens should be short-lived, one hour or less.
var _ = check.It("TOKEN-AT-LIFETIME", func(c *check.C) {
	judged := false
	for _, t := range tokenResponses(c) {
		if !t.HasExpiresIn {
			continue
		}
		judged = true
		if t.ExpiresIn > 3600 {
			c.Warn("RFC 6750 §5.3", "the %s access token lives %v s, over an hour", t.grant, t.ExpiresIn)
		} else {
			c.Pass("the %s access token lives %v s", t.grant, t.ExpiresIn)
		}
	}
	if !judged {
		c.Info("no token response has expires_in, so the lifetime is unknown")
	}
}, check.Control("long-access-tokens", check.Warn), check.Quirk("cc-not-for-confidential", check.Pass))
