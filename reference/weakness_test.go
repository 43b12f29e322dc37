package reference_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/reference"
)

// weaknessProbe tests the one protection that a weakness switches off.
type weaknessProbe struct {
	weakness reference.Weakness
	// implies lists the other probes that the weakness also defeats,
	// because their protection stands on the one switched off.
	implies []reference.Weakness
	reason  string
	// probe runs against a fresh server and reports whether the protection
	// held.
	probe func(t *testing.T, e *env) bool
	// broad marks a weakness that breaks the ordinary flow itself (no
	// S256, no code at all): the matrix checks only its own probe.
	broad bool
}

// ok reports whether a token request succeeded.
func ok(r *response) bool { return r.Status == http.StatusOK }

// exchangeOK redeems code for role and reports whether it worked.
func exchangeOK(t *testing.T, e *env, role, code, verifier string) (bool, map[string]any) {
	t.Helper()
	r := e.token(t, e.exchangeForm(code, verifier), e.as(t, role))
	if !ok(r) {
		return false, nil
	}
	return true, r.JSON(t)
}

// noPKCE removes the challenge from an authorization request.
func noPKCE(v url.Values) url.Values {
	v.Del("code_challenge")
	v.Del("code_challenge_method")
	return v
}

// pollPattern polls a fresh device authorization after each advance of the
// clock and returns the error codes ("ok" for tokens).
func pollPattern(t *testing.T, e *env, advance ...time.Duration) []string {
	t.Helper()
	d := e.startDevice(t, reference.RoleDevice)
	var got []string
	for _, a := range advance {
		e.clock.Advance(a)
		r := e.pollDevice(t, reference.RoleDevice, d)
		if ok(r) {
			got = append(got, "ok")
		} else {
			got = append(got, r.Error())
		}
	}
	return got
}

