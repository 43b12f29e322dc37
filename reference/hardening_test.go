package reference_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/reference"
)

// Every body is cut at 64 KiB: the OAuth endpoints answer invalid_request,
// the pages 413.
func TestBodyLimit(t *testing.T) {
	e := start(t, nil)
	big := strings.Repeat("x", reference.MaxBodyBytes+1)
	for _, path := range []string{"/token", "/revoke", "/introspect", "/device_authorization"} {
		r := e.post(t, path, url.Values{"grant_type": {"client_credentials"}, "pad": {big}}, e.as(t, reference.RoleConfidential))
		if r.Status != http.StatusBadRequest || r.Error() != "invalid_request" || !strings.Contains(string(r.Body), "larger than 65536 bytes") {
			t.Errorf("POST %s with %d bytes: got %d %s; want 400 invalid_request saying why", path, len(big), r.Status, r.Body)
		}
	}
	r := e.register(t, "application/json", `{"client_name":"`+big+`"}`)
	if r.Status != http.StatusBadRequest || r.Error() != "invalid_request" {
		t.Errorf("POST /register with a large body: got %d %s; want 400 invalid_request", r.Status, r.Body)
	}
	// Just under the limit is read.
	pad := strings.Repeat("x", reference.MaxBodyBytes-200)
	if r := e.post(t, "/token", url.Values{"grant_type": {"client_credentials"}, "pad": {pad}}, e.as(t, reference.RoleConfidential)); !ok(r) {
		t.Errorf("POST /token just under the limit: got %d\n%s", r.Status, r)
	}

	b := e.browser(t)
	page := b.get(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())))
	form := hidden(page)
	form.Set("username", e.user.Username)
	form.Set("password", big)
	if r := b.post(t, "/login", form); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a login form over the limit: got %d; want 413", r.Status)
	}
}

// CSRF comes before the body: a post without the CSRF cookie, or from
// another origin, is refused before its body is read, whatever its size.
func TestBrowserFormsCSRFFirst(t *testing.T) {
	e := start(t, nil)
	b := e.browser(t)
	page := b.get(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())))
	good := hidden(page)
	good.Set("username", e.user.Username)
	good.Set("password", e.user.Password)
	big := cloneValues(good)
	big.Set("pad", strings.Repeat("x", reference.MaxBodyBytes))
	post := func(b *browser, form url.Values, header http.Header) *response {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return readResponse(t, resp)
	}
	tests := []struct {
		name   string
		b      *browser
		form   url.Values
		header http.Header
		want   int
	}{
		{"no cookie, large body", e.browser(t), big, nil, http.StatusForbidden},
		{"other origin", b, good, http.Header{"Origin": {"https://attacker.example"}}, http.StatusForbidden},
		{"cross-site fetch", b, good, http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"other origin, large body", b, big, http.Header{"Origin": {"https://attacker.example"}}, http.StatusForbidden},
		{"same origin", b, good, http.Header{"Origin": {e.url}, "Sec-Fetch-Site": {"same-origin"}}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		if r := post(tt.b, tt.form, tt.header); r.Status != tt.want {
			t.Errorf("%s: got %d; want %d", tt.name, r.Status, tt.want)
		}
	}
	// A form of another media type is refused.
	req, _ := http.NewRequest(http.MethodPost, e.url+"/login", strings.NewReader(good.Encode()))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if r := readResponse(t, resp); r.Status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain login form: got %d; want 415", r.Status)
	}
}

// The js-login app's API refuses cross-origin posts too.
func TestAppAPICrossOrigin(t *testing.T) {
	e := startQuirk(t, reference.QuirkJSLogin)
	b := e.browser(t)
	st := app(t, b.get(t, "/login"))
	raw := `{"username":"` + e.user.Username + `","password":"` + e.user.Password + `"}`
	req, _ := http.NewRequest(http.MethodPost, e.url+"/api/login", strings.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", st.CSRF)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if r := readResponse(t, resp); r.Status != http.StatusForbidden {
		t.Errorf("cross-site app login: got %d; want 403", r.Status)
	}
	big := map[string]string{"username": strings.Repeat("x", reference.MaxBodyBytes)}
	if r := b.appPost(t, "/api/login", st.CSRF, big); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("app login over the limit: got %d; want 413", r.Status)
	}
}

// Dynamic registration stops at MaxRegistrations clients.
func TestRegistrationCap(t *testing.T) {
	e := start(t, nil)
	for i := range reference.MaxRegistrations {
		if r := e.register(t, "application/json", `{"grant_types":["client_credentials"]}`); r.Status != http.StatusCreated {
			t.Fatalf("registration %d: got %d\n%s", i+1, r.Status, r)
		}
	}
	r := e.register(t, "application/json", `{"grant_types":["client_credentials"]}`)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "limit") {
		t.Errorf("registration %d: got %d %s; want 400 naming the limit", reference.MaxRegistrations+1, r.Status, r.Body)
	}
}

