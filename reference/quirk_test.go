package reference_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/reference"
)

func TestQuirkCatalogue(t *testing.T) {
	all := reference.AllQuirks()
	seen := map[reference.Quirk]bool{}
	for _, q := range all {
		if seen[q.Name] {
			t.Errorf("quirk %s is listed twice", q.Name)
		}
		seen[q.Name] = true
		if q.Behaviour == "" {
			t.Errorf("quirk %s has no behaviour text", q.Name)
		}
		if got, err := reference.ParseQuirk(" " + string(q.Name) + " "); err != nil || got != q.Name {
			t.Errorf("ParseQuirk(%q) = %q, %v; want %q", q.Name, got, err, q.Name)
		}
		if _, err := reference.ParseWeakness(string(q.Name)); err == nil {
			t.Errorf("quirk %s is also a weakness name", q.Name)
		}
	}
	names := reference.QuirkNames()
	if len(names) != len(all) || !slices.IsSorted(names) {
		t.Errorf("QuirkNames: %d names, sorted %v; want %d, sorted", len(names), slices.IsSorted(names), len(all))
	}
	all[0].Name = "mutated"
	if reference.AllQuirks()[0].Name == "mutated" {
		t.Errorf("AllQuirks shares its slice with the caller")
	}
	_, err := reference.ParseQuirk("no-such-quirk")
	if err == nil || !strings.Contains(err.Error(), `unknown quirk "no-such-quirk"`) {
		t.Fatalf("ParseQuirk(no-such-quirk): got %v; want an error naming it", err)
	}
	for _, n := range names {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("ParseQuirk error does not list %s", n)
		}
	}
	if _, err := reference.New(reference.DefaultConfig(), reference.WithSigningKey(signingKey(t)),
		reference.WithQuirk("js-login", "nope")); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("New with an unknown quirk: got %v; want an error naming it", err)
	}
	// Quirks come back in catalogue order, whatever the order given.
	e := start(t, nil, reference.WithQuirk(string(reference.QuirkJSLogin), string(reference.QuirkLoopbackRedirect)))
	if diff := cmp.Diff([]reference.Quirk{reference.QuirkLoopbackRedirect, reference.QuirkJSLogin}, e.srv.Quirks()); diff != "" {
		t.Errorf("Quirks mismatch (-want +got):\n%s", diff)
	}
	if got := start(t, nil).srv.Quirks(); got != nil {
		t.Errorf("Quirks of a default server: got %v; want none", got)
	}
}

