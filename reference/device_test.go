package reference_test

import (
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/reference"
)

// The alphabet of user codes: no vowels, nothing that looks alike
// (RFC 8628 §6.1).
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

var userCodeRE = regexp.MustCompile(`^[` + userCodeAlphabet + `]{4}-[` + userCodeAlphabet + `]{4}$`)

// RFC 8628 §3.1-3.2 with x/oauth2 as the device, and the whole flow to the
// token with [oauth2.Config.DeviceAccessToken]. The interval is one second,
// the least the response can say, so the client waits once.
func TestDeviceFlowOAuth2(t *testing.T) {
	t.Parallel()
	e := start(t, func(c *reference.Config) { c.DeviceInterval = time.Second })
	cfg := e.oauth2Config(t, reference.RoleDevice, "openid", "profile")
	da, err := cfg.DeviceAuth(t.Context())
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	got := []any{da.VerificationURI, da.VerificationURIComplete, da.Interval, userCodeRE.MatchString(da.UserCode)}
	want := []any{e.url + "/device", e.url + "/device?user_code=" + url.QueryEscape(da.UserCode), int64(1), true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("device authorization response mismatch (-want +got):\n%s", diff)
	}
	if left := time.Until(da.Expiry); left < 9*time.Minute || left > 10*time.Minute {
		t.Errorf("expires in %v; want about DeviceTTL, 10m", left)
	}
	e.decideDevice(t, device{UserCode: da.UserCode}, "approve")
	tok, err := cfg.DeviceAccessToken(t.Context(), da)
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	if tok.RefreshToken == "" || !e.active(t, tok.AccessToken) {
		t.Errorf("want an active access token and a refresh token")
	}
	if got := e.introspect(t, tok.AccessToken)["username"]; got != e.user.Username {
		t.Errorf("the token's user: got %v; want %s, who approved", got, e.user.Username)
	}
}

// The raw device authorization response (RFC 8628 §3.2) and its errors.
func TestDeviceAuthorization(t *testing.T) {
	e := start(t, nil)
	r := e.post(t, "/device_authorization", url.Values{}, e.as(t, reference.RoleDevice))
	if r.Status != http.StatusOK {
		t.Fatalf("got %d; want 200\n%s", r.Status, r)
	}
	if got := []string{r.Header.Get("Cache-Control"), r.Header.Get("Pragma")}; !cmp.Equal(got, []string{"no-store", "no-cache"}) {
		t.Errorf("Cache-Control, Pragma: got %q; want no-store, no-cache", got)
	}
	m := r.JSON(t)
	if diff := cmp.Diff(map[string]any{"expires_in": 600.0, "interval": 5.0, "verification_uri": e.url + "/device"},
		map[string]any{"expires_in": m["expires_in"], "interval": m["interval"], "verification_uri": m["verification_uri"]}); diff != "" {
		t.Errorf("device authorization response mismatch (-want +got):\n%s", diff)
	}
	if dc, _ := m["device_code"].(string); len(dc) < 32 {
		t.Errorf("device_code %q: want at least 32 characters", dc)
	}

	tests := []struct {
		name       string
		role       string
		scope      string
		wantStatus int
		wantError  string
		reason     string
	}{
		{"confidential web client", reference.RoleConfidential, "", http.StatusBadRequest, "unauthorized_client", "the client may not use the device grant"},
		{"public web client", reference.RolePublic, "", http.StatusBadRequest, "unauthorized_client", "the client may not use the device grant"},
		{"unknown scope", reference.RoleDevice, "openid admin", http.StatusBadRequest, "invalid_scope", "RFC 8628 §3.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			if tt.scope != "" {
				form.Set("scope", tt.scope)
			}
			r := e.post(t, "/device_authorization", form, e.as(t, tt.role))
			if r.Status != tt.wantStatus || r.Error() != tt.wantError {
				t.Errorf("got %d %s; want %d %s (%s)", r.Status, r.Error(), tt.wantStatus, tt.wantError, tt.reason)
			}
		})
	}
	if r := e.post(t, "/device_authorization", url.Values{}, noAuth); r.Status != http.StatusUnauthorized {
		t.Errorf("no client: got %d; want 401", r.Status)
	}
}

// RFC 8628 §5.1, §6.1: user codes come from a 20-letter alphabet, 8 long,
// about 34.5 bits, and do not repeat.
func TestUserCodeEntropy(t *testing.T) {
	e := start(t, nil)
	seen := map[string]bool{}
	used := map[rune]bool{}
	for range 50 {
		code := e.startDevice(t, reference.RoleDevice).UserCode
		if !userCodeRE.MatchString(code) {
			t.Fatalf("user code %q: want XXXX-XXXX from %s", code, userCodeAlphabet)
		}
		if seen[code] {
			t.Errorf("user code %q issued twice in 50", code)
		}
		seen[code] = true
		for _, r := range strings.ReplaceAll(code, "-", "") {
			used[r] = true
		}
	}
	bits := 8 * math.Log2(float64(len(userCodeAlphabet)))
	if bits < 34 {
		t.Errorf("user code entropy: got %.1f bits; want at least 34", bits)
	}
	// 400 draws from 20 letters: all show up unless the draw is skewed.
	if len(used) < 18 {
		t.Errorf("50 user codes use %d of %d letters; want nearly all", len(used), len(userCodeAlphabet))
	}
}

