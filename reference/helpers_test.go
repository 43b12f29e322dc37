package reference_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/reference"
)

// The one RSA key of the test binary: generating a 2048-bit key costs more
// than most tests, so every server shares this one.
var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
	keyErr  error
)

func signingKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() { testKey, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if keyErr != nil {
		t.Fatalf("generate the test signing key: %v", keyErr)
	}
	return testKey
}

// fakeClock is the clock every test server reads. It moves only when a test
// advances it, so expiry and polling intervals are tested without sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is one reference server listening on a loopback port.
type env struct {
	srv   *reference.Server
	url   string // the issuer
	cfg   reference.Config
	clock *fakeClock
	user  reference.User
	// redirect is the redirect URI of the default clients; scope is what
	// a good authorization request asks for; ccRole is the role that gets
	// client_credentials tokens. Quirks change them.
	redirect, scope, ccRole string
}

// start runs a server with [reference.DefaultConfig] changed by edit (which
// may be nil) and the options given; the shared signing key and a fake clock
// come first, so opts may override them.
func start(t testing.TB, edit func(*reference.Config), opts ...reference.Option) *env {
	t.Helper()
	cfg := reference.DefaultConfig()
	if edit != nil {
		edit(&cfg)
	}
	clock := &fakeClock{now: time.Now().Truncate(time.Second)}
	all := append([]reference.Option{reference.WithSigningKey(signingKey(t)), reference.WithClock(clock.Now)}, opts...)
	srv, err := reference.New(cfg, all...)
	if err != nil {
		t.Fatalf("reference.New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	if err := srv.SetIssuer(ts.URL); err != nil {
		t.Fatalf("SetIssuer(%q): %v", ts.URL, err)
	}
	e := &env{srv: srv, url: ts.URL, cfg: srv.Config(), clock: clock, user: cfg.Users[0],
		redirect: reference.DefaultRedirectURI, scope: "openid profile", ccRole: reference.RoleConfidential}
	for _, q := range srv.Quirks() {
		switch q {
		case reference.QuirkLoopbackRedirect:
			e.redirect = reference.LoopbackRedirectURI
		case reference.QuirkRefreshOfflineAccess:
			e.scope += " " + reference.ScopeOfflineAccess
		case reference.QuirkCCNotForConfidential:
			e.ccRole = reference.RoleConfidential2
		}
	}
	return e
}

// startQuirk runs a default server with the quirks named.
func startQuirk(t testing.TB, quirks ...reference.Quirk) *env {
	t.Helper()
	var names []string
	for _, q := range quirks {
		names = append(names, string(q))
	}
	return start(t, nil, reference.WithQuirk(names...))
}

// startWeak runs a default server with the weaknesses named.
func startWeak(t testing.TB, weak ...reference.Weakness) *env {
	t.Helper()
	var names []string
	for _, w := range weak {
		names = append(names, string(w))
	}
	return start(t, nil, reference.WithWeakness(names...))
}

// client returns the client of a role of the oauthcheck config file, or a
// client id of the configuration.
func (e *env) client(t testing.TB, role string) reference.Client {
	t.Helper()
	id := role
	if v, ok := reference.ClientRoles[role]; ok {
		id = v
	}
	for _, c := range e.cfg.Clients {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no client for role %q", role)
	return reference.Client{}
}

// oauth2Config is the x/oauth2 client of a role: Basic authentication for
// confidential clients, client_id in the body for public ones.
func (e *env) oauth2Config(t testing.TB, role string, scopes ...string) *oauth2.Config {
	t.Helper()
	c := e.client(t, role)
	style := oauth2.AuthStyleInHeader
	if c.Public() {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID:     c.ID,
		ClientSecret: c.Secret,
		Endpoint: oauth2.Endpoint{
			AuthURL:       e.url + "/authorize",
			TokenURL:      e.url + "/token",
			DeviceAuthURL: e.url + "/device_authorization",
			AuthStyle:     style,
		},
		RedirectURL: e.redirect,
		Scopes:      scopes,
	}
}

// response is one HTTP exchange, read in full.
type response struct {
	req    *http.Request
	Status int
	Header http.Header
	Body   []byte
}

func readResponse(t testing.TB, resp *http.Response) *response {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the body of %s %s: %v", resp.Request.Method, resp.Request.URL, err)
	}
	return &response{req: resp.Request, Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// JSON decodes the body as a JSON object.
func (r *response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v\n%s", r.req.Method, r.req.URL, err, r.Body)
	}
	return m
}

// Error is the error member of a JSON error body, or "".
func (r *response) Error() string {
	var m struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &m)
	return m.Error
}

// Location resolves the Location header against the request URL; nil if
// there is none.
func (r *response) Location(t testing.TB) *url.URL {
	t.Helper()
	loc := r.Header.Get("Location")
	if loc == "" {
		return nil
	}
	u, err := r.req.URL.Parse(loc)
	if err != nil {
		t.Fatalf("bad Location %q: %v", loc, err)
	}
	return u
}

func (r *response) String() string {
	return r.req.Method + " " + r.req.URL.String() + " -> " + http.StatusText(r.Status) + "\n" + string(r.Body)
}

// testTransport carries the tests' requests. It is not
// http.DefaultTransport: httptest.Server.Close closes that one's idle
// connections, which broke a parallel test's request that had just taken
// one ("http: CloseIdleConnections called", in CI on 2026-12-05).
var testTransport = http.DefaultTransport.(*http.Transport).Clone()

// httpClient never follows redirects, so that each step can be checked.
func httpClient(jar http.CookieJar) *http.Client {
	return &http.Client{
		Transport:     testTransport,
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// clientAuth adds a client's credentials to a request.
type clientAuth func(h http.Header, form url.Values)

// basicAuth sends client_secret_basic with the id and secret form-encoded
// first (RFC 6749 §2.3.1).
func basicAuth(id, secret string) clientAuth {
	return rawBasic(url.QueryEscape(id), url.QueryEscape(secret))
}

// rawBasic sends Basic credentials exactly as given.
func rawBasic(id, secret string) clientAuth {
	return func(h http.Header, _ url.Values) {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":"+secret)))
	}
}