// Quirks change no metadata, except refresh-offline-access, which lists
// its scope.
func TestQuirksKeepMetadata(t *testing.T) {
	metadata := func(e *env) map[string]any {
		m := e.get(t, "/.well-known/openid-configuration").JSON(t)
		raw, _ := json.Marshal(m)
		var out map[string]any
		_ = json.Unmarshal([]byte(strings.ReplaceAll(string(raw), e.url, "ISSUER")), &out)
		return out
	}
	want := metadata(start(t, nil))
	for _, q := range reference.AllQuirks() {
		t.Run(string(q.Name), func(t *testing.T) {
			got := metadata(startQuirk(t, q.Name))
			w := want
			if q.Name == reference.QuirkRefreshOfflineAccess {
				w = map[string]any{}
				for k, v := range want {
					w[k] = v
				}
				w["scopes_supported"] = append(slices.Clone(want["scopes_supported"].([]any)), "offline_access")
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("metadata mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// redirect-loopback-ip: the default clients' redirect URI is a loopback IP
// literal, and any port is accepted for it (RFC 8252 §7.3).
func TestQuirkLoopbackRedirect(t *testing.T) {
	e := startQuirk(t, reference.QuirkLoopbackRedirect)
	for _, c := range e.srv.Config().Clients {
		if len(c.RedirectURIs) > 0 && !slices.Equal(c.RedirectURIs, []string{reference.LoopbackRedirectURI}) {
			t.Errorf("client %s: redirect URIs %v; want [%s]", c.ID, c.RedirectURIs, reference.LoopbackRedirectURI)
		}
	}
	if uris := reference.DefaultConfig().Clients[0].RedirectURIs; uris[0] != reference.DefaultRedirectURI {
		t.Errorf("the quirk changed DefaultConfig's shared slice: %v", uris)
	}
	for _, uri := range []string{reference.LoopbackRedirectURI, "http://127.0.0.1:49152/cb"} {
		verifier := oauth2.GenerateVerifier()
		params := e.codeParams(t, reference.RolePublic, verifier)
		params.Set("redirect_uri", uri)
		f := e.browser(t).authorize(t, e.authURL(params), "approve")
		if f.Redirect == nil || f.Redirect.Scheme+"://"+f.Redirect.Host+f.Redirect.Path != uri || f.Params.Get("code") == "" {
			t.Fatalf("authorize with %s: want a code there; got %v\n%s", uri, f.Redirect, f.Last())
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {f.Params.Get("code")},
			"redirect_uri": {uri}, "code_verifier": {verifier}}
		if r := e.token(t, form, e.as(t, reference.RolePublic)); r.Status != http.StatusOK {
			t.Errorf("exchange for %s: got %d; want 200\n%s", uri, r.Status, r)
		}
	}
	params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
	params.Set("redirect_uri", reference.DefaultRedirectURI)
	if r := e.browser(t).get(t, e.authURL(params)); r.Status != http.StatusBadRequest || r.Header.Get("Location") != "" {
		t.Errorf("authorize with the unregistered %s: got %d; want the 400 error page", reference.DefaultRedirectURI, r.Status)
	}
}

// jwt-not-9068: plain JWTs, typed JWT, without client_id and jti; they
// still revoke and introspect, each token on its own.
func TestQuirkJWTNot9068(t *testing.T) {
	e := startQuirk(t, reference.QuirkJWTNot9068)
	first := e.token(t, ccForm("api"), e.as(t, reference.RoleConfidential)).JSON(t)["access_token"].(string)
	second := e.token(t, ccForm("api"), e.as(t, reference.RoleConfidential)).JSON(t)["access_token"].(string)
	if first == second {
		t.Fatalf("two tokens of the same second are identical")
	}
	header, claims := jwtPart(t, first, 0), map[string]any{}
	if err := json.Unmarshal([]byte(jwtPart(t, first, 1)), &claims); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(header, `"typ":"JWT"`) {
		t.Errorf("header %s: want typ JWT", header)
	}
	for _, c := range []string{"client_id", "jti"} {
		if _, has := claims[c]; has {
			t.Errorf("claims %v: want no %s", claims, c)
		}
	}
	if claims["azp"] != e.client(t, reference.RoleConfidential).ID {
		t.Errorf("claims %v: want azp, the client", claims)
	}
	if m := e.introspect(t, first); m["active"] != true || m["client_id"] != claims["azp"] {
		t.Errorf("introspection of the token: %v; want active, with the client_id", m)
	}
	if r := e.post(t, "/revoke", url.Values{"token": {first}}, e.as(t, reference.RoleConfidential)); r.Status != http.StatusOK {
		t.Fatalf("revoke: got %d", r.Status)
	}
	if e.active(t, first) || !e.active(t, second) {
		t.Errorf("after revoking the first token: first active %v, second active %v; want false, true",
			e.active(t, first), e.active(t, second))
	}
	tok := e.tokens(t, reference.RolePublic)
	if r := e.userinfo(t, tok.AccessToken); r.Status != http.StatusOK {
		t.Errorf("userinfo with a user's token: got %d; want 200", r.Status)
	}
}

// refresh-grace-10s: within 10 s of its rotation an old refresh token gets
// a fresh pair; after that its replay is reuse and revokes the family.
func TestQuirkRefreshGrace(t *testing.T) {
	e := startQuirk(t, reference.QuirkRefreshGrace)
	if got := e.srv.Config().RefreshGrace; got != 10*time.Second {
		t.Errorf("Config().RefreshGrace = %v; want 10s", got)
	}
	role := reference.RoleConfidential
	tok := e.tokens(t, role)
	second := e.refresh(t, role, tok.RefreshToken, nil)
	if !ok(second) {
		t.Fatalf("refresh: got %d\n%s", second.Status, second)
	}
	if !e.active(t, tok.RefreshToken) {
		t.Errorf("within the grace window, introspection says the old refresh token is inactive; it still works")
	}
	e.clock.Advance(9 * time.Second)
	replay := e.refresh(t, role, tok.RefreshToken, nil)
	if !ok(replay) {
		t.Fatalf("replay 9 s after rotation: got %d; want a fresh pair\n%s", replay.Status, replay)
	}
	rts := []string{tok.RefreshToken, second.JSON(t)["refresh_token"].(string), replay.JSON(t)["refresh_token"].(string)}
	if len(slices.Compact(slices.Sorted(slices.Values(rts)))) != 3 {
		t.Errorf("refresh tokens %v: want three different ones", rts)
	}
	if !e.active(t, second.JSON(t)["access_token"].(string)) {
		t.Errorf("the replay within the window was taken for reuse: the family is revoked")
	}
	e.clock.Advance(2 * time.Second)
	if late := e.refresh(t, role, tok.RefreshToken, nil); late.Error() != "invalid_grant" {
		t.Errorf("replay 11 s after rotation: got %d %s; want invalid_grant", late.Status, late.Error())
	}
	for _, at := range []string{second.JSON(t)["access_token"].(string), replay.JSON(t)["access_token"].(string)} {
		if e.active(t, at) {
			t.Errorf("after the late replay an access token of the family is active; want the family revoked")
		}
	}
	if ok(e.refresh(t, role, rts[2], nil)) {
		t.Errorf("after the late replay the newest refresh token works; want the family revoked")
	}
}

// revocation-eventual: every revocation takes effect 1.5 s later.
func TestQuirkRevocationEventual(t *testing.T) {
	e := startQuirk(t, reference.QuirkRevocationEventual)
	role := reference.RoleConfidential
	settle := func(t *testing.T, works func() bool, what string) {
		t.Helper()
		e.clock.Advance(time.Second)
		if !works() {
			t.Errorf("%s: stopped working within 1 s; want 1.5 s", what)
		}
		e.clock.Advance(500 * time.Millisecond)
		if works() {
			t.Errorf("%s: still works after 1.5 s", what)
		}
	}
	t.Run("access token", func(t *testing.T) {
		tok := e.tokens(t, role)
		e.post(t, "/revoke", url.Values{"token": {tok.AccessToken}}, e.as(t, role))
		settle(t, func() bool {
			return e.active(t, tok.AccessToken) && e.userinfo(t, tok.AccessToken).Status == http.StatusOK
		},
			"a revoked access token")
	})
	t.Run("refresh token cascade", func(t *testing.T) {
		tok := e.tokens(t, role)
		e.post(t, "/revoke", url.Values{"token": {tok.RefreshToken}}, e.as(t, role))
		settle(t, func() bool { return e.active(t, tok.AccessToken) && e.active(t, tok.RefreshToken) },
			"the tokens of a revoked refresh token")
		e.clock.Advance(-1500 * time.Millisecond)
		e.clock.Advance(time.Second)
		// The refresh works in the window, and its tokens go with the family.
		r := e.refresh(t, role, tok.RefreshToken, nil)
		e.clock.Advance(500 * time.Millisecond)
		if !ok(r) || e.active(t, r.JSON(t)["access_token"].(string)) {
			t.Errorf("refresh within the window: got %d, active afterwards; want 200, revoked at 1.5 s", r.Status)
		}
	})
	t.Run("code replay", func(t *testing.T) {
		code, verifier := e.code(t, role)
		first := e.token(t, e.exchangeForm(code, verifier), e.as(t, role))
		if replay := e.token(t, e.exchangeForm(code, verifier), e.as(t, role)); replay.Error() != "invalid_grant" {
			t.Errorf("code replay: got %d %s; want invalid_grant at once", replay.Status, replay.Error())
		}
		at := first.JSON(t)["access_token"].(string)
		settle(t, func() bool { return e.active(t, at) }, "the access token of a replayed code")
	})
	t.Run("refresh reuse", func(t *testing.T) {
		tok := e.tokens(t, role)
		next := e.refresh(t, role, tok.RefreshToken, nil).JSON(t)
		if replay := e.refresh(t, role, tok.RefreshToken, nil); replay.Error() != "invalid_grant" {
			t.Errorf("refresh replay: got %d %s; want invalid_grant at once", replay.Status, replay.Error())
		}
		settle(t, func() bool { return e.active(t, next["access_token"].(string)) }, "the family of a reused refresh token")
	})
}

// throttle-per-client: the polling interval is the client's, across its
// device codes.
func TestQuirkThrottlePerClient(t *testing.T) {
	for _, tt := range []struct {
		quirk bool
		want  []string
	}{
		{false, []string{"authorization_pending", "authorization_pending", "authorization_pending"}},
		{true, []string{"authorization_pending", "slow_down", "authorization_pending"}},
	} {
		e := start(t, nil)
		if tt.quirk {
			e = startQuirk(t, reference.QuirkThrottlePerClient)
		}
		a, b := e.startDevice(t, reference.RoleDevice), e.startDevice(t, reference.RoleDevice)
		other := e.startDevice(t, reference.RoleDevice2)
		var got []string
		got = append(got, e.pollDevice(t, reference.RoleDevice, a).Error())
		e.clock.Advance(time.Second)
		got = append(got, e.pollDevice(t, reference.RoleDevice, b).Error())
		got = append(got, e.pollDevice(t, reference.RoleDevice2, other).Error())
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("quirk %v: polls of code A, code B 1 s later, another client's code mismatch (-want +got):\n%s", tt.quirk, diff)
		}
		if tt.quirk {
			// The client's interval grew to 10 s, for either code; code A
			// too soon raises it to 15 s.
			e.clock.Advance(6 * time.Second)
			if got := e.pollDevice(t, reference.RoleDevice, a).Error(); got != "slow_down" {
				t.Errorf("code A 6 s after the slow_down: got %s; want slow_down (the client's interval is 10 s)", got)
			}
			e.clock.Advance(15 * time.Second)
			if got := e.pollDevice(t, reference.RoleDevice, b).Error(); got != "authorization_pending" {
				t.Errorf("code B 15 s later: got %s; want authorization_pending", got)
			}
		}
	}
}

// refresh-offline-access: refresh tokens only for offline_access.
func TestQuirkRefreshOfflineAccess(t *testing.T) {
	e := startQuirk(t, reference.QuirkRefreshOfflineAccess)
	for _, tt := range []struct {
		scope       string
		wantRefresh bool
	}{{"openid profile", false}, {"openid offline_access", true}} {
		verifier := oauth2.GenerateVerifier()
		params := e.codeParams(t, reference.RolePublic, verifier)
		params.Set("scope", tt.scope)
		r := e.token(t, e.exchangeForm(e.codeFor(t, params), verifier), e.as(t, reference.RolePublic))
		rt, has := r.JSON(t)["refresh_token"].(string)
		if has != tt.wantRefresh {
			t.Errorf("scope %q: refresh token %v; want %v", tt.scope, has, tt.wantRefresh)
		}
		if has && !ok(e.refresh(t, reference.RolePublic, rt, nil)) {
			t.Errorf("scope %q: the refresh token does not work", tt.scope)
		}
	}
	d := e.startDevice(t, reference.RoleDevice)
	e.decideDevice(t, d, "approve")
	if _, has := e.pollDevice(t, reference.RoleDevice, d).JSON(t)["refresh_token"]; has {
		t.Errorf("device grant without offline_access: got a refresh token")
	}
}

// cc-not-for-confidential: client A authenticates, then gets
// unauthorized_client; client B still gets tokens.
func TestQuirkCCNotForConfidential(t *testing.T) {
	e := startQuirk(t, reference.QuirkCCNotForConfidential)
	a := e.client(t, reference.RoleConfidential)
	if r := e.token(t, ccForm(""), basicAuth(a.ID, "wrong")); r.Status != http.StatusUnauthorized {
		t.Errorf("client A with a wrong secret: got %d; want 401 (authentication comes first)", r.Status)
	}
	if r := e.token(t, ccForm(""), e.as(t, reference.RoleConfidential)); r.Status != http.StatusBadRequest || r.Error() != "unauthorized_client" {
		t.Errorf("client A: got %d %s; want 400 unauthorized_client", r.Status, r.Error())
	}
	if r := e.token(t, ccForm(""), e.as(t, reference.RoleConfidential2)); !ok(r) {
		t.Errorf("client B: got %d; want 200\n%s", r.Status, r)
	}
	if _, err := e.oauth2Config(t, reference.RoleConfidential).Exchange(t.Context(), "x"); err == nil {
		t.Errorf("client A's code exchange of a bad code succeeded")
	}
	e.tokens(t, reference.RoleConfidential) // the code grant still works
}

// consent-no-deny: no Deny button on either decision page.
func TestQuirkConsentNoDeny(t *testing.T) {
	e := startQuirk(t, reference.QuirkConsentNoDeny)
	b := e.browser(t)
	login := b.get(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())))
	consent := b.get(t, b.login(t, login, e.user.Password).next(t))
	d := e.startDevice(t, reference.RoleDevice)
	db, page := e.deviceLogin(t)
	confirm := db.submitUserCode(t, page, d.UserCode)
	for name, r := range map[string]*response{"consent": consent, "device decision": confirm} {
		body := string(r.Body)
		if !strings.Contains(body, `id="approve"`) || strings.Contains(body, `id="deny"`) {
			t.Errorf("%s page: want Allow and no Deny\n%s", name, body)
		}
	}
	if f := e.browser(t).authorize(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())), "approve"); f.Params.Get("code") == "" {
		t.Errorf("approval: no code")
	}
}

// lockout-403: the throttles answer 403 with an HTML page.
func TestQuirkLockout403(t *testing.T) {
	e := startQuirk(t, reference.QuirkLockout403)
	c := e.client(t, reference.RoleConfidential2)
	for range 20 {
		e.token(t, ccForm(""), basicAuth(c.ID, "wrong"))
	}
	locked := e.token(t, ccForm(""), basicAuth(c.ID, "wrong"))
	b, page := e.deviceLogin(t)
	for range 5 {
		b.submitUserCode(t, page, "BBBB-BBBB")
	}
	codes := b.submitUserCode(t, page, "BBBB-BBBB")
	for name, r := range map[string]*response{"token endpoint": locked, "device page": codes} {
		if r.Status != http.StatusForbidden || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s when throttled: got %d %s; want 403 text/html", name, r.Status, r.Header.Get("Content-Type"))
		}
	}
}

