package authcode

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// variants are redirect URIs that differ from the registered one in ways
// that naive matching lets through (RFC 9700 §4.1.3).
func variants(registered string) []struct{ name, uri string } {
	u, err := url.Parse(registered)
	if err != nil {
		return nil
	}
	with := func(f func(v *url.URL)) string { v := *u; f(&v); return v.String() }
	host := u.Hostname()
	port := u.Port()
	hostport := func(h string) string {
		if port != "" {
			return h + ":" + port
		}
		return h
	}
	out := []struct{ name, uri string }{
		{"extra query", with(func(v *url.URL) { v.RawQuery = addQuery(v.RawQuery, "x=1") })},
		{"injected code", with(func(v *url.URL) { v.RawQuery = addQuery(v.RawQuery, "code=attacker") })},
		{"extra path", strings.TrimSuffix(registered, "/") + "/x"},
		{"encoded traversal", strings.TrimSuffix(registered, "/") + "/..%2Fx"},
		{"dot segments", strings.TrimSuffix(registered, "/") + "/%2e%2e/x"},
		{"path parameter", registered + ";x"},
		{"double encoding", strings.TrimSuffix(registered, "/") + "/%252e%252e%252fx"},
		{"trailing slash", registered + "/"},
		{"host case", with(func(v *url.URL) { v.Host = hostport(strings.ToUpper(host)) })},
		{"path case", with(func(v *url.URL) { v.Path = strings.ToUpper(v.Path) })},
		{"subdomain", with(func(v *url.URL) { v.Host = hostport("evil." + host) })},
		{"host suffix", with(func(v *url.URL) { v.Host = hostport(host + ".evil.oauthcheck.test") })},
		// Raw: url.URL would escape the @ and send a harmless name.
		{"userinfo", u.Scheme + "://" + hostport(host) + "@evil.oauthcheck.test" + u.EscapedPath()},
		{"fragment", registered + "#frag"},
	}
	if !steps.LoopbackHTTP(registered) {
		// RFC 8252 §7.3 lets loopback redirect URIs take any port.
		out = append(out, struct{ name, uri string }{"other port", with(func(v *url.URL) { v.Host = host + ":8443" })})
	}
	if u.Scheme == "https" {
		out = append(out, struct{ name, uri string }{"http scheme", with(func(v *url.URL) { v.Scheme = "http" })})
	}
	// A variant that is the registered URI itself (the case of an IP
	// literal, say) is no variant.
	return slices.DeleteFunc(out, func(v struct{ name, uri string }) bool { return v.uri == registered })
}

func addQuery(q, kv string) string {
	if q == "" {
		return kv
	}
	return q + "&" + kv
}

// responseParams are what a server adds to a redirect URI; the rest is the
// URI it redirected to.
var responseParams = []string{"code", "state", "iss", "error", "error_description", "error_uri", "session_state"}