// postAuth sends client_secret_post, or client_id alone when the secret is
// empty.
func postAuth(id, secret string) clientAuth {
	return func(_ http.Header, form url.Values) {
		form.Set("client_id", id)
		if secret != "" {
			form.Set("client_secret", secret)
		}
	}
}

func noAuth(http.Header, url.Values) {}

// as authenticates as the client of role the way a careful client does:
// Basic for a confidential client, client_id in the body for a public one.
func (e *env) as(t testing.TB, role string) clientAuth {
	t.Helper()
	c := e.client(t, role)
	if c.Public() {
		return postAuth(c.ID, "")
	}
	return basicAuth(c.ID, c.Secret)
}

// post sends a form to a path of the server, as a back-channel client.
func (e *env) post(t testing.TB, path string, form url.Values, auth clientAuth) *response {
	t.Helper()
	form = cloneValues(form)
	h := http.Header{}
	auth(h, form)
	req, err := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(t, req)
}

func (e *env) do(t testing.TB, req *http.Request) *response {
	t.Helper()
	resp, err := httpClient(nil).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return readResponse(t, resp)
}

func (e *env) get(t testing.TB, path string) *response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.url+path, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	return e.do(t, req)
}

// token posts to the token endpoint.
func (e *env) token(t testing.TB, form url.Values, auth clientAuth) *response {
	t.Helper()
	return e.post(t, "/token", form, auth)
}

// introspect returns the introspection response for tok, asked by the
// confidential client.
func (e *env) introspect(t testing.TB, tok string) map[string]any {
	t.Helper()
	r := e.post(t, "/introspect", url.Values{"token": {tok}}, e.as(t, reference.RoleConfidential))
	if r.Status != http.StatusOK {
		t.Fatalf("introspect: got %d; want 200\n%s", r.Status, r)
	}
	return r.JSON(t)
}