// scope-reordered: the granted scope comes back reversed, the same set.
func TestQuirkScopeReordered(t *testing.T) {
	e := startQuirk(t, reference.QuirkScopeReordered)
	code, verifier := e.code(t, reference.RoleConfidential)
	r := e.token(t, e.exchangeForm(code, verifier), e.as(t, reference.RoleConfidential)).JSON(t)
	if r["scope"] != "profile openid" {
		t.Errorf("token response scope %q; want %q", r["scope"], "profile openid")
	}
	if got := e.introspect(t, r["access_token"].(string))["scope"]; got != "profile openid" {
		t.Errorf("introspection scope %q; want %q", got, "profile openid")
	}
	if got := e.refresh(t, reference.RoleConfidential, r["refresh_token"].(string), nil).JSON(t)["scope"]; got != "profile openid" {
		t.Errorf("refresh scope %q; want %q", got, "profile openid")
	}
	if got := e.token(t, ccForm("email api"), e.as(t, reference.RoleConfidential)).JSON(t)["scope"]; got != "api email" {
		t.Errorf("client credentials scope %q; want %q", got, "api email")
	}
}

// consent-remembered: a session that approved a client is not asked again
// for no more scope; a wider scope, another client or a new session is.
func TestQuirkConsentRemembered(t *testing.T) {
	e := startQuirk(t, reference.QuirkConsentRemembered)
	auth := func(b *browser, role, scope, decision string) *flow {
		return e.authorizeScope(t, b, role, scope, "", decision)
	}
	b := e.browser(t)
	if f := auth(b, reference.RolePublic, "openid", "deny"); !asked(f) || f.Params.Get("error") != "access_denied" {
		t.Fatalf("first request, denied: asked %v, got %v; want the consent page and access_denied", asked(f), f.Params)
	}
	if f := auth(b, reference.RolePublic, "openid profile", "approve"); !asked(f) || f.Params.Get("code") == "" {
		t.Fatalf("after a denial: asked %v, got %v; want the consent page and a code", asked(f), f.Params)
	}
	e.expectConsent(t, b, []consentCase{
		{"the same client and scope", reference.RolePublic, "openid profile", "", false},
		{"less scope", reference.RolePublic, "openid", "", false},
		{"more scope", reference.RolePublic, "openid profile email", "", true},
		{"another client", reference.RolePublic2, "openid", "", true},
	})
	if f := auth(e.browser(t), reference.RolePublic, "openid", "approve"); !asked(f) {
		t.Errorf("a new session was not asked")
	}
}

