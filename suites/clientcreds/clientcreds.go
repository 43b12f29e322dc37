// Package clientcreds checks the client credentials grant (RFC 6749 §4.4)
// and client authentication at the token endpoint (§2.3.1): CHECKS.md
// group 5.
package clientcreds

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

var ccForm = url.Values{"grant_type": {"client_credentials"}}

// confidential returns the confidential client, and skips when the server
// offers no client_credentials grant or the config names no such client.
func confidential(c *check.C) *target.Client {
	cl := steps.Client(c, target.RoleConfidential)
	if cl.Secret == "" {
		c.Skipf("the confidential client has no secret in the config")
	}
	if gts := steps.Metadata(c).GrantTypesSupported; len(gts) > 0 && !target.Supports(gts, "client_credentials") {
		c.Skipf("client_credentials is not in grant_types_supported")
	}
	return cl
}

// RFC 6749 §4.4.2: "The client MUST authenticate with the authorization
// server as described in Section 3.2.1."
var _ = check.It("CC-CLIENT-AUTH-REQUIRED", func(c *check.C) {
	cl := confidential(c)
	tokenURL := steps.Metadata(c).TokenEndpoint
	for _, try := range []struct {
		name   string
		client *target.Client
		auth   steps.Auth
	}{
		{"no credentials", nil, steps.AuthNone},
		{"client_id only", &target.Client{ID: cl.ID}, steps.AuthNone},
		{"a wrong secret in Basic", &target.Client{ID: cl.ID, Secret: "oauthcheck-wrong-" + steps.Random(8)}, steps.AuthBasic},
	} {
		c.Note("client_credentials with %s", try.name)
		t := steps.ParseToken(c, steps.Post(c, tokenURL, try.client, ccForm, try.auth))
		switch e := t.OAuthError(); {
		case t.Issued():
			c.Fail("RFC 6749 §4.4.2", "client_credentials with %s got a token", try.name)
		case e == "invalid_client" && (try.auth != steps.AuthBasic || t.Status == http.StatusUnauthorized):
			c.Pass("%s: invalid_client (%d)", try.name, t.Status)
		case t.Status == http.StatusTooManyRequests:
			c.Pass("%s: refused (429)", try.name)
		default:
			c.Warn("RFC 6749 §5.2", "%s: refused with %s, not invalid_client", try.name, steps.Describe(t.Response))
		}
	}
}, check.Control("cc-no-client-auth", check.Fail))

// RFC 6749 §4.4: "The client credentials grant type MUST only be used by
// confidential clients."
var _ = check.It("CC-PUBLIC-CLIENT-REJECTED", func(c *check.C) {
	pub := steps.Client(c, target.RolePublic)
	t := steps.ParseToken(c, steps.Token(c, pub, ccForm, steps.AuthNone))
	switch e := t.OAuthError(); {
	case t.Issued():
		c.Fail("RFC 6749 §4.4", "the public client %s got a client_credentials token without a secret", pub.ID)
	case e == "unauthorized_client" || e == "invalid_client":
		c.Pass("the public client was refused with %s", e)
	default:
		c.Warn("RFC 6749 §5.2", "the public client was refused with %s, not unauthorized_client or invalid_client", steps.Describe(t.Response))
	}
}, check.Control("cc-public-client", check.Fail))

// RFC 6749 §4.4.3: "A refresh token SHOULD NOT be included."
var _ = check.It("CC-NO-REFRESH-TOKEN", func(c *check.C) {
	t := steps.ParseToken(c, steps.Token(c, confidential(c), ccForm, steps.AuthDefault))
	switch {
	case !t.Issued():
		c.Fatalf("client_credentials failed for the confidential client: %s", steps.Describe(t.Response))
	case t.RefreshToken != "":
		c.Warn("RFC 6749 §4.4.3", "the client_credentials response includes a refresh token")
	default:
		c.Pass("the client_credentials response has no refresh token")
	}
}, check.Control("cc-refresh-token", check.Warn))

// RFC 6749 §2.3.1: the server "MUST support the HTTP Basic authentication
// scheme"; OAuth 2.1 §2.4.1 makes client_secret_post the one to support.
var _ = check.It("CLIENTAUTH-METHODS-SUPPORTED", func(c *check.C) {
	cl := confidential(c)
	works := map[steps.Auth]bool{}
	for _, m := range []struct {
		name string
		auth steps.Auth
	}{{"client_secret_basic", steps.AuthBasic}, {"client_secret_post", steps.AuthPost}} {
		c.Note("authenticate with %s", m.name)
		t := steps.ParseToken(c, steps.Token(c, cl, ccForm, m.auth))
		works[m.auth] = t.Issued()
		if !t.Issued() {
			c.Info("%s did not work: %s", m.name, steps.Describe(t.Response))
		}
	}
	switch {
	case c.Env.Profile >= check.OAuth21 && !works[steps.AuthPost]:
		c.Fail("OAuth 2.1 §2.4.1", "client_secret_post does not work")
	case c.Env.Profile < check.OAuth21 && !works[steps.AuthBasic]:
		c.Fail("RFC 6749 §2.3.1", "HTTP Basic client authentication does not work")
	default:
		c.Pass("client_secret_basic works: %v; client_secret_post works: %v", works[steps.AuthBasic], works[steps.AuthPost])
	}
}, check.Control("no-basic-auth", check.Fail))

