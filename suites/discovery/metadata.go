// Package discovery checks authorization server metadata (RFC 8414) and
// OpenID Provider configuration (OIDC Discovery 1.0): CHECKS.md group 1.
package discovery

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// RFC 8414 §3: the metadata "MUST" be returned as a JSON object with
// Content-Type application/json at the well-known URL; RFC 9700 §2.6
// recommends publishing it. A location that does not answer 200 does not
// publish it: only a document published in the wrong form fails.
var _ = check.It("META-WELLKNOWN", func(c *check.C) {
	a, b, err := target.WellKnownURLs(c.Env.Target.Issuer)
	c.Require(err, "well-known URLs")
	published := 0
	for _, u := range []string{a, b} {
		resp, err := c.HTTP.Get(c, u, http.Header{"Accept": {"application/json"}})
		if err != nil {
			c.Info("%s is not published: GET failed: %v", u, err)
			continue
		}
		if resp.Status != http.StatusOK {
			c.Info("%s is not published: GET answered %d", u, resp.Status)
			continue
		}
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		var obj map[string]any
		switch {
		case json.Unmarshal(resp.Body, &obj) != nil:
			c.Fail("RFC 8414 §3.2", "%s answers 200 with a body that is not a JSON object", u)
		case mt != "application/json":
			c.Fail("RFC 8414 §3.2", "%s is served as %q, not application/json", u, resp.Header.Get("Content-Type"))
		default:
			published++
			if steps.RequireHTTPS(c, "RFC 8414 §3", "metadata URL", u) {
				c.Pass("%s is a JSON object served as application/json", u)
			}
		}
	}
	if published == 0 {
		c.Warn("RFC 9700 §2.6", "no metadata document is published at %s or %s", a, b)
	}
}, check.Control("metadata-not-json", check.Fail))

// RFC 8414 §3.3: the issuer value returned "MUST be identical to the
// authorization server's issuer identifier value into which the well-known
// URI string was inserted". §2: an https URL with no query or fragment.
var _ = check.It("META-ISSUER-IDENTICAL", func(c *check.C) {
	md := steps.Metadata(c)
	want := c.Env.Target.Issuer
	if md.Issuer != want {
		c.Fail("RFC 8414 §3.3", "the metadata at %s has issuer %q; the configured issuer is %q (compared byte for byte)", md.Source, md.Issuer, want)
		return
	}
	u, err := url.Parse(md.Issuer)
	switch {
	case err != nil:
		c.Fail("RFC 8414 §2", "issuer %q is not a URL: %v", md.Issuer, err)
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(md.Issuer, "?#"):
		c.Fail("RFC 8414 §2", "issuer %q has a query or fragment", md.Issuer)
	case steps.RequireHTTPS(c, "RFC 8414 §2", "issuer", md.Issuer):
		c.Pass("the metadata's issuer is identical to %q", want)
	}
}, check.Control("issuer-mismatch", check.Fail))