// asked reports whether an authorization showed the consent page.
func asked(f *flow) bool {
	for _, r := range f.Steps {
		if isConsentPage(r) {
			return true
		}
	}
	return false
}

// authorizeScope runs a code authorization of role for scope, with
// prompt when it is not empty, in b, deciding as decision says.
func (e *env) authorizeScope(t *testing.T, b *browser, role, scope, prompt, decision string) *flow {
	t.Helper()
	p := e.codeParams(t, role, oauth2.GenerateVerifier())
	p.Set("scope", scope)
	if prompt != "" {
		p.Set("prompt", prompt)
	}
	return b.authorize(t, e.authURL(p), decision)
}

// consentCase is an approved authorization in a session, and whether the
// consent page must come.
type consentCase struct {
	name, role, scope, prompt string
	ask                       bool
}

// expectConsent runs the cases one after another in b.
func (e *env) expectConsent(t *testing.T, b *browser, cases []consentCase) {
	t.Helper()
	for _, tt := range cases {
		if f := e.authorizeScope(t, b, tt.role, tt.scope, tt.prompt, "approve"); asked(f) != tt.ask || f.Params.Get("code") == "" {
			t.Errorf("%s: asked %v, got %v; want asked %v and a code", tt.name, asked(f), f.Params, tt.ask)
		}
	}
}

