// Package tokenendpoint checks the hygiene of the token endpoint (RFC 6749
// §3.2, §5): CHECKS.md group 8.
package tokenendpoint

import (
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

var ccForm = url.Values{"grant_type": {"client_credentials"}}

// tokenResponses gets a token response of each kind the target offers
// without a person (client credentials) and one through the browser
// (authorization code, then a refresh).
func tokenResponses(c *check.C) map[string]*steps.TokenResponse {
	out := map[string]*steps.TokenResponse{}
	md := steps.Metadata(c)
	if cl, _ := c.Env.Target.Client(target.RoleConfidential); cl != nil && cl.Secret != "" &&
		(len(md.GrantTypesSupported) == 0 || target.Supports(md.GrantTypesSupported, "client_credentials")) {
		c.Note("client_credentials")
		if t := steps.ParseToken(c, steps.Token(c, cl, ccForm, steps.AuthDefault)); t.Issued() {
			out["client_credentials"] = t
		}
	}
	c.Note("authorization_code")
	r, t := steps.Tokens(c, target.RoleConfidential)
	out["authorization_code"] = t
	if t.RefreshToken != "" {
		c.Note("refresh_token")
		if rt := steps.Refresh(c, r.Client, t.RefreshToken, ""); rt.Issued() {
			out["refresh_token"] = rt
		}
	}
	return out
}

// RFC 6749 §5.1: the server "MUST include the HTTP "Cache-Control"
// response header field with a value of "no-store" in any response
// containing tokens, credentials, or other sensitive information, as well
// as the "Pragma" response header field with a value of "no-cache"".
var _ = check.It("TOKEN-CACHE-NO-STORE", func(c *check.C) {
	for grant, t := range tokenResponses(c) {
		cc := strings.ToLower(t.Header.Get("Cache-Control"))
		switch {
		case !strings.Contains(cc, "no-store"):
			c.Fail("RFC 6749 §5.1", "the %s token response has Cache-Control %q, without no-store", grant, t.Header.Get("Cache-Control"))
		case !strings.Contains(strings.ToLower(t.Header.Get("Pragma")), "no-cache"):
			c.Warn("RFC 6749 §5.1", "the %s token response has no Pragma: no-cache (RFC 6749 requires it; OAuth 2.1 dropped it)", grant)
		default:
			c.Pass("the %s token response has Cache-Control: no-store and Pragma: no-cache", grant)
		}
	}
	if md := steps.Metadata(c); md.IntrospectionEndpoint != "" {
		if cl, _ := c.Env.Target.Client(target.RoleConfidential); cl != nil && cl.Secret != "" {
			c.Note("introspection")
			r := steps.Post(c, md.IntrospectionEndpoint, cl, url.Values{"token": {"oauthcheck-" + steps.Random(16)}}, steps.AuthDefault)
			if r.Status == http.StatusOK && !strings.Contains(strings.ToLower(r.Header.Get("Cache-Control")), "no-store") {
				c.Warn("RFC 6749 §5.1", "the introspection response has no Cache-Control: no-store")
			}
		}
	}
}, check.Control("no-cache-headers", check.Fail))

// RFC 6749 §5.1: a success is 200 application/json with access_token and
// token_type (REQUIRED), expires_in (RECOMMENDED), and scope when it differs
// from the request.
var _ = check.It("TOKEN-RESPONSE-FORMAT", func(c *check.C) {
	for grant, t := range tokenResponses(c) {
		mt, _, _ := mime.ParseMediaType(t.Header.Get("Content-Type"))
		m, err := t.JSON()
		switch {
		case err != nil:
			c.Fail("RFC 6749 §5.1", "the %s token response is not a JSON object", grant)
			continue
		case mt != "application/json":
			c.Fail("RFC 6749 §5.1", "the %s token response is %q, not application/json", grant, t.Header.Get("Content-Type"))
			continue
		}
		var missing []string
		for _, k := range []string{"access_token", "token_type"} {
			if s, _ := m[k].(string); s == "" {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			c.Fail("RFC 6749 §5.1", "the %s token response lacks REQUIRED %s", grant, strings.Join(missing, ", "))
			continue
		}
		if !t.HasExpiresIn {
			c.Warn("RFC 6749 §5.1", "the %s token response has no expires_in", grant)
			continue
		}
		c.Pass("the %s token response is JSON with access_token, token_type %s and expires_in %v", grant, t.TokenType, t.ExpiresIn)
	}
}, check.Control("token-response-incomplete", check.Fail), check.Control("token-text-plain", check.Fail))

// RFC 6749 §5.2: errors are 400 (401 for invalid_client) JSON with an
// error from the registered set.
var _ = check.It("TOKEN-ERROR-CODES", func(c *check.C) {
	md := steps.Metadata(c)
	tokenURL := steps.Endpoint(c, "token_endpoint", md.TokenEndpoint)
	conf := steps.Client(c, target.RoleConfidential)
	type trial struct {
		name   string
		cl     *target.Client
		form   url.Values
		header http.Header
		want   []string
	}
	trials := []trial{
		{"no grant_type", conf, url.Values{}, nil, []string{"invalid_request"}},
		{"grant_type=foo", conf, url.Values{"grant_type": {"urn:oauthcheck:bogus"}}, nil, []string{"unsupported_grant_type"}},
		{"a bogus code", conf, url.Values{"grant_type": {"authorization_code"}, "code": {"oauthcheck-" + steps.Random(16)},
			"redirect_uri": {c.Env.Target.Config.RedirectURI}, "code_verifier": {steps.Random(32)}}, nil, []string{"invalid_grant"}},
	}
	if pub, _ := c.Env.Target.Client(target.RolePublic); pub != nil {
		trials = append(trials, trial{"client_credentials for a public client", pub, ccForm, nil, []string{"unauthorized_client", "invalid_client"}})
	}
	if conf.Secret != "" && (len(md.GrantTypesSupported) == 0 || target.Supports(md.GrantTypesSupported, "client_credentials")) {
		trials = append(trials, trial{"an unknown scope", conf, url.Values{"grant_type": {"client_credentials"}, "scope": {"oauthcheck-nonexistent-scope"}}, nil, []string{"invalid_scope"}})
	}
	for _, tr := range trials {
		c.Note("error trigger: %s", tr.name)
		r := steps.Post(c, tokenURL, tr.cl, tr.form, steps.AuthDefault)
		if t := steps.ParseToken(c, r); t.Issued() && tr.form.Has("scope") {
			// RFC 6749 §3.3 lets the server ignore a scope it does not
			// grant, as long as it says which scope it issued.
			if strings.Contains(" "+t.Scope+" ", " "+tr.form.Get("scope")+" ") {
				c.Fail("RFC 6749 §3.3", "%s: a token was issued with the unknown scope %q", tr.name, tr.form.Get("scope"))
			} else {
				c.Info("%s: the unknown scope was ignored and a token issued with scope %q (RFC 6749 §3.3 allows that)", tr.name, t.Scope)
			}
			continue
		}
		judgeError(c, tr.name, r, tr.want)
	}
	c.Note("error trigger: a JSON body")
	h := http.Header{"Authorization": {steps.BasicHeader(conf.ID, conf.Secret)}, "Content-Type": {"application/json"}}
	req, _ := http.NewRequestWithContext(c, http.MethodPost, tokenURL, strings.NewReader(`{"grant_type":"client_credentials"}`))
	req.Header = h
	r, err := c.HTTP.Do(c, req)
	c.Require(err, "POST the token endpoint")
	if steps.ParseToken(c, r).Issued() {
		c.Info("a JSON body was accepted as a token request")
	} else {
		judgeError(c, "a JSON body", r, []string{"invalid_request", "unsupported_grant_type"})
	}
}, check.Control("token-error-html", check.Fail))

func judgeError(c *check.C, name string, r *client.Response, want []string) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	e := r.OAuthError()
	switch {
	case r.Status == http.StatusOK:
		c.Fail("RFC 6749 §5.2", "%s: answered 200", name)
	case r.Status >= 500:
		c.Fail("RFC 6749 §5.2", "%s: answered %d, a server error", name, r.Status)
	case mt != "application/json" || e == "":
		c.Fail("RFC 6749 §5.2", "%s: answered %d %q without a JSON error", name, r.Status, r.Header.Get("Content-Type"))
	case !slices.Contains(want, e):
		c.Warn("RFC 6749 §5.2", "%s: error=%s, expected %s", name, e, strings.Join(want, " or "))
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
	wrong := &target.Client{ID: cl.ID, Secret: "oauthcheck-wrong-" + steps.Random(8)}
	r := steps.Token(c, wrong, ccForm, steps.AuthBasic)
	www := r.Header.Get("WWW-Authenticate")
	switch {
	case steps.ParseToken(c, r).Issued():
		c.Fail("RFC 6749 §5.2", "a wrong secret in Basic got a token")
	case r.Status != http.StatusUnauthorized:
		c.Fail("RFC 6749 §5.2", "a wrong secret in Basic was answered %d, not 401", r.Status)
	case !strings.HasPrefix(strings.ToLower(www), "basic"):
		c.Fail("RFC 6749 §5.2", "the 401 has WWW-Authenticate %q, not the Basic scheme", www)
	case r.OAuthError() != "invalid_client":
		c.Warn("RFC 6749 §5.2", "the 401 carries error=%s, not invalid_client", r.OAuthError())
	default:
		c.Pass("a wrong secret in Basic: 401, WWW-Authenticate: %s, invalid_client", www)
	}
}, check.Control("invalid-client-400", check.Fail))

// RFC 6749 §3.2: "The client MUST use the HTTP "POST" method when making
// access token requests"; a server that answers GET puts credentials and
// codes in logs.
var _ = check.It("TOKEN-POST-ONLY", func(c *check.C) {
	cl := steps.Client(c, target.RoleConfidential)
	u := steps.Endpoint(c, "token_endpoint", steps.Metadata(c).TokenEndpoint)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	r, err := c.HTTP.Get(c, u+sep+ccForm.Encode(), http.Header{"Authorization": {steps.BasicHeader(cl.ID, cl.Secret)}})
	c.Require(err, "GET the token endpoint")
	if steps.ParseToken(c, r).Issued() {
		c.Fail("RFC 6749 §3.2", "a GET to the token endpoint issued a token")
		return
	}
	c.Pass("a GET to the token endpoint was refused (%d)", r.Status)
}, check.Control("token-get-allowed", check.Fail))

// RFC 6749 §3.2: unknown parameters are ignored, repeated ones refused;
// §2.3: one authentication method per request; §3.2.1: a public client
// sends client_id.
var _ = check.It("TOKEN-PARAM-HYGIENE", func(c *check.C) {
	cl := steps.Client(c, target.RoleConfidential)
	tokenURL := steps.Endpoint(c, "token_endpoint", steps.Metadata(c).TokenEndpoint)
	if cl.Secret != "" {
		c.Note("(a) an unknown parameter")
		if t := steps.ParseToken(c, steps.Post(c, tokenURL, cl, url.Values{"grant_type": {"client_credentials"}, "foo": {"bar"}}, steps.AuthBasic)); t.Issued() {
			c.Pass("an unknown parameter was ignored")
		} else {
			c.Info("client_credentials with foo=bar failed: %s", steps.Describe(t.Response))
		}
		c.Note("(b) grant_type twice")
		r := steps.Post(c, tokenURL, cl, url.Values{"grant_type": {"client_credentials", "client_credentials"}}, steps.AuthBasic)
		switch {
		case steps.ParseToken(c, r).Issued():
			c.Fail("RFC 6749 §3.2", "grant_type sent twice was not refused")
		case r.OAuthError() == "invalid_request":
			c.Pass("grant_type twice: invalid_request")
		default:
			c.Warn("RFC 6749 §3.2", "grant_type twice: %s, not invalid_request", steps.Describe(r))
		}
		c.Note("(c) Basic and client_secret in the body at once")
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {cl.ID}, "client_secret": {cl.Secret}}
		r, err := c.HTTP.PostForm(c, tokenURL, form.Encode(), http.Header{"Authorization": {steps.BasicHeader(cl.ID, cl.Secret)}})
		c.Require(err, "POST the token endpoint")
		switch {
		case steps.ParseToken(c, r).Issued():
			c.Fail("RFC 6749 §2.3", "two client authentication methods at once were accepted")
		case r.OAuthError() == "invalid_request":
			c.Pass("two authentication methods at once: invalid_request")
		default:
			c.Warn("RFC 6749 §2.3", "two authentication methods at once: %s, not invalid_request", steps.Describe(r))
		}
	}
	if pub, _ := c.Env.Target.Client(target.RolePublic); pub != nil {
		r := steps.NewAuthRequest(c, target.RolePublic)
		code := steps.Code(c, r)
		c.Note("(d) the public client omits client_id")
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {r.RedirectURI}, "code_verifier": {r.Verifier}}
		t := steps.ParseToken(c, steps.Post(c, tokenURL, nil, form, steps.AuthNone))
		if t.Issued() {
			c.Fail("RFC 6749 §3.2.1", "a public client's code was redeemed without client_id")
		} else {
			c.Pass("without client_id the public client's code was refused (%s)", steps.Describe(t.Response))
		}
	}
}, check.Control("token-repeated-params", check.Fail))