// active reports whether the server says tok is active.
func (e *env) active(t testing.TB, tok string) bool {
	t.Helper()
	return e.introspect(t, tok)["active"] == true
}

// refresh exchanges a refresh token by hand and returns the response.
func (e *env) refresh(t testing.TB, role, rt string, extra url.Values) *response {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	for k, v := range extra {
		form[k] = v
	}
	return e.token(t, form, e.as(t, role))
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// browser is a user agent: a cookie jar and a client that stops at every
// redirect.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser(t testing.TB) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("cookie jar: %v", err)
	}
	return &browser{e: e, client: httpClient(jar)}
}

// get fetches a URL, or a path of the server.
func (b *browser) get(t testing.TB, u string) *response {
	t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.e.url + u
	}
	resp, err := b.client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return readResponse(t, resp)
}

// post submits a form to a path of the server.
func (b *browser) post(t testing.TB, path string, form url.Values) *response {
	t.Helper()
	resp, err := b.client.PostForm(b.e.url+path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return readResponse(t, resp)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// hidden returns the hidden inputs of a page.
func hidden(r *response) url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(string(r.Body), -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

func isLoginPage(r *response) bool {
	return r.Status == http.StatusOK && strings.Contains(string(r.Body), `id="login-form"`)
}
func isConsentPage(r *response) bool {
	return r.Status == http.StatusOK && strings.Contains(string(r.Body), `id="consent-form"`)
}

// appState is the state of a page of the js-login app (the js-login
// quirk), read from its root element as the app's script reads it.
type appState struct {
	Page     string   `json:"page"`
	CSRF     string   `json:"csrf"`
	ReturnTo string   `json:"return_to"`
	Req      string   `json:"req"`
	Client   string   `json:"client"`
	Scopes   []string `json:"scopes"`
	Deny     bool     `json:"deny"`
	Next     string   `json:"next"`
}

var appStateRE = regexp.MustCompile(`<div id="root" data-state="([^"]*)"></div><script src="/assets/app.js"></script>`)

// app returns the state of a page of the js-login app, or nil when r is
// another page.
func app(t testing.TB, r *response) *appState {
	t.Helper()
	m := appStateRE.FindSubmatch(r.Body)
	if m == nil {
		return nil
	}
	var st appState
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &st); err != nil {
		t.Fatalf("the app state of %s is not JSON: %v\n%s", r.req.URL, err, m[1])
	}
	return &st
}

// appPost posts body as JSON to the app's API, with the page's anti-CSRF
// token in X-CSRF-Token, as the app's script does.
func (b *browser) appPost(t testing.TB, path, csrf string, body any) *response {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, b.e.url+path, strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return readResponse(t, resp)
}

// next is where a login or consent answer sends the browser: the Location
// of a redirect, or the next member of the js-login app's JSON answer; ""
// for neither.
func (r *response) next(t testing.TB) string {
	t.Helper()
	if loc := r.Location(t); loc != nil {
		return loc.String()
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if n, ok := r.JSON(t)["next"].(string); ok && n != "" {
			u, err := r.req.URL.Parse(n)
			if err != nil {
				t.Fatalf("bad next %q: %v", n, err)
			}
			return u.String()
		}
	}
	return ""
}

// login answers a login page with the user's credentials and returns the
// server's answer to the post: the form post, or the js-login app's JSON
// post.
func (b *browser) login(t testing.TB, page *response, password string) *response {
	t.Helper()
	if st := app(t, page); st != nil && st.Page == "login" {
		return b.appPost(t, "/api/login", st.CSRF, map[string]string{
			"username": b.e.user.Username, "password": password, "return_to": st.ReturnTo})
	}
	form := hidden(page)
	if form.Get("csrf") == "" {
		t.Fatalf("no csrf input on the login page:\n%s", page)
	}
	form.Set("username", b.e.user.Username)
	form.Set("password", password)
	return b.post(t, "/login", form)
}

// flow is the record of one authorization in the browser.
type flow struct {
	Steps []*response // every response, in order
	// Redirect is where the server finally sent the browser off the server
	// (the client's redirect URI); nil if the flow ended on a page.
	Redirect *url.URL
	// Params are the parameters of Redirect: the query, or the fragment
	// when the query has none.
	Params url.Values
}

// Last is the last response of the flow.
func (f *flow) Last() *response { return f.Steps[len(f.Steps)-1] }

// authorize drives the browser from an authorization URL through login and
// consent (answered with decision, "approve" or "deny") until the server
// sends it away, or shows a page that is neither login nor consent. A
// redirect back to the server is followed with GET, even after a 307, so
// that flows still finish under the redirect-307 weakness.
func (b *browser) authorize(t testing.TB, authURL, decision string) *flow {
	t.Helper()
	f := &flow{}
	r := b.get(t, authURL)
	// follow goes to u: the end of the flow when it is off the server.
	follow := func(u string) (done bool) {
		loc, err := url.Parse(u)
		if err != nil {
			t.Fatalf("bad URL %q: %v", u, err)
		}
		if loc.Scheme+"://"+loc.Host != b.e.url {
			f.Redirect = loc
			f.Params = loc.Query()
			if len(f.Params) == 0 && loc.Fragment != "" {
				f.Params, _ = url.ParseQuery(loc.Fragment)
			}
			return true
		}
		r = b.get(t, loc.String())
		return false
	}
	for range 10 {
		f.Steps = append(f.Steps, r)
		st := app(t, r)
		switch {
		case r.Status >= 300 && r.Status < 400:
			loc := r.Location(t)
			if loc == nil {
				t.Fatalf("redirect without Location:\n%s", r)
			}
			if follow(loc.String()) {
				return f
			}
		case isLoginPage(r):
			r = b.login(t, r, b.e.user.Password)
		case isConsentPage(r):
			form := hidden(r)
			form.Set("action", decision)
			r = b.post(t, "/consent", form)
		case st != nil && st.Page == "login":
			a := b.login(t, r, b.e.user.Password)
			if a.next(t) == "" {
				f.Steps = append(f.Steps, a)
				return f
			}
			if follow(a.next(t)) {
				return f
			}
		case st != nil && st.Page == "consent":
			// The user ticks every scope, then answers.
			a := b.appPost(t, "/api/consent", st.CSRF, map[string]any{"req": st.Req, "action": decision, "scope": st.Scopes})
			if a.next(t) == "" {
				f.Steps = append(f.Steps, a)
				return f
			}
			if follow(a.next(t)) {
				return f
			}
		case st != nil && st.Page == "continue":
			if follow(st.Next) {
				return f
			}
		default:
			return f
		}
	}
	t.Fatalf("authorization did not finish in 10 steps; last:\n%s", r)
	return nil
}

// authURL builds an authorization request URL from raw parameters.
func (e *env) authURL(params url.Values) string {
	return e.url + "/authorize?" + params.Encode()
}

// codeParams are the parameters of a good authorization request of role,
// with PKCE S256 for verifier.
func (e *env) codeParams(t testing.TB, role, verifier string) url.Values {
	t.Helper()
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {e.client(t, role).ID},
		"redirect_uri":          {e.redirect},
		"scope":                 {e.scope},
		"state":                 {"state-" + oauth2.GenerateVerifier()},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"},
	}
}

// code runs an approved authorization of role in a fresh browser and
// returns the code and its PKCE verifier.
func (e *env) code(t testing.TB, role string) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	return e.codeFor(t, e.codeParams(t, role, verifier)), verifier
}