// The strict server remembers a session's consent for a confidential
// client, whose codes only it can redeem (RFC 6749 §10.2), but not with
// prompt=consent, and asks a public client every time.
func TestConsentRememberedForConfidential(t *testing.T) {
	e := start(t, nil)
	e.expectConsent(t, e.browser(t), []consentCase{
		{"a confidential client, first", reference.RoleConfidential, "openid", "", true},
		{"the same confidential client", reference.RoleConfidential, "openid", "", false},
		{"the same, with prompt=consent", reference.RoleConfidential, "openid", "consent", true},
		{"another confidential client", reference.RoleConfidential2, "openid", "", true},
		{"a public client, first", reference.RolePublic, "openid", "", true},
		{"the same public client", reference.RolePublic, "openid", "", true},
	})
}

// nonce-openid-only: a nonce without openid in the requested scope is
// refused with invalid_request; with openid, or without a nonce, the
// request goes through.
func TestQuirkNonceOpenIDOnly(t *testing.T) {
	e := startQuirk(t, reference.QuirkNonceOpenIDOnly)
	for _, tt := range []struct {
		name, scope, nonce string
		refused            bool
	}{
		{"nonce and openid", "openid profile", "n-0S6_WzA2Mj", false},
		{"nonce, no openid", "profile", "n-0S6_WzA2Mj", true},
		{"nonce, empty scope", "", "n-0S6_WzA2Mj", true},
		{"empty scope, no nonce", "", "", false},
	} {
		p := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
		p.Set("scope", tt.scope)
		if tt.nonce != "" {
			p.Set("nonce", tt.nonce)
		}
		f := e.browser(t).authorize(t, e.authURL(p), "approve")
		if got := f.Params.Get("error") == "invalid_request"; got != tt.refused || (!tt.refused && f.Params.Get("code") == "") {
			t.Errorf("%s: got %v; want refused %v", tt.name, f.Params, tt.refused)
		}
	}
}