var weaknessProbes = []weaknessProbe{{
	weakness: reference.CodeReuse,
	implies:  []reference.Weakness{reference.CodeReplayKeepsTokens},
	reason:   "RFC 6749 §4.1.2: a second redemption of a code is refused",
	probe: func(t *testing.T, e *env) bool {
		code, verifier := e.code(t, reference.RoleConfidential)
		if first, _ := exchangeOK(t, e, reference.RoleConfidential, code, verifier); !first {
			t.Fatalf("the first redemption failed")
		}
		second, _ := exchangeOK(t, e, reference.RoleConfidential, code, verifier)
		return !second
	},
}, {
	weakness: reference.CodeReplayKeepsTokens,
	reason:   "RFC 6749 §4.1.2: the replay of a code revokes the access token issued from it",
	probe: func(t *testing.T, e *env) bool {
		code, verifier := e.code(t, reference.RoleConfidential)
		_, resp := exchangeOK(t, e, reference.RoleConfidential, code, verifier)
		if resp == nil {
			t.Fatalf("the first redemption failed")
		}
		exchangeOK(t, e, reference.RoleConfidential, code, verifier)
		return !e.active(t, resp["access_token"].(string))
	},
}, {
	weakness: reference.CodeNotClientBound,
	reason:   "RFC 6749 §4.1.3: another client cannot redeem the code",
	probe: func(t *testing.T, e *env) bool {
		code, verifier := e.code(t, reference.RoleConfidential)
		stolen, _ := exchangeOK(t, e, reference.RoleConfidential2, code, verifier)
		return !stolen
	},
}, {
	weakness: reference.PKCEOptional,
	reason:   "OAuth 2.1 §4.1.2.1: a public client's request without code_challenge is refused",
	probe: func(t *testing.T, e *env) bool {
		return e.tryCode(t, noPKCE(e.codeParams(t, reference.RolePublic, ""))) == ""
	},
}, {
	weakness: reference.PKCEOptionalConf,
	reason:   "RFC 9700 §2.1.1: a confidential client's request without code_challenge is refused",
	probe: func(t *testing.T, e *env) bool {
		return e.tryCode(t, noPKCE(e.codeParams(t, reference.RoleConfidential, ""))) == ""
	},
}, {
	weakness: reference.PKCEPlain,
	reason:   "RFC 7636 §7.2: code_challenge_method=plain is refused",
	probe: func(t *testing.T, e *env) bool {
		verifier := oauth2.GenerateVerifier()
		params := e.codeParams(t, reference.RolePublic, verifier)
		params.Set("code_challenge", verifier)
		params.Set("code_challenge_method", "plain")
		return e.tryCode(t, params) == ""
	},
}, {
	weakness: reference.PKCEDowngrade,
	implies:  []reference.Weakness{reference.PKCEOptionalConf},
	reason:   "RFC 9700 §4.8.2: a code_verifier for a code issued without a challenge is refused",
	probe: func(t *testing.T, e *env) bool {
		code := e.tryCode(t, noPKCE(e.codeParams(t, reference.RoleConfidential, "")))
		if code == "" {
			return true // refused at the authorization endpoint
		}
		got, _ := exchangeOK(t, e, reference.RoleConfidential, code, oauth2.GenerateVerifier())
		return !got
	},
}, {
	weakness: reference.PKCEVerifierOptional,
	reason:   "RFC 7636 §4.6: a code bound to a challenge is not redeemed without a verifier",
	probe: func(t *testing.T, e *env) bool {
		code, _ := e.code(t, reference.RolePublic)
		got, _ := exchangeOK(t, e, reference.RolePublic, code, "")
		return !got
	},
}, {
	weakness: reference.PKCENoVerify,
	implies:  []reference.Weakness{reference.PKCEPlainDowngrade},
	reason:   "RFC 7636 §4.6: a verifier that does not match the challenge is refused",
	probe: func(t *testing.T, e *env) bool {
		code, _ := e.code(t, reference.RolePublic)
		got, _ := exchangeOK(t, e, reference.RolePublic, code, oauth2.GenerateVerifier())
		return !got
	},
}, {
	weakness: reference.PKCEPlainDowngrade,
	reason:   "RFC 7636 §4.6: the S256 challenge itself, sent as the verifier, is refused",
	probe: func(t *testing.T, e *env) bool {
		code, verifier := e.code(t, reference.RolePublic)
		got, _ := exchangeOK(t, e, reference.RolePublic, code, oauth2.S256ChallengeFromVerifier(verifier))
		return !got
	},
}, {
	weakness: reference.PKCELaxSyntax,
	reason:   "RFC 7636 §4.1-4.2: a malformed challenge and a short verifier are refused",
	probe: func(t *testing.T, e *env) bool {
		params := e.codeParams(t, reference.RolePublic, "")
		params.Set("code_challenge", "too-short")
		badChallenge := e.tryCode(t, params) != ""
		const short = "short-verifier"
		params = e.codeParams(t, reference.RolePublic, short)
		code := e.codeFor(t, params)
		shortVerifier, _ := exchangeOK(t, e, reference.RolePublic, code, short)
		return !badChallenge && !shortVerifier
	},
}, {
	weakness: reference.PKCEUnknownMethod,
	reason:   "RFC 7636 §4.4.1: an unknown code_challenge_method is an error",
	probe: func(t *testing.T, e *env) bool {
		params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
		params.Set("code_challenge_method", "S512")
		return e.tryCode(t, params) == ""
	},
}, {
	weakness: reference.RedirectPrefixMatch,
	reason:   "RFC 9700 §4.1.3: a redirect_uri that only starts with the registered one gets no code",
	probe: func(t *testing.T, e *env) bool {
		params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
		params.Set("redirect_uri", e.redirect+".attacker.example/x")
		return e.tryCode(t, params) == ""
	},
}, {
	weakness: reference.RedirectURINotChecked,
	reason:   "RFC 6749 §4.1.3: the token request's redirect_uri must equal the authorization request's",
	probe: func(t *testing.T, e *env) bool {
		code, verifier := e.code(t, reference.RoleConfidential)
		form := e.exchangeForm(code, verifier)
		form.Set("redirect_uri", "https://attacker.example/cb")
		return !ok(e.token(t, form, e.as(t, reference.RoleConfidential)))
	},
}, {
	weakness: reference.RefreshNoRotation,
	implies:  []reference.Weakness{reference.RefreshOldValid, reference.RefreshNoReuseDetect, reference.RefreshReuseKeepsAccess},
	reason:   "RFC 9700 §4.14.2: a refresh returns a new refresh token",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RoleConfidential)
		r := e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil)
		if !ok(r) {
			t.Fatalf("refresh: got %d\n%s", r.Status, r)
		}
		next, _ := r.JSON(t)["refresh_token"].(string)
		return next != "" && next != tok.RefreshToken
	},
}, {
	weakness: reference.RefreshOldValid,
	implies:  []reference.Weakness{reference.RefreshNoReuseDetect, reference.RefreshReuseKeepsAccess},
	reason:   "RFC 9700 §4.14.2: a rotated refresh token stops working",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RoleConfidential)
		if !ok(e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil)) {
			t.Fatalf("the first refresh failed")
		}
		return !ok(e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil))
	},
}, {
	weakness: reference.RefreshNoReuseDetect,
	implies:  []reference.Weakness{reference.RefreshReuseKeepsAccess},
	reason:   "RFC 9700 §4.14.2: replaying a rotated refresh token revokes the newest one and its access token",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RoleConfidential)
		r := e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil)
		if !ok(r) {
			t.Fatalf("the first refresh failed")
		}
		next := r.JSON(t)
		e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil) // the replay
		return !e.active(t, next["access_token"].(string)) &&
			!ok(e.refresh(t, reference.RoleConfidential, next["refresh_token"].(string), nil))
	},
}, {
	weakness: reference.RefreshNotClientBound,
	reason:   "RFC 6749 §6: another client cannot use the refresh token",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RoleConfidential)
		return !ok(e.refresh(t, reference.RoleConfidential2, tok.RefreshToken, nil))
	},
}, {
	weakness: reference.RefreshScopeEscalation,
	reason:   "RFC 6749 §6: a refresh cannot add a scope the grant lacks",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RoleConfidential)
		return !ok(e.refresh(t, reference.RoleConfidential, tok.RefreshToken, url.Values{"scope": {"openid profile email"}}))
	},
}, {
	weakness: reference.DeviceNoSlowDown,
	reason:   "RFC 8628 §3.5: a poll sooner than the interval gets slow_down",
	probe: func(t *testing.T, e *env) bool {
		got := pollPattern(t, e, 0, time.Second)
		return got[1] == "slow_down"
	},
}, {
	weakness: reference.DeviceSlowDownStrict,
	reason:   "RFC 8628 §3.5: after slow_down the interval grows by 5 s, so a client that adds 5 s is not slowed down again",
	probe: func(t *testing.T, e *env) bool {
		// 5 s interval: poll, poll too soon, then wait 5+5 s.
		got := pollPattern(t, e, 0, time.Second, 10*time.Second)
		return got[2] == "authorization_pending"
	},
}, {
	weakness: reference.DeviceCodeReuse,
	reason:   "a device_code yields tokens once",
	probe: func(t *testing.T, e *env) bool {
		d := e.startDevice(t, reference.RoleDevice)
		e.decideDevice(t, d, "approve")
		if !ok(e.pollDevice(t, reference.RoleDevice, d)) {
			t.Fatalf("the first poll after approval failed")
		}
		e.clock.Advance(5 * time.Second)
		return !ok(e.pollDevice(t, reference.RoleDevice, d))
	},
}, {
	weakness: reference.DeviceNoRateLimit,
	reason:   "RFC 8628 §5.1: wrong user codes are rate-limited",
	probe: func(t *testing.T, e *env) bool {
		b, page := e.deviceLogin(t)
		for range 5 {
			b.submitUserCode(t, page, "BBBB-BBBB")
		}
		return b.submitUserCode(t, page, "BBBB-BBBB").Status == http.StatusTooManyRequests
	},
}, {
	weakness: reference.CCPublicClient,
	reason:   "RFC 6749 §4.4: a public client gets no client_credentials token",
	probe: func(t *testing.T, e *env) bool {
		return !ok(e.token(t, ccForm(""), e.as(t, reference.RolePublic)))
	},
}, {
	weakness: reference.NoCacheHeaders,
	reason:   "RFC 6749 §5.1: token responses carry Cache-Control: no-store and Pragma: no-cache",
	probe: func(t *testing.T, e *env) bool {
		r := e.token(t, ccForm(""), e.as(t, e.ccRole))
		return r.Header.Get("Cache-Control") == "no-store" && r.Header.Get("Pragma") == "no-cache"
	},
}, {
	weakness: reference.NoIss,
	reason:   "RFC 9207 §2: the authorization response carries iss",
	probe: func(t *testing.T, e *env) bool {
		f := e.browser(t).authorize(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())), "approve")
		return f.Params.Get("iss") == e.url
	},
}, {
	weakness: reference.FramingAllowed,
	reason:   "RFC 9700 §4.16: pages forbid framing",
	probe: func(t *testing.T, e *env) bool {
		r := e.browser(t).get(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())))
		return r.Header.Get("Content-Security-Policy") == "frame-ancestors 'none'" && r.Header.Get("X-Frame-Options") == "DENY"
	},
}, {
	weakness: reference.OpenRedirect,
	reason:   "RFC 6749 §4.1.2.1: an unknown client gets an error page, not a redirect",
	probe: func(t *testing.T, e *env) bool {
		params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
		params.Set("client_id", "nobody")
		params.Set("redirect_uri", "https://attacker.example/cb")
		r := e.browser(t).get(t, e.authURL(params))
		return r.Header.Get("Location") == "" && r.Status == http.StatusBadRequest
	},
}, {
	weakness: reference.Redirect307,
	reason:   "RFC 9700 §4.12: a form post is answered with 303",
	probe: func(t *testing.T, e *env) bool {
		b := e.browser(t)
		page := b.get(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())))
		return b.login(t, page, e.user.Password).Status == http.StatusSeeOther
	},
}, {
	weakness: reference.PasswordGrant,
	reason:   "RFC 9700 §2.4: the password grant is refused",
	probe: func(t *testing.T, e *env) bool {
		form := url.Values{"grant_type": {"password"}, "username": {e.user.Username}, "password": {e.user.Password}}
		return !ok(e.token(t, form, e.as(t, reference.RoleConfidential)))
	},
}, {
	weakness: reference.IssuerMismatch,
	reason:   "RFC 8414 §3.3: the metadata's issuer is the issuer identifier",
	probe: func(t *testing.T, e *env) bool {
		return e.get(t, "/.well-known/oauth-authorization-server").JSON(t)["issuer"] == e.url
	},
}, {
	weakness: reference.MetadataIncomplete,
	reason:   "RFC 8414 §2: response_types_supported is REQUIRED",
	probe: func(t *testing.T, e *env) bool {
		_, ok := e.get(t, "/.well-known/oauth-authorization-server").JSON(t)["response_types_supported"]
		return ok
	},
}, {
	weakness: reference.MetadataNotJSON,
	reason:   "RFC 8414 §3.2: the metadata is application/json",
	probe: func(t *testing.T, e *env) bool {
		return strings.HasPrefix(e.get(t, "/.well-known/openid-configuration").Header.Get("Content-Type"), "application/json")
	},
}, {
	weakness: reference.PKCENotAdvertised,
	reason:   "RFC 9700 §2.1.1: PKCE support is detectable in the metadata",
	probe: func(t *testing.T, e *env) bool {
		_, ok := e.get(t, "/.well-known/oauth-authorization-server").JSON(t)["code_challenge_methods_supported"]
		return ok
	},
}, {
	weakness: reference.PKCES256Unsupported,
	broad:    true,
	reason:   "RFC 7636 §4.2: S256 is supported",
	probe: func(t *testing.T, e *env) bool {
		return e.tryCode(t, e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())) != ""
	},
}, {
	weakness: reference.JWKSPrivateKey,
	reason:   "OIDC Discovery §3: no private key material at jwks_uri",
	probe: func(t *testing.T, e *env) bool {
		return !strings.Contains(string(e.get(t, "/jwks").Body), `"d":`)
	},
}, {
	weakness: reference.CodeNoExpiry,
	reason:   "RFC 6749 §4.1.2: a code expires",
	probe: func(t *testing.T, e *env) bool {
		code, verifier := e.code(t, reference.RoleConfidential)
		e.clock.Advance(e.cfg.CodeTTL + time.Second)
		late, _ := exchangeOK(t, e, reference.RoleConfidential, code, verifier)
		return !late
	},
}, {
	weakness: reference.RegistrationLax,
	reason:   "RFC 9700 §2.6: no http redirect URI on a host that is not loopback",
	probe: func(t *testing.T, e *env) bool {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/register", strings.NewReader(`{"redirect_uris":["http://client.example/cb"],"token_endpoint_auth_method":"none"}`))
		req.Header.Set("Content-Type", "application/json")
		return e.do(t, req).Status == http.StatusBadRequest
	},
}, {
	weakness: reference.StateTruncated,
	reason:   "RFC 6749 §4.1.2: state comes back exactly",
	probe: func(t *testing.T, e *env) bool {
		params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
		long := strings.Repeat("s", 300)
		params.Set("state", long)
		return e.browser(t).authorize(t, e.authURL(params), "approve").Params.Get("state") == long
	},
}, {
	weakness: reference.ErrorNoState,
	reason:   "RFC 6749 §4.1.2.1: an error redirect carries the state",
	probe: func(t *testing.T, e *env) bool {
		params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
		f := e.browser(t).authorize(t, e.authURL(params), "deny")
		return f.Params.Get("error") == "access_denied" && f.Params.Get("state") == params.Get("state")
	},
}, {
	weakness: reference.RepeatedParamsAllowed,
	reason:   "RFC 6749 §3.1: a repeated parameter is refused",
	probe: func(t *testing.T, e *env) bool {
		params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
		params.Add("state", "other")
		return e.tryCode(t, params) == ""
	},
}, {
	weakness: reference.CCNoClientAuth,
	reason:   "RFC 6749 §4.4.2: client_credentials needs the client's secret",
	probe: func(t *testing.T, e *env) bool {
		a := e.client(t, reference.RoleConfidential)
		return !ok(e.token(t, ccForm(""), postAuth(a.ID, "")))
	},
}, {
	weakness: reference.CCRefreshToken,
	reason:   "RFC 6749 §4.4.3: no refresh token for client_credentials",
	probe: func(t *testing.T, e *env) bool {
		_, has := e.token(t, ccForm(""), e.as(t, e.ccRole)).JSON(t)["refresh_token"]
		return !has
	},
}, {
	weakness: reference.NoBasicAuth,
	broad:    true,
	reason:   "RFC 6749 §2.3.1: client_secret_basic works",
	probe: func(t *testing.T, e *env) bool {
		return ok(e.token(t, ccForm(""), e.as(t, e.ccRole)))
	},
}, {
	weakness: reference.BasicNoFormDecoding,
	reason:   "RFC 6749 §2.3.1: Basic credentials are form-decoded",
	probe: func(t *testing.T, e *env) bool {
		c := e.client(t, reference.RoleSpecial)
		return ok(e.token(t, ccForm(""), basicAuth(c.ID, c.Secret)))
	},
}, {
	weakness: reference.SecretInURI,
	reason:   "RFC 6749 §2.3.1: credentials in the URI are refused",
	probe: func(t *testing.T, e *env) bool {
		c := e.client(t, reference.RoleConfidential)
		q := url.Values{"client_id": {c.ID}, "client_secret": {c.Secret}}
		req, _ := http.NewRequest(http.MethodPost, e.url+"/token?"+q.Encode(), strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return !ok(e.do(t, req))
	},
}, {
	weakness: reference.NoClientAuthThrottle,
	reason:   "RFC 6749 §10.10: wrong secrets are throttled",
	probe: func(t *testing.T, e *env) bool {
		c := e.client(t, reference.RoleConfidential2)
		for range 20 {
			e.token(t, ccForm(""), basicAuth(c.ID, "wrong"))
		}
		return e.token(t, ccForm(""), basicAuth(c.ID, "wrong")).Status == http.StatusTooManyRequests
	},
}, {
	weakness: reference.TokenResponseIncomplete,
	reason:   "RFC 6749 §5.1: token_type is REQUIRED",
	probe: func(t *testing.T, e *env) bool {
		_, has := e.token(t, ccForm(""), e.as(t, e.ccRole)).JSON(t)["token_type"]
		return has
	},
}, {
	weakness: reference.TokenErrorHTML,
	reason:   "RFC 6749 §5.2: errors are JSON",
	probe: func(t *testing.T, e *env) bool {
		r := e.token(t, url.Values{"grant_type": {"foo"}}, e.as(t, reference.RoleConfidential))
		return strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && r.Error() == "unsupported_grant_type"
	},
}, {
	weakness: reference.InvalidClient400,
	reason:   "RFC 6749 §5.2: failed Basic authentication is 401 with WWW-Authenticate",
	probe: func(t *testing.T, e *env) bool {
		c := e.client(t, reference.RoleConfidential)
		r := e.token(t, ccForm(""), basicAuth(c.ID, "wrong"))
		return r.Status == http.StatusUnauthorized && strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic")
	},
}, {
	weakness: reference.TokenGetAllowed,
	reason:   "RFC 6749 §3.2: the token endpoint takes POST only",
	probe: func(t *testing.T, e *env) bool {
		c := e.client(t, reference.RoleConfidential)
		req, _ := http.NewRequest(http.MethodGet, e.url+"/token?grant_type=client_credentials", nil)
		basicAuth(c.ID, c.Secret)(req.Header, url.Values{})
		return !ok(e.do(t, req))
	},
}, {
	weakness: reference.TokenRepeatedParams,
	reason:   "RFC 6749 §3.2: a repeated parameter is invalid_request",
	probe: func(t *testing.T, e *env) bool {
		r := e.token(t, url.Values{"grant_type": {"client_credentials", "client_credentials"}}, e.as(t, reference.RoleConfidential))
		return r.Error() == "invalid_request"
	},
}, {
	weakness: reference.WeakTokens,
	reason:   "RFC 6749 §10.10: refresh tokens cannot be guessed",
	probe: func(t *testing.T, e *env) bool {
		return len(e.tokens(t, reference.RolePublic).RefreshToken) >= 43
	},
}, {
	weakness: reference.LongAccessTokens,
	reason:   "RFC 6750 §5.3: access tokens live at most an hour",
	probe: func(t *testing.T, e *env) bool {
		return e.token(t, ccForm(""), e.as(t, e.ccRole)).JSON(t)["expires_in"].(float64) <= 3600
	},
}, {
	weakness: reference.RefreshReuseKeepsAccess,
	implies:  []reference.Weakness{reference.RefreshNoReuseDetect},
	reason:   "OAuth 2.1 §4.3.1: reuse detection revokes the family's access tokens",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RolePublic)
		next := e.refresh(t, reference.RolePublic, tok.RefreshToken, nil)
		if !ok(next) {
			t.Fatalf("the first refresh failed:\n%s", next)
		}
		e.refresh(t, reference.RolePublic, tok.RefreshToken, nil) // replay
		return !e.active(t, next.JSON(t)["access_token"].(string))
	},
}, {
	weakness: reference.RefreshNoClientAuth,
	reason:   "RFC 6749 §6: a confidential client authenticates to refresh",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RoleConfidential)
		a := e.client(t, reference.RoleConfidential)
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
		return !ok(e.token(t, form, postAuth(a.ID, "")))
	},
}, {
	weakness: reference.RefreshNoExpiry,
	reason:   "RFC 9700 §4.14.2: an unused refresh token expires",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RolePublic)
		e.clock.Advance(e.cfg.RefreshTTL + time.Second)
		return !ok(e.refresh(t, reference.RolePublic, tok.RefreshToken, nil))
	},
}, {
	weakness: reference.RevokeNoop,
	implies:  []reference.Weakness{reference.RevokeNoCascade, reference.RevokeHintStrict},
	reason:   "RFC 7009 §2.1: a revoked refresh token stops working",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RoleConfidential)
		e.post(t, "/revoke", url.Values{"token": {tok.RefreshToken}}, e.as(t, reference.RoleConfidential))
		return !ok(e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil))
	},
}, {
	weakness: reference.RevokeAccessNoop,
	reason:   "RFC 7009 §2: a revoked access token stops working",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RoleConfidential)
		e.post(t, "/revoke", url.Values{"token": {tok.AccessToken}}, e.as(t, reference.RoleConfidential))
		return !e.active(t, tok.AccessToken)
	},
}, {
	weakness: reference.RevokeNoCascade,
	reason:   "RFC 7009 §2.1: revoking a refresh token revokes its access tokens",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RoleConfidential)
		e.post(t, "/revoke", url.Values{"token": {tok.RefreshToken}}, e.as(t, reference.RoleConfidential))
		return !e.active(t, tok.AccessToken)
	},
}, {
	weakness: reference.RevokeNoClientAuth,
	reason:   "RFC 7009 §2.1: a confidential client authenticates to revoke",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RoleConfidential)
		a := e.client(t, reference.RoleConfidential)
		e.post(t, "/revoke", url.Values{"token": {tok.RefreshToken}}, postAuth(a.ID, ""))
		return ok(e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil))
	},
}, {
	weakness: reference.RevokeCrossClient,
	reason:   "RFC 7009 §2.1: another client's token is not revoked",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RoleConfidential)
		e.post(t, "/revoke", url.Values{"token": {tok.RefreshToken}}, e.as(t, reference.RoleConfidential2))
		return ok(e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil))
	},
}, {
	weakness: reference.RevokeHintStrict,
	reason:   "RFC 7009 §2.1: a wrong token_type_hint does not stop revocation",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RoleConfidential)
		e.post(t, "/revoke", url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"access_token"}}, e.as(t, reference.RoleConfidential))
		return !ok(e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil))
	},
}, {
	weakness: reference.IntrospectNoAuth,
	reason:   "RFC 7662 §2.1: introspection needs client authentication",
	probe: func(t *testing.T, e *env) bool {
		return e.post(t, "/introspect", url.Values{"token": {"x"}}, noAuth).Status == http.StatusUnauthorized
	},
}, {
	weakness: reference.IntrospectVerbose,
	reason:   "RFC 7662 §2.2: an inactive token gets {\"active\":false} alone",
	probe: func(t *testing.T, e *env) bool {
		return len(e.introspect(t, "not-a-token")) == 1
	},
}, {
	weakness: reference.IntrospectWrongClient,
	reason:   "RFC 7662 §2.2: client_id is the token's client",
	probe: func(t *testing.T, e *env) bool {
		tok := e.tokens(t, reference.RolePublic)
		return e.introspect(t, tok.AccessToken)["client_id"] == e.client(t, reference.RolePublic).ID
	},
}, {
	weakness: reference.ImplicitGrant,
	reason:   "RFC 9700 §2.1.2: the implicit grant is off",
	probe: func(t *testing.T, e *env) bool {
		return !strings.Contains(e.get(t, "/.well-known/oauth-authorization-server").String(), `"token"`)
	},
}, {
	weakness: reference.ImplicitRefreshToken,
	reason:   "RFC 6749 §4.2.2: the implicit grant issues no refresh token",
	probe: func(t *testing.T, e *env) bool {
		f := implicitTwin(t, e).implicit(t, "")
		return f.Params.Get("access_token") != "" && f.Params.Get("refresh_token") == ""
	},
}, {
	weakness: reference.ImplicitQuery,
	reason:   "RFC 6749 §4.2.2: tokens are never sent in the query",
	probe: func(t *testing.T, e *env) bool {
		f := implicitTwin(t, e).implicit(t, "query")
		return f.Redirect == nil || f.Redirect.Query().Get("access_token") == ""
	},
}, {
	weakness: reference.IssMismatch,
	implies:  []reference.Weakness{reference.NoIss},
	reason:   "RFC 9207 §2: an iss sent is the issuer",
	probe: func(t *testing.T, e *env) bool {
		f := e.browser(t).authorize(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())), "approve")
		iss := f.Params.Get("iss")
		return iss == "" || iss == e.url
	},
}, {
	weakness: reference.ErrorBeforeLogin,
	reason:   "RFC 9700 §4.11.2: no error redirect before the user logs in",
	probe: func(t *testing.T, e *env) bool {
		params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
		params.Set("scope", "nonexistent")
		return e.browser(t).get(t, e.authURL(params)).Header.Get("Location") == ""
	},
}, {
	weakness: reference.JWTTypJWT,
	reason:   "RFC 9068 §2.1: typ is at+jwt",
	probe: func(t *testing.T, e *env) bool {
		at := e.token(t, ccForm(""), e.as(t, e.ccRole)).JSON(t)["access_token"].(string)
		return strings.Contains(jwtPart(t, at, 0), `"typ":"at+jwt"`)
	},
}, {
	weakness: reference.JWTUnknownKid,
	reason:   "RFC 9068 §2.1: the kid is in the JWK Set",
	probe: func(t *testing.T, e *env) bool {
		at := e.token(t, ccForm(""), e.as(t, e.ccRole)).JSON(t)["access_token"].(string)
		return !strings.Contains(jwtPart(t, at, 0), "oauthcheck-unknown-key")
	},
}, {
	weakness: reference.JWTNoJTI,
	reason:   "RFC 9068 §2.2: jti is REQUIRED",
	probe: func(t *testing.T, e *env) bool {
		at := e.token(t, ccForm(""), e.as(t, e.ccRole)).JSON(t)["access_token"].(string)
		return strings.Contains(jwtPart(t, at, 1), `"jti"`)
	},
}}

