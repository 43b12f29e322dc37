// Package discovery checks authorization server metadata (RFC 8414) and
// OpenID Provider configuration (OIDC Discovery 1.0): CHECKS.md group 1.
package discovery

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// RFC 8414 §3: the metadata "MUST" be returned as a JSON object with
// Content-Type application/json at the well-known URL; RFC 9700 §2.6
// recommends publishing it.
var _ = check.It("META-WELLKNOWN", func(c *check.C) {
	a, b, err := target.WellKnownURLs(c.Env.Target.Issuer)
	c.Require(err, "well-known URLs")
	published := 0
	for _, u := range []string{a, b} {
		resp, err := c.HTTP.Get(c, u, http.Header{"Accept": {"application/json"}})
		if err != nil {
			c.Info("GET %s: %v", u, err)
			continue
		}
		if resp.Status == http.StatusNotFound {
			c.Info("%s is not published (404)", u)
			continue
		}
		if resp.Status != http.StatusOK {
			c.Fail("RFC 8414 §3.2", "GET %s answered %d, not 200 with the metadata", u, resp.Status)
			continue
		}
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		var obj map[string]any
		switch {
		case json.Unmarshal(resp.Body, &obj) != nil:
			c.Fail("RFC 8414 §3.2", "%s is not a JSON object", u)
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
// works, and deprecated modes are not advertised.
var _ = check.It("META-MATCHES-BEHAVIOUR", func(c *check.C) {
	md := steps.Metadata(c)
	tokenURL := steps.Endpoint(c, "token_endpoint", md.TokenEndpoint)
	if target.Supports(md.GrantTypesSupported, "password") {
		c.Warn("RFC 9700 §2.4", "grant_types_supported advertises the deprecated password grant")
	}
	frontChannel := false
	for _, rt := range md.ResponseTypesSupported {
		if strings.Contains(" "+rt+" ", " token ") {
			frontChannel = true
			c.Warn("RFC 9700 §2.1.2", "response_types_supported advertises %q, which puts an access token in the front channel", rt)
		}
	}
	if target.Supports(md.GrantTypesSupported, "implicit") && !frontChannel {
		c.Info("grant_types_supported lists implicit, but no response type returns an access token from the authorization endpoint (OIDC id_token only)")
	}
	// Every advertised grant type is known to the token endpoint: a
	// request with a bogus value must not get unsupported_grant_type.
	cl, _ := c.Env.Target.Client(target.RoleConfidential)
	for _, g := range md.GrantTypesSupported {
		if g == "implicit" {
			continue
		}
		form := url.Values{"grant_type": {g}, "code": {"oauthcheck-bogus"}, "refresh_token": {"oauthcheck-bogus"},
			"device_code": {"oauthcheck-bogus"}, "redirect_uri": {c.Env.Target.Config.RedirectURI}}
		c.Note("is the advertised grant %s known?", g)
		resp := steps.Post(c, tokenURL, cl, form, steps.AuthDefault)
		if resp.OAuthError() == "unsupported_grant_type" {
			c.Warn("RFC 8414 §2", "grant_types_supported lists %s, but the token endpoint answers unsupported_grant_type", g)
		}
	}
	// Every advertised secret method authenticates the confidential client.
	if cl != nil && cl.Secret != "" {
		for _, m := range md.TokenEndpointAuthMethodsSupported {
			auth := map[string]steps.Auth{"client_secret_basic": steps.AuthBasic, "client_secret_post": steps.AuthPost}[m]
			if auth == 0 {
				continue
			}
			c.Note("does %s work?", m)
			resp := steps.Post(c, tokenURL, cl, url.Values{"grant_type": {"authorization_code"}, "code": {"oauthcheck-bogus"},
				"redirect_uri": {c.Env.Target.Config.RedirectURI}}, auth)
			if resp.OAuthError() == "invalid_client" || resp.Status == http.StatusUnauthorized {
				c.Warn("RFC 8414 §2", "token_endpoint_auth_methods_supported lists %s, but %s fails to authenticate with it: %s", m, cl.ID, steps.Describe(resp))
			}
		}
	}
	c.Pass("the advertised grant types and client authentication methods were accepted by the token endpoint")
}, check.Control("password-grant", check.Warn))