// js-login: the login and consent pages are a script app; its API keeps
// CSRF protection, grants only the ticked scopes and ends on a Continue
// page.
func TestQuirkJSLogin(t *testing.T) {
	e := startQuirk(t, reference.QuirkJSLogin)
	b := e.browser(t)
	login := b.get(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())))
	st := app(t, login)
	if st == nil || st.Page != "login" || st.CSRF == "" {
		t.Fatalf("want the app's login page; got\n%s", login)
	}
	if strings.Contains(string(login.Body), "<form") || strings.Contains(string(login.Body), "<input") {
		t.Errorf("the login page's HTML has a form; want only the root element and the script")
	}
	checkFramingHeaders(t, login)
	script := b.get(t, "/assets/app.js")
	if script.Status != http.StatusOK || !strings.HasPrefix(script.Header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(string(script.Body), "location.assign") {
		t.Errorf("GET /assets/app.js: got %d %s", script.Status, script.Header.Get("Content-Type"))
	}
	creds := map[string]string{"username": e.user.Username, "password": e.user.Password, "return_to": st.ReturnTo}
	if r := b.appPost(t, "/api/login", "forged", creds); r.Status != http.StatusForbidden || r.JSON(t)["error"] == nil {
		t.Errorf("login with a forged CSRF token: got %d; want 403 with an error\n%s", r.Status, r)
	}
	if r := e.browser(t).appPost(t, "/api/login", st.CSRF, creds); r.Status != http.StatusForbidden {
		t.Errorf("login from a browser without the CSRF cookie: got %d; want 403", r.Status)
	}
	wrong := map[string]string{"username": e.user.Username, "password": "wrong", "return_to": st.ReturnTo}
	if r := b.appPost(t, "/api/login", st.CSRF, wrong); r.Status != http.StatusUnauthorized || r.JSON(t)["error"] == nil {
		t.Errorf("wrong password: got %d; want 401 with an error", r.Status)
	}
	logged := b.appPost(t, "/api/login", st.CSRF, creds)
	if logged.Status != http.StatusOK || !strings.HasPrefix(logged.JSON(t)["next"].(string), "/authorize/resume?") {
		t.Fatalf("login: got %d; want 200 with next /authorize/resume\n%s", logged.Status, logged)
	}
	consent := b.get(t, logged.next(t))
	cs := app(t, consent)
	if cs == nil || cs.Page != "consent" || !slices.Equal(cs.Scopes, []string{"openid", "profile"}) || !cs.Deny {
		t.Fatalf("want the app's consent page with the scopes and Deny; got\n%s", consent)
	}
	answer := func(action string, scopes ...string) *response {
		return b.appPost(t, "/api/consent", cs.CSRF, map[string]any{"req": cs.Req, "action": action, "scope": scopes})
	}
	for _, bad := range [][]string{nil, {"email"}} {
		if r := answer("approve", bad...); r.Status != http.StatusBadRequest || r.JSON(t)["error"] == nil {
			t.Errorf("approve with scopes %v: got %d; want 400 with an error", bad, r.Status)
		}
	}
	approved := answer("approve", "profile")
	cont := b.get(t, approved.next(t))
	next := app(t, cont)
	if next == nil || next.Page != "continue" {
		t.Fatalf("after Allow: want the Continue page; got\n%s", cont)
	}
	if r := e.browser(t).get(t, approved.next(t)); r.Status != http.StatusBadRequest {
		t.Errorf("the Continue page in another browser: got %d; want 400", r.Status)
	}
	to, err := url.Parse(next.Next)
	if err != nil || to.Scheme+"://"+to.Host+to.Path != e.redirect || to.Query().Get("code") == "" || to.Query().Get("iss") != e.url {
		t.Fatalf("Continue leads to %q; want the redirect URI with a code and iss", next.Next)
	}
	if r := answer("approve", "profile"); r.Status != http.StatusBadRequest {
		t.Errorf("a second answer: got %d; want 400", r.Status)
	}
	tok := e.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {to.Query().Get("code")}, "redirect_uri": {e.redirect}},
		e.as(t, reference.RolePublic))
	if tok.Error() != "invalid_grant" { // no verifier: the point is that the code exists
		t.Errorf("the code: got %d %s; want invalid_grant for the missing verifier", tok.Status, tok.Error())
	}

	// Only the ticked scopes are granted; Deny goes straight back.
	f := e.browser(t).authorize(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())), "deny")
	if f.Params.Get("error") != "access_denied" {
		t.Errorf("deny: got %v; want access_denied", f.Params)
	}
	verifier := oauth2.GenerateVerifier()
	b = e.browser(t)
	page := b.get(t, b.login(t, b.get(t, e.authURL(e.codeParams(t, reference.RolePublic, verifier))), e.user.Password).next(t))
	cs = app(t, page)
	r := b.appPost(t, "/api/consent", cs.CSRF, map[string]any{"req": cs.Req, "action": "approve", "scope": []string{"openid"}})
	code, _ := url.Parse(app(t, b.get(t, r.next(t))).Next)
	granted := e.token(t, e.exchangeForm(code.Query().Get("code"), verifier), e.as(t, reference.RolePublic)).JSON(t)["scope"]
	if granted != "openid" {
		t.Errorf("granted scope %q; want openid, the only ticked one", granted)
	}
}