// Polling (RFC 8628 §3.4-3.5): pending, slow_down with the +5 s rule,
// denial, expiry, single use and client binding. The clock is moved by
// hand; nothing sleeps.
func TestDevicePolling(t *testing.T) {
	e := start(t, nil) // interval 5 s
	poll := func(t *testing.T, d device, role string) string {
		t.Helper()
		r := e.pollDevice(t, role, d)
		if r.Status == http.StatusOK {
			return "ok"
		}
		if r.Status != http.StatusBadRequest {
			t.Fatalf("poll: got %d; want 200 or 400\n%s", r.Status, r)
		}
		return r.Error()
	}
	steps := func(t *testing.T, d device, role string, advance []time.Duration, want []string) {
		t.Helper()
		var got []string
		for _, a := range advance {
			e.clock.Advance(a)
			got = append(got, poll(t, d, role))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("poll results mismatch (-want +got):\n%s", diff)
		}
	}

	t.Run("pending and slow_down", func(t *testing.T) {
		d := e.startDevice(t, reference.RoleDevice)
		steps(t, d, reference.RoleDevice,
			[]time.Duration{0, 5 * time.Second, 1 * time.Second, 10 * time.Second, 8 * time.Second, 10 * time.Second},
			[]string{"authorization_pending", "authorization_pending", "slow_down",
				// §3.5: the client adds 5 s for this and all later requests; the server grew by exactly 5 s.
				"authorization_pending",
				"slow_down", // 8 s is sooner than the 10 s interval
				"slow_down", // and the interval is now 15 s
			})
	})
	t.Run("polling at the interval", func(t *testing.T) {
		d := e.startDevice(t, reference.RoleDevice)
		// DEVICE-SLOW-DOWN-INTERVAL (a): a client that polls every interval
		// is never slowed down, even a little early (10 % leeway for jitter).
		steps(t, d, reference.RoleDevice,
			[]time.Duration{0, 5 * time.Second, 5 * time.Second, 4600 * time.Millisecond, 5 * time.Second, 5 * time.Second},
			[]string{"authorization_pending", "authorization_pending", "authorization_pending",
				"authorization_pending", "authorization_pending", "authorization_pending"})
	})
	t.Run("approved", func(t *testing.T) {
		d := e.startDevice(t, reference.RoleDevice)
		steps(t, d, reference.RoleDevice, []time.Duration{0}, []string{"authorization_pending"})
		e.decideDevice(t, d, "approve")
		steps(t, d, reference.RoleDevice2, []time.Duration{5 * time.Second}, []string{"invalid_grant"}) // another client
		steps(t, d, reference.RoleDevice, []time.Duration{5 * time.Second, 5 * time.Second}, []string{"ok", "invalid_grant"})
	})
	t.Run("denied", func(t *testing.T) {
		d := e.startDevice(t, reference.RoleDevice)
		e.decideDevice(t, d, "deny")
		steps(t, d, reference.RoleDevice, []time.Duration{0, 5 * time.Second}, []string{"access_denied", "access_denied"})
	})
	t.Run("expired", func(t *testing.T) {
		d := e.startDevice(t, reference.RoleDevice)
		e.clock.Advance(e.cfg.DeviceTTL + time.Second)
		steps(t, d, reference.RoleDevice, []time.Duration{0}, []string{"expired_token"})
		b, page := e.deviceLogin(t)
		if r := b.submitUserCode(t, page, d.UserCode); r.Status != http.StatusBadRequest {
			t.Errorf("entering an expired user code: got %d; want 400", r.Status)
		}
	})
	t.Run("approved then expired", func(t *testing.T) {
		d := e.startDevice(t, reference.RoleDevice)
		e.decideDevice(t, d, "approve")
		steps(t, d, reference.RoleDevice, []time.Duration{e.cfg.DeviceTTL + time.Second}, []string{"expired_token"})
	})
	t.Run("unknown device_code", func(t *testing.T) {
		steps(t, device{DeviceCode: "nope"}, reference.RoleDevice, []time.Duration{0}, []string{"invalid_grant"})
	})
	t.Run("client without the grant", func(t *testing.T) {
		d := e.startDevice(t, reference.RoleDevice)
		e.decideDevice(t, d, "approve")
		steps(t, d, reference.RoleConfidential, []time.Duration{0}, []string{"unauthorized_client"})
		steps(t, d, reference.RoleDevice, []time.Duration{0}, []string{"ok"})
	})
}