// RFC 8414 §2 names the REQUIRED members; OIDC Discovery §3 adds
// jwks_uri, subject_types_supported and id_token_signing_alg_values_supported.
var _ = check.It("META-REQUIRED-FIELDS", func(c *check.C) {
	md := steps.Metadata(c)
	missing := []string{}
	need := []string{"issuer", "response_types_supported"}
	usesAuthz := len(md.ResponseTypesSupported) > 0
	if usesAuthz {
		need = append(need, "authorization_endpoint")
	}
	implicitOnly := len(md.ResponseTypesSupported) > 0
	for _, rt := range md.ResponseTypesSupported {
		implicitOnly = implicitOnly && rt == "token"
	}
	if !implicitOnly {
		need = append(need, "token_endpoint")
	}
	if strings.HasSuffix(md.Source, "/openid-configuration") {
		need = append(need, "jwks_uri", "subject_types_supported", "id_token_signing_alg_values_supported")
	}
	for _, m := range need {
		if !md.Has(m) {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		c.Fail("RFC 8414 §2", "the metadata at %s lacks REQUIRED members: %s", md.Source, strings.Join(missing, ", "))
		return
	}
	ok := true
	for _, e := range []struct{ name, url string }{
		{"authorization_endpoint", md.AuthorizationEndpoint}, {"token_endpoint", md.TokenEndpoint},
	} {
		if e.url != "" {
			ok = steps.RequireHTTPS(c, "RFC 8414 §2", e.name, e.url) && ok
		}
	}
	for _, e := range []struct{ member, feature, grant string }{
		{"device_authorization_endpoint", "the device grant", "urn:ietf:params:oauth:grant-type:device_code"},
	} {
		if target.Supports(md.GrantTypesSupported, e.grant) && !md.Has(e.member) {
			c.Warn("RFC 8628 §4", "grant_types_supported lists %s, but %s is not advertised", e.feature, e.member)
		}
	}
	if ok {
		c.Pass("every REQUIRED member is present (%s)", strings.Join(need, ", "))
	}
}, check.Control("metadata-incomplete", check.Fail))

// RFC 9700 §2.1.1: authorization servers "MUST provide a way to detect
// their support for PKCE"; publishing code_challenge_methods_supported is
// RECOMMENDED.
var _ = check.It("META-PKCE-ADVERTISED", func(c *check.C) {
	md := steps.Metadata(c)
	if !md.Has("code_challenge_methods_supported") {
		c.Warn("RFC 9700 §2.1.1", "the metadata has no code_challenge_methods_supported, so clients cannot detect PKCE support")
		return
	}
	if target.Supports(md.CodeChallengeMethodsSupported, "plain") {
		c.Info("code_challenge_methods_supported lists plain, which exposes the verifier (RFC 7636 §7.2)")
	}
	if !target.Supports(md.CodeChallengeMethodsSupported, "S256") {
		c.Fail("RFC 7636 §4.2", "code_challenge_methods_supported is %v, without S256", md.CodeChallengeMethodsSupported)
		return
	}
	// The advertisement must be true: a PKCE S256 flow works.
	role := target.RolePublic
	if cl, _ := c.Env.Target.Client(role); cl == nil {
		role = target.RoleConfidential
	}
	_, tok := steps.Tokens(c, role)
	if tok.Issued() {
		c.Pass("S256 is advertised and a PKCE S256 code flow works")
	}
}, check.Control("pkce-not-advertised", check.Warn))

var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// OIDC Discovery §3: the JWK Set at jwks_uri "MUST NOT" contain private
// or symmetric keys.
var _ = check.It("META-JWKS-PUBLIC-ONLY", func(c *check.C) {
	md := steps.Metadata(c)
	u := steps.Endpoint(c, "jwks_uri", md.JWKSURI)
	steps.RequireHTTPS(c, "OIDC Disc. §3", "jwks_uri", u)
	resp, err := c.HTTP.Get(c, u, nil)
	c.Require(err, "GET jwks_uri")
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &set) != nil {
		c.Fail("RFC 7517 §5", "GET %s answered %d without a JWK Set", u, resp.Status)
		return
	}
	leaks := 0
	for i, k := range set.Keys {
		var found []string
		for _, m := range privateMembers {
			if _, ok := k[m]; ok {
				found = append(found, m)
			}
		}
		if len(found) > 0 {
			leaks++
			c.Fail("OIDC Disc. §3", "key %d (kid %v, kty %v) publishes private or symmetric members %s", i, k["kid"], k["kty"], strings.Join(found, ", "))
		}
		if n, ok := k["n"].(string); ok && k["kty"] == "RSA" && len(n)*6 < 2048-8 {
			c.Info("key %d (kid %v) is RSA of about %d bits, under 2048", i, k["kid"], len(n)*6)
		}
	}
	if leaks == 0 {
		c.Pass("the %d keys at %s hold public material only", len(set.Keys), u)
	}
}, check.Control("jwks-private-key", check.Fail))

// RFC 8414 §2 and RFC 9700 §2.1.2, §2.4: what the metadata advertises
// works, what the server does is advertised, and deprecated modes are not
// advertised. Each grant the metadata lists or the config gives a client
// for is tried at the token endpoint, and each advertised client
// authentication method with a client the config registers for it: a
// client may rightly be held to its registered method (RFC 7591 §2).
var _ = check.It("META-MATCHES-BEHAVIOUR", func(c *check.C) {
	md := steps.Metadata(c)
	tokenURL := steps.Endpoint(c, "token_endpoint", md.TokenEndpoint)
	mismatches, told, probes := 0, 0, 0
	mismatch := func(ref, format string, args ...any) {
		mismatches++
		c.Warn(ref, format, args...)
	}
	if target.Supports(md.GrantTypesSupported, "password") {
		mismatch("RFC 9700 §2.4", "grant_types_supported advertises the deprecated password grant")
	}
	frontChannel := false
	for _, rt := range md.ResponseTypesSupported {
		if strings.Contains(" "+rt+" ", " token ") {
			frontChannel = true
			mismatch("RFC 9700 §2.1.2", "response_types_supported advertises %q, which puts an access token in the front channel", rt)
		}
	}
	if target.Supports(md.GrantTypesSupported, "implicit") && !frontChannel {
		c.Info("grant_types_supported lists implicit, but no response type returns an access token from the authorization endpoint (OIDC id_token only)")
	}

	claimed := md.GrantTypesSupported
	if !md.Has("grant_types_supported") {
		claimed = []string{"authorization_code", "implicit"}
		c.Info("the metadata has no grant_types_supported, which RFC 8414 §2 reads as [authorization_code implicit]")
	}
	grants := slices.Clone(claimed)
	for _, g := range configGrants(c) {
		if !slices.Contains(grants, g) {
			grants = append(grants, g)
		}
	}
	for _, g := range grants {
		if g == "implicit" {
			continue
		}
		served, answer := grantServed(c, tokenURL, g)
		listed := slices.Contains(claimed, g)
		probes++
		if served != unknown {
			told++
		}
		switch {
		case served == unknown:
			c.Info("the token endpoint's answer to %s does not tell whether it serves the grant: %s", g, answer)
		case listed && served == no:
			mismatch("RFC 8414 §2", "grant_types_supported lists %s, but the token endpoint answers %s", g, answer)
		case !listed && served == yes:
			mismatch("RFC 8414 §2", "the token endpoint serves %s (it answered %s), but grant_types_supported does not list it", g, answer)
		}
	}

	for _, m := range md.TokenEndpointAuthMethodsSupported {
		auth, ok := map[string]steps.Auth{"client_secret_basic": steps.AuthBasic, "client_secret_post": steps.AuthPost, "none": steps.AuthNone}[m]
		if !ok {
			continue
		}
		cl := steps.ConfiguredFor(c, m)
		if cl == nil {
			c.Info("token_endpoint_auth_methods_supported lists %s, but the config registers no client for it: not tried", m)
			continue
		}
		p := steps.NewAuthProbe(c, cl)
		c.Note("does %s authenticate %s, registered for it? (%s)", m, cl.ID, p.What())
		t := p.Send(c, cl, auth)
		judged := p.Judge(t)
		probes++
		if judged != steps.AuthUnknown {
			told++
		}
		switch judged {
		case steps.AuthRefused:
			mismatch("RFC 8414 §2", "token_endpoint_auth_methods_supported lists %s, but %s, registered for it, fails to authenticate with it: %s", m, cl.ID, steps.Describe(t.Response))
		case steps.AuthUnknown:
			c.Info("the answer to %s with %s does not show whether it authenticated: %s", cl.ID, m, steps.Describe(t.Response))
		}
	}
	switch {
	case mismatches > 0:
	case probes > 0 && told == 0:
		c.Fatalf("none of the %d grants and client authentication methods tried got an answer that tells whether it is served", probes)
	default:
		c.Pass("the grants and client authentication methods tried agree with the metadata, and nothing deprecated is advertised")
	}
}, check.Control("password-grant", check.Warn), check.Quirk("cc-not-for-confidential", check.Pass))