// Without the js-login quirk, the app's endpoints do not exist.
func TestJSLoginEndpointsOff(t *testing.T) {
	e := start(t, nil)
	for _, path := range []string{"/assets/app.js", "/continue?id=x"} {
		if r := e.get(t, path); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: got %d; want 404", path, r.Status)
		}
	}
	if r := e.browser(t).appPost(t, "/api/login", "x", map[string]string{}); r.Status != http.StatusNotFound {
		t.Errorf("POST /api/login: got %d; want 404", r.Status)
	}
}

// quirkSuspends lists, for each quirk, the weakness probes whose premise
// the quirk takes away: what they test immediately happens later (eventual
// revocation), or what they count on is absent (typ at+jwt).
var quirkSuspends = map[reference.Quirk][]reference.Weakness{
	reference.QuirkJWTNot9068: {reference.JWTTypJWT, reference.JWTNoJTI},
	reference.QuirkRefreshGrace: {reference.RefreshOldValid, reference.RefreshNoReuseDetect,
		reference.RefreshReuseKeepsAccess},
	reference.QuirkRevocationEventual: {reference.CodeReplayKeepsTokens, reference.RefreshNoReuseDetect,
		reference.RefreshReuseKeepsAccess, reference.RevokeNoop, reference.RevokeAccessNoop,
		reference.RevokeNoCascade, reference.RevokeHintStrict},
	reference.QuirkLockout403: {reference.DeviceNoRateLimit, reference.NoClientAuthThrottle},
	reference.QuirkJSLogin:    {reference.Redirect307},
}