// The verification page (RFC 8628 §3.3): login first, then the code, typed
// in any case with or without the dash, or carried in the URL; a decision
// needs the user's click and is final.
func TestDeviceVerificationPage(t *testing.T) {
	e := start(t, nil)
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "-", "")) }
	tests := []struct {
		name   string
		entry  func(code string) string
		reason string
	}{
		{"as shown", func(c string) string { return c }, "the displayed form"},
		{"lower case, no dash", norm, "RFC 8628 §6.1: case-insensitive, punctuation ignored"},
		{"spaces", func(c string) string { return " " + strings.ReplaceAll(c, "-", " ") + " " }, "RFC 8628 §6.1: punctuation ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.startDevice(t, reference.RoleDevice)
			b, page := e.deviceLogin(t)
			confirm := b.submitUserCode(t, page, tt.entry(d.UserCode))
			if confirm.Status != http.StatusOK || !strings.Contains(string(confirm.Body), d.UserCode) {
				t.Fatalf("entry %q: want the confirmation page with %s (%s); got\n%s", tt.entry(d.UserCode), d.UserCode, tt.reason, confirm)
			}
			steps := e.pollDevice(t, reference.RoleDevice, d)
			if steps.Error() != "authorization_pending" {
				t.Errorf("after entering the code, before the click: got %s; want authorization_pending", steps.Error())
			}
		})
	}

	t.Run("verification_uri_complete", func(t *testing.T) {
		d := e.startDevice(t, reference.RoleDevice)
		b := e.browser(t)
		login := b.get(t, d.VerificationURIComplete)
		if !isLoginPage(login) {
			t.Fatalf("want the login page first; got\n%s", login)
		}
		next := b.login(t, login, e.user.Password)
		if next.Status != http.StatusSeeOther {
			t.Fatalf("login: got %d; want 303", next.Status)
		}
		confirm := b.get(t, next.Location(t).String())
		if !strings.Contains(string(confirm.Body), `id="device-decide-form"`) {
			t.Fatalf("want the confirmation page; got\n%s", confirm)
		}
		if r := e.pollDevice(t, reference.RoleDevice, d); r.Error() != "authorization_pending" {
			t.Errorf("the link alone approved the device: got %s; want authorization_pending", r.Error())
		}
		form := hidden(confirm)
		form.Set("action", "approve")
		decided := b.post(t, "/device/decide", form)
		if decided.Status != http.StatusSeeOther || decided.Header.Get("Location") != "/device?result=approved" {
			t.Fatalf("decide: got %d to %q; want 303 to /device?result=approved", decided.Status, decided.Header.Get("Location"))
		}
		if again := b.post(t, "/device/decide", form); again.Status != http.StatusBadRequest {
			t.Errorf("deciding twice: got %d; want 400", again.Status)
		}
		if r := b.get(t, d.VerificationURIComplete); r.Status != http.StatusBadRequest {
			t.Errorf("the link after the decision: got %d; want 400", r.Status)
		}
		if r := e.pollDevice(t, reference.RoleDevice, d); r.Status != http.StatusOK {
			t.Errorf("poll after approval: got %d; want 200", r.Status)
		}
	})

	t.Run("forms need the session and csrf", func(t *testing.T) {
		d := e.startDevice(t, reference.RoleDevice)
		b, page := e.deviceLogin(t)
		csrf := hidden(page).Get("csrf")
		stranger := e.browser(t)
		stranger.get(t, "/device") // a csrf cookie, but no session
		tests := []struct {
			name string
			b    *browser
			path string
			form url.Values
		}{
			{"code without csrf", b, "/device", url.Values{"user_code": {d.UserCode}}},
			{"decide without csrf", b, "/device/decide", url.Values{"user_code": {d.UserCode}, "action": {"approve"}}},
			{"code without session", stranger, "/device", url.Values{"user_code": {d.UserCode}, "csrf": {csrf}}},
			{"decide without session", stranger, "/device/decide", url.Values{"user_code": {d.UserCode}, "csrf": {csrf}, "action": {"approve"}}},
		}
		for _, tt := range tests {
			if r := tt.b.post(t, tt.path, tt.form); r.Status != http.StatusForbidden {
				t.Errorf("%s: got %d; want 403", tt.name, r.Status)
			}
		}
		if r := e.pollDevice(t, reference.RoleDevice, d); r.Error() != "authorization_pending" {
			t.Errorf("after forged decisions: got %s; want authorization_pending", r.Error())
		}
	})
}

