package reference_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/reference"
)

// fuzzConfig is DefaultConfig with fixed secrets, so that seeds can hold
// good credentials, and a native client with a loopback redirect URI.
func fuzzConfig() reference.Config {
	cfg := reference.DefaultConfig()
	for i := range cfg.Clients {
		if !cfg.Clients[i].Public() {
			cfg.Clients[i].Secret = "secret-" + cfg.Clients[i].ID
		}
	}
	cfg.Clients = append(cfg.Clients, reference.Client{ID: "native", RedirectURIs: []string{"http://127.0.0.1/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token"}})
	return cfg
}

// fuzzServer is a reference server for a fuzz target: its issuer is set,
// and requests go straight to its handler through httptest.NewRecorder.
func fuzzServer(f testing.TB, cfg reference.Config) *reference.Server {
	f.Helper()
	cfg.Issuer = "http://127.0.0.1:9443"
	srv, err := reference.New(cfg, reference.WithSigningKey(signingKey(f)))
	if err != nil {
		f.Fatal(err)
	}
	return srv
}

// oauthErrors are the error codes of RFC 6749 §5.2, RFC 8628 §3.5 and
// RFC 7591 §3.2.2 that the server may answer.
var oauthErrors = []string{"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "invalid_scope", "authorization_pending", "slow_down", "access_denied",
	"expired_token", "invalid_redirect_uri", "invalid_client_metadata"}

// FuzzTokenForm fuzzes the token endpoint with any body, content type and
// Authorization header, through the real handler.
//
// Invariants: it never panics and never answers 5xx; every answer is a
// JSON object with Cache-Control: no-store; a 200 holds access_token and
// token_type; anything else holds an error code of RFC 6749 §5.2 or RFC
// 8628 §3.5.
func FuzzTokenForm(f *testing.F) {
	srv := fuzzServer(f, fuzzConfig())
	form := "application/x-www-form-urlencoded"
	basicA := "Basic " + "b2F1dGhjaGVjay1hOnNlY3JldC1vYXV0aGNoZWNrLWE=" // oauthcheck-a:secret-oauthcheck-a
	f.Add("grant_type=client_credentials", form, basicA)
	f.Add("grant_type=client_credentials&scope=api+email", form, basicA)
	f.Add("grant_type=client_credentials&client_id=oauthcheck-a&client_secret=secret-oauthcheck-a", form, "")
	f.Add("grant_type=authorization_code&code=x&redirect_uri=https%3A%2F%2Fclient.oauthcheck.test%2Fcb&code_verifier="+strings.Repeat("v", 43), form, basicA)
	f.Add("grant_type=refresh_token&refresh_token=x&scope=openid", form, basicA)
	f.Add("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=x&client_id=oauthcheck-d", form, "")
	f.Add("grant_type=password&username=alice&password=x", form, basicA)
	f.Add("grant_type=client_credentials&grant_type=client_credentials", form+"; charset=utf-8", basicA)
	f.Add("grant_type=%zz", form, "Basic %%%")
	f.Add(`{"grant_type":"client_credentials"}`, "application/json", basicA)
	f.Add("", "", "Bearer x")
	f.Add("grant_type=client_credentials", form, "Basic Og==")
	f.Fuzz(func(t *testing.T, body, contentType, authorization string) {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q, type %q, auth %q: %s", rec.Code, body, contentType, authorization, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("Content-Type %q; want JSON (body %q)", ct, body)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("Cache-Control %q; want no-store", rec.Header().Get("Cache-Control"))
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("body is not a JSON object: %v\n%s", err, rec.Body)
		}
		if rec.Code == http.StatusOK {
			if m["access_token"] == nil || m["token_type"] == nil {
				t.Fatalf("200 without access_token and token_type: %v", m)
			}
			return
		}
		if code, _ := m["error"].(string); !slices.Contains(oauthErrors, code) {
			t.Fatalf("status %d with error %q; want a registered error code", rec.Code, code)
		}
	})
}

