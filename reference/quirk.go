package reference

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Quirk names a behaviour of the reference server that the RFCs allow and
// real servers show, but that a careless harness could take for a fault:
// the mirror of a [Weakness]. Under any quirk the server stays compliant,
// so no check may FAIL against it.
type Quirk string

// The quirks.
const (
	// QuirkLoopbackRedirect registers [LoopbackRedirectURI] instead of
	// [DefaultRedirectURI] for the clients of [DefaultConfig].
	QuirkLoopbackRedirect Quirk = "redirect-loopback-ip"
	// QuirkJWTNot9068 issues plain JWT access tokens, not RFC 9068 ones.
	QuirkJWTNot9068 Quirk = "jwt-not-9068"
	// QuirkRefreshGrace keeps a rotated refresh token usable for
	// [QuirkRefreshGraceWindow].
	QuirkRefreshGrace Quirk = "refresh-grace-10s"
	// QuirkRevocationEventual delays every revocation by
	// [QuirkRevocationDelay].
	QuirkRevocationEventual Quirk = "revocation-eventual"
	// QuirkThrottlePerClient counts the device polling interval per client.
	QuirkThrottlePerClient Quirk = "throttle-per-client"
	// QuirkRefreshOfflineAccess issues refresh tokens only for the
	// offline_access scope.
	QuirkRefreshOfflineAccess Quirk = "refresh-offline-access"
	// QuirkCCNotForConfidential refuses client_credentials to the
	// confidential role's client.
	QuirkCCNotForConfidential Quirk = "cc-not-for-confidential"
	// QuirkConsentNoDeny leaves the Deny button off the decision pages.
	QuirkConsentNoDeny Quirk = "consent-no-deny"
	// QuirkJWTJTIUUID puts a UUIDv4 in the jti of the access tokens.
	QuirkJWTJTIUUID Quirk = "jwt-jti-uuid"
	// QuirkLockout403 answers throttled requests with a 403 HTML page.
	QuirkLockout403 Quirk = "lockout-403"
	// QuirkScopeReordered returns granted scopes in reverse order.
	QuirkScopeReordered Quirk = "scope-reordered"
	// QuirkJSLogin turns the login and consent pages into a script app.
	QuirkJSLogin Quirk = "js-login"
	// QuirkLogoutKeepsRefresh asks the person to confirm a logout and
	// leaves refresh tokens working after it.
	QuirkLogoutKeepsRefresh Quirk = "logout-keeps-refresh"
	// QuirkNonceOpenIDOnly refuses a nonce in an authorization request
	// whose scope does not hold openid.
	QuirkNonceOpenIDOnly Quirk = "nonce-openid-only"
	// QuirkConsentRemembered skips the consent page for what a session
	// has approved before, for public clients too (the strict server
	// remembers it for confidential clients only).
	QuirkConsentRemembered Quirk = "consent-remembered"
)

// LoopbackRedirectURI is the redirect URI of the clients of [DefaultConfig]
// under [QuirkLoopbackRedirect]: a loopback IP literal, for which any port
// is accepted at the authorization endpoint (RFC 8252 §7.3).
const LoopbackRedirectURI = "http://127.0.0.1:8765/cb"

const (
	// QuirkRefreshGraceWindow is the [Config.RefreshGrace] that
	// [QuirkRefreshGrace] sets.
	QuirkRefreshGraceWindow = 10 * time.Second
	// QuirkRevocationDelay is how long a revocation takes to take effect
	// under [QuirkRevocationEventual].
	QuirkRevocationDelay = 1500 * time.Millisecond
	// ScopeOfflineAccess is the scope that asks for a refresh token under
	// [QuirkRefreshOfflineAccess] (OpenID Connect Core §11).
	ScopeOfflineAccess = "offline_access"
)

// QuirkInfo describes a [Quirk].
type QuirkInfo struct {
	Name Quirk `json:"name"`
	// Behaviour is what the server then does, and why that is allowed.
	Behaviour string `json:"behaviour"`
}