// jwtPart decodes part i (0 header, 1 claims) of a compact JWS.
func jwtPart(t *testing.T, jws string, i int) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(jws, ".")[i])
	if err != nil {
		t.Fatalf("JWS part %d: %v", i, err)
	}
	return string(raw)
}

// implicitTwin starts a server like e's, weaknesses and all, with the
// implicit grant switched on.
func implicitTwin(t *testing.T, e *env) *env {
	t.Helper()
	var names []string
	for _, w := range e.srv.Weaknesses() {
		names = append(names, string(w))
	}
	return start(t, func(c *reference.Config) { c.Implicit = true }, reference.WithWeakness(names...))
}

// implicit runs an approved implicit authorization of the public client.
func (e *env) implicit(t *testing.T, mode string) *flow {
	t.Helper()
	params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
	params.Set("response_type", "token")
	params.Del("code_challenge")
	params.Del("code_challenge_method")
	if mode != "" {
		params.Set("response_mode", mode)
	}
	return e.browser(t).authorize(t, e.authURL(params), "approve")
}

// Every weakness has a probe: a new weakness cannot go untested.
func TestEveryWeaknessHasAProbe(t *testing.T) {
	probes := map[reference.Weakness]int{}
	for _, p := range weaknessProbes {
		probes[p.weakness]++
	}
	for _, w := range reference.AllWeaknesses() {
		switch probes[w.Name] {
		case 0:
			t.Errorf("weakness %s (%s) has no entry in weaknessProbes", w.Name, w.Protection)
		case 1:
		default:
			t.Errorf("weakness %s has %d entries in weaknessProbes; want 1", w.Name, probes[w.Name])
		}
		delete(probes, w.Name)
	}
	for w := range probes {
		t.Errorf("weaknessProbes has %s, which AllWeaknesses does not list", w)
	}
}