// codeFor runs an approved authorization with the parameters given and
// returns the code, failing the test if there is none.
func (e *env) codeFor(t testing.TB, params url.Values) string {
	t.Helper()
	f := e.browser(t).authorize(t, e.authURL(params), "approve")
	code := f.Params.Get("code")
	if code == "" {
		t.Fatalf("no code for %v; last response:\n%s\nredirect: %v", params, f.Last(), f.Redirect)
	}
	return code
}

// tryCode runs an approved authorization and returns the code, or "" when
// the server answered with anything else.
func (e *env) tryCode(t testing.TB, params url.Values) string {
	t.Helper()
	return e.browser(t).authorize(t, e.authURL(params), "approve").Params.Get("code")
}

// exchangeForm is the token request for code.
func (e *env) exchangeForm(code, verifier string) url.Values {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {e.redirect}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return form
}

// tokens runs the whole authorization code flow for role with x/oauth2 and
// returns the token response.
func (e *env) tokens(t testing.TB, role string) *oauth2.Token {
	t.Helper()
	code, verifier := e.code(t, role)
	tok, err := e.oauth2Config(t, role).Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange the code of %s: %v", role, err)
	}
	return tok
}

// oauthErr returns the RFC 6749 §5.2 error code and HTTP status inside an
// x/oauth2 error.
func oauthErr(t testing.TB, err error) (string, int) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("got error %v; want an *oauth2.RetrieveError", err)
	}
	return re.ErrorCode, re.Response.StatusCode
}

