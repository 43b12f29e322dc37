// Package clientcreds checks the client credentials grant (RFC 6749 §4.4)
// and client authentication at the token endpoint (§2.3.1): CHECKS.md
// group 5.
//
// Client authentication is probed with a request the client may make:
// client_credentials when the server grants it to the client, else an
// authorization_code request with a made-up code, whose invalid_grant
// shows that the client authenticated (steps.AuthProbe). Metadata is a
// claim, not a gate: a grant missing from grant_types_supported is still
// tried, and only the server's unsupported_grant_type skips.
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

// secretClient returns the first confidential client of the config with
// a secret, and skips when there is none.
func secretClient(c *check.C) *target.Client {
	for _, role := range []string{target.RoleConfidential, target.RoleConfidential2, target.RoleSpecial} {
		if cl, _ := c.Env.Target.Client(role); cl != nil && cl.Secret != "" {
			return cl
		}
	}
	c.Skipf("the config names no confidential client with a secret (clients.confidential)")
	return nil
}

// RFC 6749 §4.4.2: "The client MUST authenticate with the authorization
// server as described in Section 3.2.1."
var _ = check.It("CC-CLIENT-AUTH-REQUIRED", func(c *check.C) {
	cl, _ := steps.CCClient(c)
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
		t := steps.ParseToken(c, steps.Token(c, try.client, steps.CCForm(), try.auth))
		switch e := t.OAuthError(); {
		case t.Issued():
			c.Fail("RFC 6749 §4.4.2", "client_credentials with %s for %s got a token", try.name, cl.ID)
		case e == "invalid_client" && (try.auth != steps.AuthBasic || t.Status == http.StatusUnauthorized):
			c.Pass("%s: invalid_client (%d)", try.name, t.Status)
		case steps.Untelling(t.Status):
			steps.MustTell(c, t.Response, "client_credentials with "+try.name)
		default:
			c.Warn("RFC 6749 §5.2", "%s: refused with %s, not invalid_client", try.name, steps.Describe(t.Response))
		}
	}
}, check.Control("cc-no-client-auth", check.Fail), check.Quirk("cc-not-for-confidential", check.Pass))

// RFC 6749 §4.4: "The client credentials grant type MUST only be used by
// confidential clients."
var _ = check.It("CC-PUBLIC-CLIENT-REJECTED", func(c *check.C) {
	pub := steps.Client(c, target.RolePublic)
	t := steps.ParseToken(c, steps.Token(c, pub, steps.CCForm(), steps.AuthNone))
	switch e := t.OAuthError(); {
	case t.Issued():
		c.Fail("RFC 6749 §4.4", "the public client %s got a client_credentials token without a secret", pub.ID)
	case e == "unauthorized_client" || e == "invalid_client":
		c.Pass("the public client %s was refused with %s", pub.ID, e)
	case e == "unsupported_grant_type":
		c.Skipf("the server answered unsupported_grant_type to client_credentials (%s)", steps.Describe(t.Response))
	default:
		c.Warn("RFC 6749 §5.2", "the public client %s was refused with %s, not unauthorized_client or invalid_client", pub.ID, steps.Describe(t.Response))
	}
}, check.Control("cc-public-client", check.Fail))

// RFC 6749 §4.4.3: "A refresh token SHOULD NOT be included."
var _ = check.It("CC-NO-REFRESH-TOKEN", func(c *check.C) {
	cl, t := steps.CCClient(c)
	if t.RefreshToken != "" {
		c.Warn("RFC 6749 §4.4.3", "the client_credentials response to %s includes a refresh token", cl.ID)
		return
	}
	c.Pass("the client_credentials response to %s has no refresh token", cl.ID)
}, check.Control("cc-refresh-token", check.Warn), check.Quirk("cc-not-for-confidential", check.Pass))