// Each weakness switches off exactly its protection: its probe holds on the
// strict server and fails on the weakened one; every other probe holds on
// the weakened server too, except those it is documented to imply.
func TestWeaknessesFlipExactlyTheirProtection(t *testing.T) {
	t.Run("strict", func(t *testing.T) {
		t.Parallel()
		for _, p := range weaknessProbes {
			if !p.probe(t, start(t, nil)) {
				t.Errorf("%s: the strict server does not hold: %s", p.weakness, p.reason)
			}
		}
	})
	broad := map[reference.Weakness]bool{}
	for _, p := range weaknessProbes {
		broad[p.weakness] = p.broad
	}
	for _, w := range reference.AllWeaknesses() {
		t.Run(string(w.Name), func(t *testing.T) {
			t.Parallel()
			var defeated []reference.Weakness
			for _, p := range weaknessProbes {
				if broad[w.Name] && p.weakness != w.Name {
					continue
				}
				if !p.probe(t, startWeak(t, w.Name)) {
					defeated = append(defeated, p.weakness)
				}
			}
			want := []reference.Weakness{w.Name}
			for _, p := range weaknessProbes {
				if p.weakness == w.Name {
					want = append(want, p.implies...)
				}
			}
			order := func(a, b reference.Weakness) int { return strings.Compare(string(a), string(b)) }
			slices.SortFunc(want, order)
			slices.SortFunc(defeated, order)
			if diff := cmp.Diff(want, defeated); diff != "" {
				t.Errorf("protections defeated under %s mismatch (-want +got):\n%s", w.Name, diff)
			}
		})
	}
}