// device is one device authorization (RFC 8628 §3.2), as the device sees it.
type device struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// startDevice posts a device authorization request for role.
func (e *env) startDevice(t testing.TB, role string) device {
	t.Helper()
	r := e.post(t, "/device_authorization", url.Values{"scope": {"openid profile"}}, e.as(t, role))
	if r.Status != http.StatusOK {
		t.Fatalf("device authorization: got %d; want 200\n%s", r.Status, r)
	}
	var d device
	if err := json.Unmarshal(r.Body, &d); err != nil {
		t.Fatalf("device authorization response: %v\n%s", err, r.Body)
	}
	return d
}

// pollDevice polls the token endpoint once for d.
func (e *env) pollDevice(t testing.TB, role string, d device) *response {
	t.Helper()
	return e.token(t, url.Values{"grant_type": {reference.GrantDeviceCode}, "device_code": {d.DeviceCode}}, e.as(t, role))
}

// deviceLogin opens the verification page in a fresh browser and logs in;
// it returns the browser and the page that follows the login.
func (e *env) deviceLogin(t testing.TB) (*browser, *response) {
	t.Helper()
	b := e.browser(t)
	page := b.get(t, "/device")
	if !isLoginPage(page) && app(t, page) == nil {
		t.Fatalf("GET /device without a session: want the login page; got\n%s", page)
	}
	r := b.login(t, page, e.user.Password)
	next := r.next(t) // a 303 (307 under the redirect-307 weakness), or the app's answer
	if next == "" {
		t.Fatalf("login: got %d; want a redirect\n%s", r.Status, r)
	}
	return b, b.get(t, next)
}

// submitUserCode types a user code on the verification page.
func (b *browser) submitUserCode(t testing.TB, page *response, code string) *response {
	t.Helper()
	return b.post(t, "/device", url.Values{"csrf": {hidden(page).Get("csrf")}, "user_code": {code}})
}

// decideDevice logs in at the verification page, enters the user code and
// answers with action ("approve" or "deny").
func (e *env) decideDevice(t testing.TB, d device, action string) {
	t.Helper()
	b, page := e.deviceLogin(t)
	confirm := b.submitUserCode(t, page, d.UserCode)
	if confirm.Status != http.StatusOK || !strings.Contains(string(confirm.Body), `id="device-decide-form"`) {
		t.Fatalf("enter the user code: want the confirmation page; got\n%s", confirm)
	}
	form := hidden(confirm)
	form.Set("action", action)
	r := b.post(t, "/device/decide", form)
	if r.Status/100 != 3 {
		t.Fatalf("decide: got %d; want a redirect\n%s", r.Status, r)
	}
}