// RFC 8628 §5.1: wrong user codes are rate-limited per session, on every
// way a code can be entered.
func TestDeviceUserCodeRateLimit(t *testing.T) {
	e := start(t, nil)
	d := e.startDevice(t, reference.RoleDevice)
	b, page := e.deviceLogin(t)
	var got []int
	for range 5 {
		got = append(got, b.submitUserCode(t, page, "BBBB-BBBB").Status)
	}
	limited := b.submitUserCode(t, page, "BBBB-BBBB")
	got = append(got, limited.Status, b.submitUserCode(t, page, d.UserCode).Status)
	want := []int{400, 400, 400, 400, 400, 429, 429}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses of 5 wrong codes, a 6th, then the right one mismatch (-want +got):\n%s", diff)
	}
	if got := limited.Header.Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After: got %q; want 60", got)
	}
	checkFramingHeaders(t, limited)

	// The link and the decision form are ways in too.
	if r := b.get(t, d.VerificationURIComplete); r.Status != http.StatusTooManyRequests {
		t.Errorf("verification_uri_complete while limited: got %d; want 429", r.Status)
	}
	decide := url.Values{"csrf": {hidden(page).Get("csrf")}, "user_code": {d.UserCode}, "action": {"approve"}}
	if r := b.post(t, "/device/decide", decide); r.Status != http.StatusTooManyRequests {
		t.Errorf("decision while limited: got %d; want 429", r.Status)
	}

	// The limit is the user's: logging in again does not lift it. It
	// lifts after a minute.
	other, otherPage := e.deviceLogin(t)
	if r := other.submitUserCode(t, otherPage, d.UserCode); r.Status != http.StatusTooManyRequests {
		t.Errorf("another session of the same user: got %d; want 429", r.Status)
	}
	e.clock.Advance(time.Minute)
	if r := b.submitUserCode(t, page, d.UserCode); r.Status != http.StatusOK {
		t.Errorf("a minute later: got %d; want 200", r.Status)
	}
}

// Wrong codes count wherever they are entered: in the link and in the
// decision form as well as on the page.
func TestDeviceUserCodeRateLimitOtherEntries(t *testing.T) {
	e := start(t, nil)
	d := e.startDevice(t, reference.RoleDevice)
	tests := []struct {
		name  string
		wrong func(t *testing.T, b *browser, page *response) *response
	}{
		{"link", func(t *testing.T, b *browser, _ *response) *response {
			return b.get(t, "/device?user_code=BBBB-BBBB")
		}},
		{"decision", func(t *testing.T, b *browser, page *response) *response {
			return b.post(t, "/device/decide", url.Values{"csrf": {hidden(page).Get("csrf")}, "user_code": {"BBBB-BBBB"}, "action": {"approve"}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Advance(time.Minute) // past the last subtest's failures
			b, page := e.deviceLogin(t)
			var got []int
			for range 6 {
				got = append(got, tt.wrong(t, b, page).Status)
			}
			got = append(got, b.submitUserCode(t, page, d.UserCode).Status)
			want := []int{400, 400, 400, 400, 400, 429, 429}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("statuses of 6 wrong codes, then the right one mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Each device weakness switches off one protection and leaves the
// ordinary flow working, so that a check's other steps still run under it:
// a code typed as shown is taken, approved, and redeemed once by its
// client.
func TestDeviceWeaknessesKeepTheFlow(t *testing.T) {
	for _, w := range []reference.Weakness{
		reference.DeviceNoPending, reference.DeviceDenyIgnored, reference.DeviceNoExpiry,
		reference.DeviceNotClientBound, reference.DeviceWeakUserCode, reference.DeviceNoNormalisation,
		reference.DeviceCompleteAutoApprove, reference.DeviceAuthzIncomplete,
	} {
		t.Run(string(w), func(t *testing.T) {
			t.Parallel()
			e := startWeak(t, w)
			d := e.startDevice(t, reference.RoleDevice)
			e.decideDevice(t, d, "approve")
			if r := e.pollDevice(t, reference.RoleDevice, d); r.Status != http.StatusOK {
				t.Errorf("poll after approval: got %d %s; want 200", r.Status, r.Error())
			}
		})
	}
}

// device-weak-user-code issues six digits, shown as NNN-NNN, and the page
// still ignores the dash.
func TestDeviceWeakUserCode(t *testing.T) {
	e := startWeak(t, reference.DeviceWeakUserCode)
	d := e.startDevice(t, reference.RoleDevice)
	if !regexp.MustCompile(`^[0-9]{3}-[0-9]{3}$`).MatchString(d.UserCode) {
		t.Fatalf("user code %q: want NNN-NNN", d.UserCode)
	}
	b, page := e.deviceLogin(t)
	if r := b.submitUserCode(t, page, strings.ReplaceAll(d.UserCode, "-", "")); r.Status != http.StatusOK {
		t.Errorf("the code without the dash: got %d; want 200", r.Status)
	}
}