func TestWeaknessCatalogue(t *testing.T) {
	all := reference.AllWeaknesses()
	seen := map[reference.Weakness]bool{}
	for _, w := range all {
		if seen[w.Name] {
			t.Errorf("weakness %s is listed twice", w.Name)
		}
		seen[w.Name] = true
		if w.Protection == "" {
			t.Errorf("weakness %s has no protection text", w.Name)
		}
		got, err := reference.ParseWeakness(string(w.Name))
		if err != nil || got != w.Name {
			t.Errorf("ParseWeakness(%q) = %q, %v; want %q", w.Name, got, err, w.Name)
		}
	}
	names := reference.WeaknessNames()
	if len(names) != len(all) || !slices.IsSorted(names) {
		t.Errorf("WeaknessNames: %d names, sorted %v; want %d, sorted", len(names), slices.IsSorted(names), len(all))
	}
	// AllWeaknesses returns a copy.
	all[0].Name = "mutated"
	if reference.AllWeaknesses()[0].Name == "mutated" {
		t.Errorf("AllWeaknesses shares its slice with the caller")
	}
}

// ParseWeakness names the valid weaknesses when it does not know one.
func TestParseWeaknessUnknown(t *testing.T) {
	for _, name := range []string{"no-such-weakness", "", "CODE-REUSE"} {
		_, err := reference.ParseWeakness(name)
		if err == nil {
			t.Errorf("ParseWeakness(%q): got no error", name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `unknown weakness "`+name+`"`) {
			t.Errorf("ParseWeakness(%q): error %q does not name the input", name, msg)
		}
		for _, valid := range reference.WeaknessNames() {
			if !strings.Contains(msg, valid) {
				t.Errorf("ParseWeakness(%q): error does not list %s", name, valid)
			}
		}
	}
	if got, err := reference.ParseWeakness("  code-reuse "); err != nil || got != reference.CodeReuse {
		t.Errorf("ParseWeakness with spaces: got %q, %v; want code-reuse", got, err)
	}
}