// RFC 6749 §2.3.1: the server "MUST support the HTTP Basic authentication
// scheme"; OAuth 2.1 §2.4.1 makes client_secret_post the one to support.
// Each method is tried with a client the config registers for it where
// there is one: a server may hold a client to its registered method
// (RFC 7591 §2).
var _ = check.It("CLIENTAUTH-METHODS-SUPPORTED", func(c *check.C) {
	required, ref := "client_secret_basic", "RFC 6749 §2.3.1"
	if c.Env.Profile >= check.OAuth21 {
		required, ref = "client_secret_post", "OAuth 2.1 §2.4.1"
	}
	fallback := secretClient(c)
	probes := map[string]*steps.AuthProbe{}
	type outcome struct {
		client     *target.Client
		registered bool
		result     steps.AuthResult
		answer     string
	}
	got := map[string]outcome{}
	for _, m := range []struct {
		name string
		auth steps.Auth
	}{{"client_secret_basic", steps.AuthBasic}, {"client_secret_post", steps.AuthPost}} {
		o := outcome{client: steps.ConfiguredFor(c, m.name), registered: true}
		if o.client == nil || o.client.Secret == "" {
			o.client, o.registered = fallback, false
		}
		p := probes[o.client.ID]
		if p == nil {
			p = steps.NewAuthProbe(c, o.client)
			probes[o.client.ID] = p
		}
		c.Note("authenticate %s with %s (%s)", o.client.ID, m.name, p.What())
		t := p.Send(c, o.client, m.auth)
		o.result, o.answer = p.Judge(t), steps.Describe(t.Response)
		got[m.name] = o
	}
	req, other := got[required], got["client_secret_post"]
	otherName := "client_secret_post"
	if required == otherName {
		other, otherName = got["client_secret_basic"], "client_secret_basic"
	}
	if req.result == steps.AuthRefused && other.result == steps.AuthRefused && req.client == other.client {
		c.Fatalf("neither client_secret_basic (%s) nor client_secret_post (%s) authenticated %s: check its id and secret in the config", req.answer, other.answer, req.client.ID)
	}
	switch other.result {
	case steps.AuthAccepted:
		c.Info("%s authenticated %s too", otherName, other.client.ID)
	default:
		c.Info("%s did not authenticate %s (%s): %s", otherName, other.client.ID, other.result, other.answer)
	}
	switch {
	case req.result == steps.AuthAccepted:
		c.Pass("%s, which the %s profile requires, authenticated %s (%s)", required, c.Env.Profile, req.client.ID, req.answer)
	case req.result == steps.AuthUnknown:
		c.Fatalf("the answer to %s with %s does not show whether it authenticated: %s", req.client.ID, required, req.answer)
	case !req.registered:
		c.Info("%s refused %s, but the config registers %s for %s, and RFC 7591 §2 lets a server hold a client to its registered method; no client registered for %s to try: %s",
			required, req.client.ID, req.client.ID, otherName, required, req.answer)
	default:
		c.Fail(ref, "%s, which the %s profile requires, did not authenticate %s, registered for it: %s", required, c.Env.Profile, req.client.ID, req.answer)
	}
}, check.Control("no-basic-auth", check.Fail), check.Quirk("cc-not-for-confidential", check.Pass))