// A quirk is no weakness: every protection that the weakness probes test
// holds under each quirk, but those whose premise it takes away.
func TestQuirksKeepProtections(t *testing.T) {
	for _, q := range reference.AllQuirks() {
		t.Run(string(q.Name), func(t *testing.T) {
			t.Parallel()
			for _, p := range weaknessProbes {
				if slices.Contains(quirkSuspends[q.Name], p.weakness) {
					continue
				}
				if !p.probe(t, startQuirk(t, q.Name)) {
					t.Errorf("under %s, the protection of %s does not hold: %s", q.Name, p.weakness, p.reason)
				}
			}
		})
	}
}

// jwt-jti-uuid: the access tokens' jti is a UUIDv4, a fresh one each.
func TestQuirkJWTJTIUUID(t *testing.T) {
	e := startQuirk(t, reference.QuirkJWTJTIUUID)
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 3 {
		at := e.token(t, ccForm("api"), e.as(t, reference.RoleConfidential)).JSON(t)["access_token"].(string)
		claims := map[string]any{}
		if err := json.Unmarshal([]byte(jwtPart(t, at, 1)), &claims); err != nil {
			t.Fatal(err)
		}
		jti, _ := claims["jti"].(string)
		if !uuid.MatchString(jti) || seen[jti] {
			t.Errorf("jti %q: want a fresh UUIDv4", jti)
		}
		seen[jti] = true
	}
}