// registeredRedirect reports whether u is a redirect URI registered for c:
// the same string, or a loopback URI but for the port (RFC 8252 §7.3).
func registeredRedirect(c reference.Client, u *url.URL) bool {
	got := *u
	got.RawQuery, got.Fragment, got.RawFragment = "", "", ""
	for _, reg := range c.RedirectURIs {
		ru, err := url.Parse(reg)
		if err != nil {
			continue
		}
		if got.String() == reg {
			return true
		}
		ip := net.ParseIP(ru.Hostname())
		if ru.Scheme == "http" && got.Scheme == "http" && ip != nil && ip.IsLoopback() &&
			got.Hostname() == ru.Hostname() && got.Path == ru.Path && got.User == nil {
			return true
		}
	}
	return false
}

// FuzzAuthorize fuzzes the authorization endpoint's query, with and
// without a logged-in session, through the real handler.
//
// Invariants: it never panics and never answers 5xx; a redirect goes only
// to a redirect URI registered for the request's client_id (RFC 6749
// §4.1.2.1: never for an unknown client or an unregistered URI), and it
// carries iss (RFC 9207); anything else is a page of the server.
func FuzzAuthorize(f *testing.F) {
	cfg := fuzzConfig()
	srv := fuzzServer(f, cfg)
	// A session cookie: log in once over a real listener.
	ts := httptest.NewServer(srv)
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	b := &browser{e: &env{srv: srv, url: ts.URL, user: cfg.Users[0]}, client: httpClient(jar)}
	page := b.get(f, "/login")
	b.login(f, page, cfg.Users[0].Password)
	var cookie string
	for _, c := range jar.Cookies(mustParse(f, ts.URL)) {
		cookie += c.Name + "=" + c.Value + "; "
	}
	clients := map[string]reference.Client{}
	for _, c := range srv.Config().Clients {
		clients[c.ID] = c
	}
	good := url.Values{"response_type": {"code"}, "client_id": {"oauthcheck-p"}, "redirect_uri": {reference.DefaultRedirectURI},
		"scope": {"openid profile"}, "state": {"s"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
		"code_challenge_method": {"S256"}}
	f.Add(good.Encode(), true)
	f.Add(good.Encode(), false)
	f.Add(good.Encode()+"&prompt=none", false)
	f.Add(good.Encode()+"&scope=nope", true)
	f.Add(good.Encode()+"&state=again", true)
	f.Add("response_type=code&client_id=native&redirect_uri=http%3A%2F%2F127.0.0.1%3A4444%2Fcb&scope=x", true)
	f.Add("response_type=code&client_id=native&redirect_uri=http%3A%2F%2F127.0.0.2%3A4444%2Fcb", true)
	f.Add("response_type=token&client_id=oauthcheck-p&response_mode=query", true)
	f.Add("response_type=code&client_id=nobody&redirect_uri=https%3A%2F%2Fattacker.example%2F", false)
	f.Add("response_type=code&client_id=oauthcheck-p&redirect_uri=https%3A%2F%2Fclient.oauthcheck.test%2Fcb%2F..%2Fx", true)
	f.Add("%zz&=&&;", true)
	f.Fuzz(func(t *testing.T, query string, session bool) {
		req := httptest.NewRequest(http.MethodGet, "/authorize", nil)
		req.URL.RawQuery = query
		if session {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, query, rec.Body)
		}
		loc := rec.Header().Get("Location")
		if rec.Code < 300 || rec.Code >= 400 {
			if loc != "" {
				t.Fatalf("status %d with Location %q", rec.Code, loc)
			}
			return
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatalf("Location %q does not parse: %v", loc, err)
		}
		q, _ := url.ParseQuery(query)
		c, known := clients[q.Get("client_id")]
		if !known || len(q["client_id"]) != 1 || !registeredRedirect(c, u) {
			t.Fatalf("redirect to %q for %q: not a redirect URI registered for the client", loc, query)
		}
		params := u.Query()
		if u.Fragment != "" {
			params, _ = url.ParseQuery(u.Fragment)
		}
		if params.Get("iss") != srv.Issuer() {
			t.Fatalf("redirect %q without iss", loc)
		}
	})
}