// RFC 6749 §2.3.1: the client identifier and password are "encoded using
// the application/x-www-form-urlencoded encoding algorithm" before Basic
// (Appendix B), so a server decodes them the same way: %XX, and + as a
// space.
var _ = check.It("CLIENTAUTH-BASIC-FORM-ENCODING", func(c *check.C) {
	cl := secretClient(c)
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
	}
	send := func(p *steps.AuthProbe, header string) (*steps.TokenResponse, steps.AuthResult) {
		resp, err := c.HTTP.PostForm(c, steps.Endpoint(c, "token_endpoint", steps.Metadata(c).TokenEndpoint), p.Form.Encode(), http.Header{"Authorization": {header}})
		c.Require(err, "POST the token endpoint")
		t := steps.ParseToken(c, resp)
		return t, p.Judge(t)
	}
	if sp, _ := c.Env.Target.Client(target.RoleSpecial); sp != nil && sp.Secret != "" {
		p := steps.NewAuthProbe(c, sp)
		c.Note("(a) a secret with reserved characters, form-encoded (%s)", p.What())
		t, res := send(p, steps.BasicHeader(sp.ID, sp.Secret))
		space := strings.Contains(sp.Secret, " ")
		switch res {
		case steps.AuthAccepted:
			c.Pass("(a) %s's secret with reserved characters authenticated form-encoded in Basic (%s)", sp.ID, steps.Describe(t.Response))
			if space {
				c.Pass("(c) the + that form-encodes the space in the secret was decoded to a space")
			}
		case steps.AuthRefused:
			plus := false
			if space {
				c.Note("(c) the same secret with its space as %%20 instead of +")
				pct := strings.ReplaceAll(url.QueryEscape(sp.Secret), "+", "%20")
				_, r20 := send(p, basic(url.QueryEscape(sp.ID), pct))
				plus = r20 == steps.AuthAccepted
			}
			if plus {
				c.Fail("RFC 6749 §2.3.1", "(c) %s's secret authenticated with its space sent as %%20, but not as +, its form-encoding: the server does not decode + to a space (RFC 6749 Appendix B): %s", sp.ID, steps.Describe(t.Response))
			} else {
				c.Fail("RFC 6749 §2.3.1", "(a) the form-encoded Basic credentials of %s were refused: %s", sp.ID, steps.Describe(t.Response))
			}
		default:
			c.Info("(a) the answer does not show whether %s's form-encoded Basic credentials authenticated: %s", sp.ID, steps.Describe(t.Response))
		}
		c.Note("(a) the same secret sent raw, not form-encoded")
		if _, raw := send(p, basic(sp.ID, sp.Secret)); raw == steps.AuthAccepted {
			c.Info("(a) the raw, unencoded secret authenticated too (lenient)")
		}
	} else {
		c.Info("the config names no special client with reserved characters in its secret: parts (a) and (c) not tested")
	}
	p := steps.NewAuthProbe(c, cl)
	id := encodeOne(cl.ID)
	c.Note("(b) a percent-encoded unreserved character in the client_id (%s)", p.What())
	t, res := send(p, basic(id, url.QueryEscape(cl.Secret)))
	switch res {
	case steps.AuthAccepted:
		c.Pass("(b) a client_id of %s was form-decoded to %s", id, cl.ID)
	case steps.AuthRefused:
		c.Warn("RFC 6749 §2.3.1", "(b) the client_id %s was not form-decoded to %s: %s", id, cl.ID, steps.Describe(t.Response))
	default:
		c.Info("(b) the answer does not show whether the client_id %s authenticated: %s", id, steps.Describe(t.Response))
	}
}, check.Control("basic-no-form-decoding", check.Fail), check.Quirk("cc-not-for-confidential", check.Pass))

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
// request URI". An error answer alone does not show that they were not
// accepted: the answer to the right secret is set against the answer to a
// wrong one.
var _ = check.It("CLIENTAUTH-NO-SECRET-IN-URI", func(c *check.C) {
	cl := secretClient(c)
	p := steps.NewAuthProbe(c, cl)
	tokenURL := steps.Endpoint(c, "token_endpoint", steps.Metadata(c).TokenEndpoint)
	send := func(secret string) *steps.TokenResponse {
		q := url.Values{"client_id": {cl.ID}, "client_secret": {secret}}
		u := tokenURL + "?" + q.Encode()
		if strings.Contains(tokenURL, "?") {
			u = tokenURL + "&" + q.Encode()
		}
		resp, err := c.HTTP.PostForm(c, u, p.Form.Encode(), nil)
		c.Require(err, "POST the token endpoint")
		steps.MustTell(c, resp, p.What())
		return steps.ParseToken(c, resp)
	}
	c.Note("%s with client_id and client_secret in the request URI, and no other client authentication", p.What())
	right := send(cl.Secret)
	switch {
	case right.Issued():
		c.Fail("RFC 6749 §2.3.1", "%s with %s's credentials in the request URI got a token", p.What(), cl.ID)
		return
	case steps.AuthFailed(right):
		c.Pass("%s's credentials in the request URI were not accepted: %s", cl.ID, steps.Describe(right.Response))
		return
	}
	c.Note("the same with a wrong secret in the request URI")
	wrong := send("oauthcheck-wrong-" + steps.Random(8))
	switch {
	case right.Status == wrong.Status && right.OAuthError() == wrong.OAuthError():
		c.Pass("%s's credentials in the request URI made no difference: the right and a wrong secret both got %s", cl.ID, steps.Describe(right.Response))
	case steps.AuthFailed(wrong):
		c.Fail("RFC 6749 §2.3.1", "the server authenticated %s from credentials in the request URI: with its secret there %s got %s, with a wrong one %s",
			cl.ID, p.What(), steps.Describe(right.Response), steps.Describe(wrong.Response))
	default:
		c.Info("the answers do not show whether credentials in the request URI were accepted: the right secret got %s, a wrong one %s",
			steps.Describe(right.Response), steps.Describe(wrong.Response))
	}
}, check.Control("secret-in-uri", check.Fail), check.Quirk("cc-not-for-confidential", check.Pass))

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
	odd := 0
	for i := 1; i <= 50; i++ {
		start := time.Now()
		r := steps.Post(c, tokenURL, throwaway, steps.CCForm(), steps.AuthBasic)
		took := time.Since(start)
		switch {
		case r.Status == http.StatusTooManyRequests:
			c.Pass("after %d wrong secrets the server throttled: %s", i, steps.Describe(r))
			return
		case r.Status == http.StatusForbidden:
			c.Pass("after %d wrong secrets the server locked the client out: 403 %q", i, r.Header.Get("Content-Type"))
			return
		case r.Status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") != "":
			c.Pass("after %d wrong secrets the server answered 503 with Retry-After: %s", i, r.Header.Get("Retry-After"))
			return
		case steps.ParseToken(c, r).Issued():
			c.Fail("RFC 6749 §2.3.1", "a wrong secret for the throwaway client %s got a token (attempt %d)", id, i)
			return
		case r.Status != http.StatusUnauthorized && r.Status != http.StatusBadRequest:
			if odd == 0 {
				c.Info("wrong secret %d was answered %s, which is neither a refusal of the secret nor throttling", i, steps.Describe(r))
			}
			odd++
		}
		switch {
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
	c.Warn("RFC 6749 §10.10", "50 wrong secrets in a row were each answered at once (first 5: %s, last 5: %s), with no 429, lockout or slowing down", first, last)
}, check.Intrusive, check.Control("no-client-auth-throttle", check.Warn), check.Quirk("lockout-403", check.Pass), check.Alone, check.Last)