// The lifetimes the harness sets for quick runs (code 2 s, device 6 s at
// 1 s, refresh idle 3 s) work, with expiry, slow_down and sweeping in
// step; a user still has minutes to log in.
func TestQuickLifetimes(t *testing.T) {
	e := start(t, func(c *reference.Config) {
		c.CodeTTL, c.DeviceTTL, c.DeviceInterval, c.RefreshTTL = 2*time.Second, 6*time.Second, time.Second, 3*time.Second
	})
	role := reference.RoleConfidential

	// Login takes longer than ten code lifetimes.
	verifier := oauth2.GenerateVerifier()
	b := e.browser(t)
	login := b.get(t, e.authURL(e.codeParams(t, role, verifier)))
	e.clock.Advance(time.Minute)
	f := b.authorize(t, b.login(t, login, e.user.Password).next(t), "approve")
	if f.Params.Get("code") == "" {
		t.Fatalf("a login a minute after the request: no code\n%s", f.Last())
	}
	e.clock.Advance(1900 * time.Millisecond)
	r := e.token(t, e.exchangeForm(f.Params.Get("code"), verifier), e.as(t, role))
	if !ok(r) {
		t.Fatalf("exchange at 1.9 s: got %d\n%s", r.Status, r)
	}
	// Each refresh restarts the idle lifetime of 3 s.
	rt := r.JSON(t)["refresh_token"].(string)
	for i := range 3 {
		e.clock.Advance(2900 * time.Millisecond)
		next := e.refresh(t, role, rt, nil)
		if !ok(next) {
			t.Fatalf("refresh %d after 2.9 s idle: got %d\n%s", i+1, next.Status, next)
		}
		rt = next.JSON(t)["refresh_token"].(string)
	}
	e.clock.Advance(3100 * time.Millisecond)
	if r := e.refresh(t, role, rt, nil); r.Error() != "invalid_grant" {
		t.Errorf("refresh after 3.1 s idle: got %d %s; want invalid_grant", r.Status, r.Error())
	}

	code, v2 := e.code(t, role)
	e.clock.Advance(2100 * time.Millisecond)
	if r := e.token(t, e.exchangeForm(code, v2), e.as(t, role)); r.Error() != "invalid_grant" {
		t.Errorf("exchange at 2.1 s: got %d %s; want invalid_grant", r.Status, r.Error())
	}

	// Device: slow_down raises the interval to 6 s, the whole lifetime; the
	// next poll after it gets expired_token, not slow_down, and keeps
	// getting it after a sweep.
	d := e.startDevice(t, reference.RoleDevice)
	got := []string{e.pollDevice(t, reference.RoleDevice, d).Error()}
	e.clock.Advance(500 * time.Millisecond)
	got = append(got, e.pollDevice(t, reference.RoleDevice, d).Error())
	e.clock.Advance(6 * time.Second)
	got = append(got, e.pollDevice(t, reference.RoleDevice, d).Error())
	e.clock.Advance(35 * time.Second)
	got = append(got, e.pollDevice(t, reference.RoleDevice, d).Error())
	want := []string{"authorization_pending", "slow_down", "expired_token", "expired_token"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("device polls: got %v; want %v", got, want)
	}
}

// Sweeping keeps what a late request needs: a replayed code still revokes
// the tokens issued from it, and an expired device code still gets
// expired_token, until a minute after expiry.
func TestSweepKeepsLateAnswers(t *testing.T) {
	e := start(t, nil)
	role := reference.RoleConfidential
	code, verifier := e.code(t, role)
	first := e.token(t, e.exchangeForm(code, verifier), e.as(t, role)).JSON(t)
	d := e.startDevice(t, reference.RoleDevice)
	e.clock.Advance(e.cfg.DeviceTTL + 50*time.Second) // past the code's expiry and a sweep
	e.get(t, "/jwks")                                 // a request that sweeps
	if r := e.pollDevice(t, reference.RoleDevice, d); r.Error() != "expired_token" {
		t.Errorf("expired device code after a sweep: got %s; want expired_token", r.Error())
	}
	if r := e.token(t, e.exchangeForm(code, verifier), e.as(t, role)); r.Error() != "invalid_grant" {
		t.Errorf("code replay after a sweep: got %s; want invalid_grant", r.Error())
	}
	if e.active(t, first["access_token"].(string)) {
		t.Errorf("a code replayed after a sweep: its access token is still active")
	}
	e.clock.Advance(2 * time.Minute)
	e.get(t, "/jwks")
	if r := e.pollDevice(t, reference.RoleDevice, d); r.Error() != "invalid_grant" {
		t.Errorf("device code long expired and swept: got %s; want invalid_grant (unknown)", r.Error())
	}
}

// A session ends after SessionTTL.
func TestSessionExpiry(t *testing.T) {
	e := start(t, nil)
	b := e.browser(t)
	params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
	if f := b.authorize(t, e.authURL(params), "approve"); f.Params.Get("code") == "" {
		t.Fatal("no code")
	}
	if r := b.get(t, e.authURL(params)); !isConsentPage(r) {
		t.Fatalf("with a session: want the consent page; got\n%s", r)
	}
	e.clock.Advance(e.cfg.SessionTTL + time.Second)
	if r := b.get(t, e.authURL(params)); !isLoginPage(r) {
		t.Errorf("after SessionTTL: want the login page; got\n%s", r)
	}
}