// configGrants are the grants the config gives a client for: the code
// grant and refresh for a redirect-based client, client_credentials for
// one with a secret, the device grant for a device client.
func configGrants(c *check.C) []string {
	var out []string
	has := func(roles ...string) bool {
		for _, r := range roles {
			if cl, _ := c.Env.Target.Client(r); cl != nil {
				return true
			}
		}
		return false
	}
	if has(target.RoleConfidential, target.RoleConfidential2, target.RolePublic, target.RolePublic2) {
		out = append(out, "authorization_code", "refresh_token")
	}
	for _, r := range []string{target.RoleConfidential, target.RoleConfidential2} {
		if cl, _ := c.Env.Target.Client(r); cl != nil && cl.Secret != "" {
			out = append(out, "client_credentials")
			break
		}
	}
	if has(target.RoleDevice, target.RoleDevice2) {
		out = append(out, steps.GrantDeviceCode)
	}
	return out
}

type tristate int

const (
	unknown tristate = iota
	yes
	no
)

// grantServed asks the token endpoint for grant g as a client that may
// use it, with made-up values where it needs any: a token, or an error
// that only a server that knows the grant gives (invalid_grant,
// unauthorized_client, …), says yes; unsupported_grant_type says no.
func grantServed(c *check.C, tokenURL, g string) (tristate, string) {
	roles := []string{target.RoleConfidential, target.RoleConfidential2, target.RolePublic}
	form := url.Values{"grant_type": {g}}
	switch g {
	case "authorization_code":
		form.Set("code", "oauthcheck-bogus-"+steps.Random(8))
		form.Set("redirect_uri", c.Env.Target.Config.RedirectURI)
		form.Set("code_verifier", steps.Random(32))
	case "refresh_token":
		form.Set("refresh_token", "oauthcheck-bogus-"+steps.Random(8))
	case steps.GrantDeviceCode:
		form.Set("device_code", "oauthcheck-bogus-"+steps.Random(8))
		roles = []string{target.RoleDevice, target.RoleDevice2, target.RoleConfidential}
	case "client_credentials":
		roles = []string{target.RoleConfidential, target.RoleConfidential2}
	default:
		form.Set("code", "oauthcheck-bogus-"+steps.Random(8))
		form.Set("refresh_token", "oauthcheck-bogus-"+steps.Random(8))
		form.Set("device_code", "oauthcheck-bogus-"+steps.Random(8))
		form.Set("redirect_uri", c.Env.Target.Config.RedirectURI)
	}
	var cl *target.Client
	for _, r := range roles {
		if x, _ := c.Env.Target.Client(r); x != nil {
			cl = x
			break
		}
	}
	c.Note("does the token endpoint serve %s?", g)
	t := steps.ParseToken(c, steps.Post(c, tokenURL, cl, form, steps.AuthDefault))
	answer := steps.Describe(t.Response)
	switch e := t.OAuthError(); {
	case t.Issued():
		return yes, answer
	case e == "unsupported_grant_type":
		return no, answer
	case slices.Contains([]string{"invalid_grant", "unauthorized_client", "invalid_scope", "expired_token", "authorization_pending", "slow_down", "access_denied"}, e):
		return yes, answer
	}
	return unknown, answer
}