// RFC 6749 §10.10: "The probability of an attacker guessing generated
// tokens (and other credentials not intended for handling by end-users)
// MUST be less than or equal to 2^(-128) and SHOULD be less than or equal
// to 2^(-160)."
var _ = check.It("TOKEN-ENTROPY", func(c *check.C) {
	// Most samples come from what the run obtained already; top up cheaply.
	if cl, _ := c.Env.Target.Client(target.RoleConfidential); cl != nil && cl.Secret != "" && len(c.Env.Samples.Get("access_token")) < 20 {
		for i := 0; i < 20; i++ {
			if !steps.ParseToken(c, steps.Token(c, cl, ccForm, steps.AuthDefault)).Issued() {
				break
			}
		}
	}
	if len(c.Env.Samples.Get("refresh_token")) < 3 {
		r, t := steps.Tokens(c, target.RoleConfidential)
		for i := 0; i < 10 && t.RefreshToken != ""; i++ {
			t = steps.Refresh(c, r.Client, t.RefreshToken, "")
		}
	}
	if len(c.Env.Samples.Get("code")) < 3 {
		for i := 0; i < 3; i++ {
			steps.Code(c, steps.NewAuthRequest(c, target.RoleConfidential))
		}
	}
	judged := 0
	for _, kind := range []string{"code", "access_token", "refresh_token", "device_code"} {
		vals := c.Env.Samples.Get(kind)
		if len(vals) < 3 {
			continue
		}
		judged++
		est := Estimate(vals)
		switch {
		case est.Bits < 128:
			c.Fail("RFC 6749 §10.10", "%s: about %.0f bits of entropy over %d samples (%s), under 128", kind, est.Bits, len(vals), est.How)
		case est.Bits < 160:
			c.Warn("RFC 6749 §10.10", "%s: about %.0f bits over %d samples (%s), under the recommended 160", kind, est.Bits, len(vals), est.How)
		default:
			c.Pass("%s: about %.0f bits over %d samples (%s)", kind, est.Bits, len(vals), est.How)
		}
	}
	if judged == 0 {
		c.Skipf("too few codes and tokens to judge")
	}
}, check.Control("weak-tokens", check.Fail))

// RFC 6750 §5.3: bearer tokens should be short-lived, one hour or less.
var _ = check.It("TOKEN-AT-LIFETIME", func(c *check.C) {
	judged := false
	for grant, t := range tokenResponses(c) {
		if !t.HasExpiresIn {
			continue
		}
		judged = true
		if t.ExpiresIn > 3600 {
			c.Warn("RFC 6750 §5.3", "the %s access token lives %v s, over an hour", grant, t.ExpiresIn)
		} else {
			c.Pass("the %s access token lives %v s", grant, t.ExpiresIn)
		}
	}
	if !judged {
		c.Info("no token response has expires_in, so the lifetime is unknown")
	}
}, check.Control("long-access-tokens", check.Warn))