// base strips the authorization response from a URL: what remains is the
// redirect URI the server used.
func base(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for _, p := range responseParams {
		q.Del(p)
	}
	u.RawQuery = q.Encode()
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// RFC 9700 §4.1.3: "Authorization servers MUST utilize exact string
// matching"; RFC 6749 §3.1.2.4: the server "MUST NOT automatically
// redirect the user-agent to the invalid redirection URI".
var _ = check.It("AUTHCODE-REDIRECT-EXACT-MATCH", func(c *check.C) {
	registered := c.Env.Target.Config.RedirectURI
	accepted := 0
	for _, v := range variants(registered) {
		r := steps.NewAuthRequest(c, target.RoleConfidential)
		r.RedirectURI = v.uri
		authURL := r.URL(c)
		// Plain HTTP first, without a session: most servers refuse at once.
		c.Note("redirect_uri variant %q: %s", v.name, v.uri)
		resp, err := c.HTTP.Get(c, authURL, nil)
		c.Require(err, "GET the authorization endpoint")
		if loc := resp.Header.Get("Location"); resp.Status >= 300 && resp.Status < 400 && loc != "" {
			if strings.HasPrefix(steps.Origin(loc)+"/", steps.Origin(v.uri)+"/") && (strings.Contains(loc, "code=") || strings.Contains(loc, "error=")) {
				accepted += judge(c, v.name, v.uri, registered, loc)
				continue
			}
		}
		if resp.Status >= 400 {
			continue // refused before login
		}
		// The server may check after login: try it in the browser.
		a := steps.Try(c, r, false, steps.Origin(v.uri)+"/")
		if a.Callback != nil && (a.Param("code") != "" || a.Param("error") != "") {
			accepted += judge(c, v.name, v.uri, registered, a.Callback.URL.String())
		}
	}
	if accepted == 0 {
		c.Pass("none of %d redirect_uri variants of %s was redirected to", len(variants(registered)), registered)
	}
}, check.Control("redirect-prefix-match", check.Fail), check.Quirk("redirect-loopback-ip", check.Pass))

// judge records where the server sent the browser for a variant: a code
// or an error at a URI other than the registered one is a FAIL, and so is
// a delivery that carries the variant's own query or fragment (an
// injected code=, a #frag the redirect URI may not have, RFC 6749
// §3.1.2); a code at the registered URI means the variant was accepted
// (WARN); an error at the registered URI is only noted.
func judge(c *check.C, name, variant, registered, got string) int {
	u, _ := url.Parse(got)
	frag, _ := url.ParseQuery(u.EscapedFragment())
	hasCode := u.Query().Get("code") != "" || frag.Get("code") != ""
	injected := len(u.Query()["code"]) > 1 || u.Query().Get("code") == "attacker" || frag.Has("frag") || strings.HasSuffix(got, "#frag")
	switch {
	case base(got) != registered || injected:
		c.Fail("RFC 9700 §4.1.3; RFC 6749 §4.1.2.1", "redirect_uri variant %q (%s) was accepted: the server redirected to %s", name, variant, got)
	case hasCode:
		c.Warn("RFC 9700 §4.1.3", "redirect_uri variant %q (%s) was accepted, though the code went to the registered URI", name, variant)
	default:
		c.Info("redirect_uri variant %q was refused with an error sent to the registered URI", name)
		return 0
	}
	return 1
}

// RFC 9700 §2.6 and §4.1.3: no http redirect URIs but for loopback; RFC
// 8252 §7.3: any port for a loopback URI; OAuth 2.1 §2.3.2: redirect_uri
// is required when a client has several.
var _ = check.It("AUTHCODE-REDIRECT-REGISTRATION-RULES", func(c *check.C) {
	reg := steps.Endpoint(c, "registration_endpoint", steps.Metadata(c).RegistrationEndpoint)
	// appType is the client's application_type (OpenID Connect Dynamic
	// Registration): "native" for a loopback redirect URI, which RFC 8252
	// §7.3 gives native apps; "" registers the default, a web client.
	register := func(appType string, uris ...string) (*target.Client, int, string) {
		meta := map[string]any{
			"redirect_uris": uris, "grant_types": []string{"authorization_code"},
			"response_types": []string{"code"}, "token_endpoint_auth_method": "none", "client_name": "oauthcheck rules",
		}
		if appType != "" {
			meta["application_type"] = appType
		}
		body, _ := json.Marshal(meta)
		req, _ := http.NewRequestWithContext(c, http.MethodPost, reg, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.HTTP.Do(c, req)
		c.Require(err, "POST the registration endpoint")
		if resp.Status != http.StatusCreated && resp.Status != http.StatusOK {
			return nil, resp.Status, resp.OAuthError()
		}
		return &target.Client{ID: resp.Field("client_id")}, resp.Status, ""
	}
	// A registration endpoint may want an initial access token, or refuse
	// public clients: only one that registers a plain client can show
	// what it refuses.
	c.Note("register a client with an https redirect URI, which any registration endpoint takes")
	if cl, status, e := register("", "https://client.oauthcheck.test/cb"); cl == nil {
		if steps.Untelling(status) {
			c.Fatalf("the registration endpoint answered %d %s: rate limited, or a gateway's or an overloaded server's answer", status, e)
		}
		c.Skipf("the registration endpoint did not register a public client with an https redirect URI (%d %s): it may want an initial access token, so its rules cannot be seen", status, e)
	}

	c.Note("(a) register an http redirect URI on a host that is not loopback")
	switch cl, status, e := register("", "http://client.oauthcheck.test/cb"); {
	case cl != nil:
		c.Fail("RFC 9700 §2.6", "a client with the http redirect URI http://client.oauthcheck.test/cb was registered")
	case steps.Untelling(status) || status >= http.StatusInternalServerError:
		c.Fatalf("(a) the registration was answered %d %s, which is no refusal of the redirect URI", status, e)
	default:
		c.Pass("an http redirect URI on a non-loopback host was refused (%d %s)", status, e)
	}

	c.Note("(b) any port for a loopback redirect URI of a native client")
	if lb, status, e := register("native", "http://127.0.0.1/cb"); lb == nil {
		c.Info("registering the loopback redirect URI http://127.0.0.1/cb failed (%d %s)", status, e)
	} else {
		r := steps.NewAuthRequest(c, target.RolePublic)
		r.Client = lb
		r.RedirectURI = "http://127.0.0.1:49152/cb"
		a := steps.Try(c, r, false)
		switch cb := a.Callback; {
		case cb == nil:
			c.Fail("RFC 8252 §7.3", "authorizing with http://127.0.0.1:49152/cb for a client registered with http://127.0.0.1/cb gave no code: %s", a.Describe())
		case cb.Param("code") == "":
			c.Fail("RFC 8252 §7.3", "a loopback redirect URI with another port was refused: error=%s", cb.Param("error"))
		default:
			c.Pass("a loopback redirect URI with any port was accepted")
		}
	}

	c.Note("(c) no redirect_uri for a client with two")
	if two, status, e := register("", "https://client.oauthcheck.test/one", "https://client.oauthcheck.test/two"); two == nil {
		c.Info("registering a client with two redirect URIs failed (%d %s)", status, e)
	} else {
		r := steps.NewAuthRequest(c, target.RolePublic)
		r.Client = two
		r.RedirectURI = "https://client.oauthcheck.test/one"
		r.Omit = []string{"redirect_uri"}
		if a := steps.Try(c, r, false, "https://client.oauthcheck.test/two"); a.Callback != nil {
			c.Violation(check.OAuth21, "OAuth 2.1 §2.3.2", "with two redirect URIs registered and none sent, the server redirected to %s", base(a.Callback.URL.String()))
		} else {
			c.Pass("without redirect_uri, a client with two registered URIs got an error page (%s)", a.Describe())
		}
	}
}, check.Control("registration-lax", check.Fail))