func mustParse(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// obeysRegistrationRules states the rules of redirect URIs at registration
// on its own: absolute, without fragment, https, or http on a loopback
// host (RFC 9700 §2.6, RFC 8252 §7.3, §8.3).
func obeysRegistrationRules(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || strings.Contains(raw, "#") {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return u.Scheme == "http" && (u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()))
}

// FuzzRegister fuzzes dynamic client registration with any JSON body, on a
// fresh server each time.
//
// Invariants: it never panics and never answers 5xx; every answer is a
// JSON object; a 201 registers a client whose redirect and post-logout
// redirect URIs obey the registration rules, that has a redirect URI when
// it may use the code grant, a secret unless its method is none, and no
// client_credentials without a secret; a refusal is 400 with an error code
// of RFC 7591 §3.2.2 or invalid_request.
func FuzzRegister(f *testing.F) {
	cfg := fuzzConfig()
	f.Add(`{"redirect_uris":["https://app.example/cb"],"grant_types":["authorization_code","refresh_token"]}`)
	f.Add(`{"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}`)
	f.Add(`{"redirect_uris":["http://localhost:8765/cb"],"post_logout_redirect_uris":["https://app.example/bye"],"token_endpoint_auth_method":"none"}`)
	f.Add(`{"redirect_uris":["http://app.example/cb"]}`)
	f.Add(`{"redirect_uris":["https://app.example/cb#x"]}`)
	f.Add(`{"redirect_uris":["javascript:alert(1)"]}`)
	f.Add(`{"grant_types":["client_credentials"],"token_endpoint_auth_method":"none"}`)
	f.Add(`{"grant_types":["client_credentials"],"scope":"api email","client_name":"svc"}`)
	f.Add(`{"grant_types":["password"]}`)
	f.Add(`{"redirect_uris":"https://app.example/cb"}`)
	f.Add(`{"redirect_uris":["http://[::1]:1/cb"],"response_types":["code","token"]}`)
	f.Add(`[]`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, body string) {
		srv := fuzzServer(t, cfg)
		req := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		var m struct {
			Error        string   `json:"error"`
			ClientID     string   `json:"client_id"`
			Secret       string   `json:"client_secret"`
			Redirects    []string `json:"redirect_uris"`
			PostLogout   []string `json:"post_logout_redirect_uris"`
			GrantTypes   []string `json:"grant_types"`
			AuthMethod   string   `json:"token_endpoint_auth_method"`
			ResponseType []string `json:"response_types"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("body is not a JSON object: %v\n%s", err, rec.Body)
		}
		if rec.Code != http.StatusCreated {
			if rec.Code != http.StatusBadRequest || !slices.Contains(oauthErrors, m.Error) {
				t.Fatalf("status %d error %q for %q; want 201, or 400 with a registration error", rec.Code, m.Error, body)
			}
			return
		}
		for _, u := range append(slices.Clone(m.Redirects), m.PostLogout...) {
			if !obeysRegistrationRules(u) {
				t.Fatalf("registered %q for %q: breaks the registration rules", u, body)
			}
		}
		if slices.Contains(m.GrantTypes, "authorization_code") && len(m.Redirects) == 0 {
			t.Fatalf("a code-grant client without a redirect URI: %q", body)
		}
		if (m.AuthMethod == "none") != (m.Secret == "") {
			t.Fatalf("method %q with secret %v: %q", m.AuthMethod, m.Secret != "", body)
		}
		if m.Secret == "" && slices.Contains(m.GrantTypes, "client_credentials") {
			t.Fatalf("a public client with client_credentials: %q", body)
		}
		// The client the server now holds is the one it answered with.
		if m.ClientID == "" {
			t.Fatalf("no client_id: %s", rec.Body)
		}
	})
}