var quirks = []QuirkInfo{
	{QuirkLoopbackRedirect, "the clients of the default config have the redirect URI " + LoopbackRedirectURI + " instead of " + DefaultRedirectURI + "; any port is accepted for it (RFC 8252 §7.3)"},
	{QuirkJWTNot9068, "access tokens are JWTs typed JWT, without client_id and jti (azp and uti instead): a server that does not claim RFC 9068"},
	{QuirkJWTJTIUUID, "the access tokens' jti is a UUIDv4 (122 random bits), as Keycloak's is: a signed JWT cannot be guessed without the signing key, and a jti only has to be unique (RFC 7519 §4.1.7)"},
	{QuirkRefreshGrace, "a rotated refresh token stays usable for 10 s and gets a fresh token pair there, as Auth0's and Okta's leeway; a replay after that is reuse (RFC 9700 §4.14.2 leaves the detection to the server)"},
	{QuirkRevocationEventual, "revocations (endpoint, code replay, refresh reuse, logout) take effect 1.5 s later, as in a replicated store (RFC 7009 §2.1: there could be a propagation delay)"},
	{QuirkThrottlePerClient, "the device polling interval and slow_down are counted per client, across all of its device codes (RFC 8628 §3.5 leaves the measure to the server)"},
	{QuirkRefreshOfflineAccess, "offline_access is a scope; refresh tokens are issued only when it was asked for and granted (OpenID Connect Core §11; RFC 6749 §5.1: the refresh token is OPTIONAL)"},
	{QuirkCCNotForConfidential, "the confidential role's client (oauthcheck-a) may not use client_credentials: 400 unauthorized_client (RFC 6749 §5.2); the confidential2 client still may"},
	{QuirkConsentNoDeny, "the consent and device decision pages have no Deny button, only Allow"},
	{QuirkLockout403, "wrong user codes and wrong client secrets, once throttled, get a 403 HTML page instead of 429"},
	{QuirkScopeReordered, "the granted scope comes back in reverse order in token and introspection responses: the same set (RFC 6749 §3.3: the scope is unordered)"},
	{QuirkLogoutKeepsRefresh, "the end-session endpoint asks the person to confirm (\"Yes, sign me out\"), as node-oidc-provider and Keycloak do, and the logout leaves the refresh tokens of the session's grants working (RFC 9700 §4.14.2: they MAY be revoked on logout)"},
	{QuirkJSLogin, "the login and consent pages are a script app: login in two steps posted by fetch(), scopes as unticked checkboxes, and a \"Continue\" page before the redirect"},
	{QuirkConsentRemembered, "a session that approved a public client's request is not asked again for that client and no more scope (the strict server remembers consent for confidential clients only): the authorization completes without a consent page, as node-oidc-provider's grants and zitadel's login do"},
	{QuirkNonceOpenIDOnly, "an authorization request with a nonce but without openid in its scope is refused with invalid_request, as node-oidc-provider does: the nonce is an OpenID Connect parameter (OpenID Connect Core §3.1.2.1), and a request without openid is no OpenID Connect request"},
}

// AllQuirks returns every quirk, in a stable order.
func AllQuirks() []QuirkInfo { return slices.Clone(quirks) }

// QuirkNames returns the names of every quirk, sorted.
func QuirkNames() []string {
	var names []string
	for _, q := range quirks {
		names = append(names, string(q.Name))
	}
	sort.Strings(names)
	return names
}

// ParseQuirk returns the quirk called name, or an error that lists the
// valid names.
func ParseQuirk(name string) (Quirk, error) {
	name = strings.TrimSpace(name)
	for _, q := range quirks {
		if string(q.Name) == name {
			return q.Name, nil
		}
	}
	return "", fmt.Errorf("reference: unknown quirk %q; valid: %s", name, strings.Join(QuirkNames(), ", "))
}

// WithQuirk switches on the quirks named, each a [Quirk].
func WithQuirk(names ...string) Option {
	return func(s *Server) error {
		for _, n := range names {
			q, err := ParseQuirk(n)
			if err != nil {
				return err
			}
			s.quirk[q] = true
		}
		return nil
	}
}

// Quirks returns the quirks switched on, in the order of [AllQuirks].
func (s *Server) Quirks() []Quirk {
	var out []Quirk
	for _, q := range quirks {
		if s.quirk[q.Name] {
			out = append(out, q.Name)
		}
	}
	return out
}

func (s *Server) quirked(q Quirk) bool { return s.quirk[q] }

// applyQuirks makes the changes to the configuration that quirks need,
// before the clients are registered. s.cfg's clients are the server's own
// copies.
func (s *Server) applyQuirks() {
	cfg := &s.cfg
	if s.quirked(QuirkLoopbackRedirect) {
		for i := range cfg.Clients {
			for j, u := range cfg.Clients[i].RedirectURIs {
				if u == DefaultRedirectURI {
					cfg.Clients[i].RedirectURIs[j] = LoopbackRedirectURI
				}
			}
		}
	}
	if s.quirked(QuirkRefreshGrace) {
		cfg.RefreshGrace = QuirkRefreshGraceWindow
	}
	if s.quirked(QuirkRefreshOfflineAccess) && !slices.Contains(cfg.Scopes, ScopeOfflineAccess) {
		cfg.Scopes = append(slices.Clip(cfg.Scopes), ScopeOfflineAccess)
	}
	if s.quirked(QuirkCCNotForConfidential) {
		// The client that the config file's confidential role gets: the
		// first confidential one that is not a device client.
		for i := range cfg.Clients {
			c := &cfg.Clients[i]
			if c.Public() || (c.allowsGrant(GrantDeviceCode) && len(c.RedirectURIs) == 0) {
				continue
			}
			c.GrantTypes = slices.DeleteFunc(c.GrantTypes, func(g string) bool { return g == "client_credentials" })
			break
		}
	}
}

// revocationTime is when a revocation decided now takes effect: now, or
// later under [QuirkRevocationEventual].
func (s *Server) revocationTime(now time.Time) time.Time {
	if s.quirked(QuirkRevocationEventual) {
		return now.Add(QuirkRevocationDelay)
	}
	return now
}

// grantsRefresh reports whether a grant of scope gets refresh tokens from
// a client that may use them: always, or under
// [QuirkRefreshOfflineAccess] only with offline_access.
func (s *Server) grantsRefresh(scope string) bool {
	return !s.quirked(QuirkRefreshOfflineAccess) || hasScope(scope, ScopeOfflineAccess)
}

// scopeOut is scope as the server sends it back: as stored, or reversed
// under [QuirkScopeReordered].
func (s *Server) scopeOut(scope string) string {
	if !s.quirked(QuirkScopeReordered) {
		return scope
	}
	f := strings.Fields(scope)
	slices.Reverse(f)
	return strings.Join(f, " ")
}