// RFC 6749 §2.3.1: the client identifier and password are "encoded using
// the application/x-www-form-urlencoded encoding algorithm" before Basic.
var _ = check.It("CLIENTAUTH-BASIC-FORM-ENCODING", func(c *check.C) {
	cl := confidential(c)
	tokenURL := steps.Metadata(c).TokenEndpoint
	if sp, _ := c.Env.Target.Client(target.RoleSpecial); sp != nil && sp.Secret != "" {
		c.Note("(a) a secret with reserved characters, form-encoded")
		t := steps.ParseToken(c, steps.Post(c, tokenURL, sp, ccForm, steps.AuthBasic))
		if t.Issued() {
			c.Pass("a secret with reserved characters worked form-encoded in Basic")
		} else {
			c.Fail("RFC 6749 §2.3.1", "the form-encoded Basic credentials of %s were refused: %s", sp.ID, steps.Describe(t.Response))
		}
		c.Note("the same secret sent raw")
		raw := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(sp.ID+":"+sp.Secret))}}
		resp, err := c.HTTP.PostForm(c, tokenURL, ccForm.Encode(), raw)
		c.Require(err, "POST the token endpoint")
		if steps.ParseToken(c, resp).Issued() {
			c.Info("the raw, unencoded secret was accepted too (lenient)")
		}
	} else {
		c.Info("the config names no special client with reserved characters in its secret: part (a) not tested")
	}
	c.Note("(b) a percent-encoded unreserved character in the client_id")
	id := encodeOne(cl.ID)
	h := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+url.QueryEscape(cl.Secret)))}}
	resp, err := c.HTTP.PostForm(c, tokenURL, ccForm.Encode(), h)
	c.Require(err, "POST the token endpoint")
	if steps.ParseToken(c, resp).Issued() {
		c.Pass("a client_id of %s was form-decoded to %s", id, cl.ID)
	} else {
		c.Warn("RFC 6749 §2.3.1", "the client_id %s was not form-decoded to %s: %s", id, cl.ID, steps.Describe(resp))
	}
}, check.Control("basic-no-form-decoding", check.Fail))

// encodeOne percent-encodes the first letter or digit of id.
func encodeOne(id string) string {
	for i, r := range id {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return id[:i] + "%" + strings.ToUpper(hex2(byte(r))) + id[i+1:]
		}
	}
	return id
}

func hex2(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// RFC 6749 §2.3.1: the client credentials "MUST NOT be included in the
// request URI".
var _ = check.It("CLIENTAUTH-NO-SECRET-IN-URI", func(c *check.C) {
	cl := confidential(c)
	q := url.Values{"client_id": {cl.ID}, "client_secret": {cl.Secret}}
	u := steps.Metadata(c).TokenEndpoint
	if strings.Contains(u, "?") {
		u += "&" + q.Encode()
	} else {
		u += "?" + q.Encode()
	}
	resp, err := c.HTTP.PostForm(c, u, ccForm.Encode(), nil)
	c.Require(err, "POST the token endpoint")
	t := steps.ParseToken(c, resp)
	switch {
	case t.Issued():
		c.Fail("RFC 6749 §2.3.1", "client credentials in the request URI were accepted")
	case t.Status == http.StatusBadRequest || t.Status == http.StatusUnauthorized:
		c.Pass("client credentials in the request URI were refused (%s)", steps.Describe(resp))
	default:
		c.Warn("RFC 6749 §5.2", "client credentials in the request URI were refused with %s", steps.Describe(resp))
	}
}, check.Control("secret-in-uri", check.Fail))

// RFC 6749 §2.3.1, §10.10: the server "MUST protect any endpoint utilizing
// it against brute force attacks". Intrusive: it may lock a client out, so
// it uses a client registered for it alone, and runs only when asked.
var _ = check.It("CLIENTAUTH-BRUTEFORCE-THROTTLE", func(c *check.C) {
	reg := steps.Endpoint(c, "registration_endpoint (a throwaway client is registered for this check)", steps.Metadata(c).RegistrationEndpoint)
	body, _ := json.Marshal(map[string]any{"grant_types": []string{"client_credentials"}, "client_name": "oauthcheck throwaway",
		"token_endpoint_auth_method": "client_secret_basic"})
	req, _ := http.NewRequestWithContext(c, http.MethodPost, reg, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(c, req)
	c.Require(err, "register a throwaway client")
	id := resp.Field("client_id")
	if id == "" {
		c.Skipf("registering a throwaway client failed (%d %s)", resp.Status, resp.OAuthError())
	}
	c.HTTP.Redactor().Add("client_secret", resp.Field("client_secret"))
	throwaway := &target.Client{ID: id, Secret: "oauthcheck-wrong-" + steps.Random(8)}
	tokenURL := steps.Metadata(c).TokenEndpoint
	var first, last time.Duration
	for i := 1; i <= 50; i++ {
		start := time.Now()
		r := steps.Post(c, tokenURL, throwaway, ccForm, steps.AuthBasic)
		took := time.Since(start)
		switch {
		case r.Status == http.StatusTooManyRequests || (r.Status != http.StatusUnauthorized && r.Status != http.StatusBadRequest):
			c.Pass("after %d wrong secrets the server answered %s", i, steps.Describe(r))
			return
		case i <= 5:
			first += took
		case i > 45:
			last += took
		}
	}
	if last > 3*first+500*time.Millisecond {
		c.Pass("answers slowed down: the last 5 of 50 wrong secrets took %s, the first 5 %s", last, first)
		return
	}
	c.Warn("RFC 6749 §10.10", "50 wrong secrets in a row were each answered at once (first 5: %s, last 5: %s), with no throttling", first, last)
}, check.Intrusive, check.Control("no-client-auth-throttle", check.Warn))
