package reference

import (
	"fmt"
	"sort"
	"strings"
)

// Weakness names one protection of the reference server that can be
// switched off, so that the check which tests that protection can be shown
// to fail.
type Weakness string

// The weaknesses. Each switches off exactly one protection.
const (
	CodeReuse              Weakness = "code-reuse"
	CodeReplayKeepsTokens  Weakness = "code-replay-keeps-tokens"
	CodeNotClientBound     Weakness = "code-not-client-bound"
	PKCEOptional           Weakness = "pkce-optional"
	PKCEOptionalConf       Weakness = "pkce-optional-confidential"
	PKCEPlain              Weakness = "pkce-plain"
	PKCEDowngrade          Weakness = "pkce-downgrade"
	PKCEVerifierOptional   Weakness = "pkce-verifier-optional"
	PKCENoVerify           Weakness = "pkce-no-verify"
	PKCEPlainDowngrade     Weakness = "pkce-plain-downgrade"
	PKCELaxSyntax          Weakness = "pkce-lax-syntax"
	PKCEUnknownMethod      Weakness = "pkce-unknown-method"
	RedirectPrefixMatch    Weakness = "redirect-prefix-match"
	RedirectURINotChecked  Weakness = "redirect-uri-not-checked"
	RefreshNoRotation      Weakness = "refresh-no-rotation"
	RefreshOldValid        Weakness = "refresh-old-valid"
	RefreshNoReuseDetect   Weakness = "refresh-no-reuse-detection"
	RefreshNotClientBound  Weakness = "refresh-not-client-bound"
	RefreshScopeEscalation Weakness = "refresh-scope-escalation"
	DeviceNoSlowDown       Weakness = "device-no-slow-down"
	DeviceSlowDownStrict   Weakness = "device-slow-down-strict"
	DeviceCodeReuse        Weakness = "device-code-reuse"
	DeviceNoRateLimit      Weakness = "device-no-rate-limit"
	CCPublicClient         Weakness = "cc-public-client"
	NoCacheHeaders         Weakness = "no-cache-headers"
	NoIss                  Weakness = "no-iss"
	FramingAllowed         Weakness = "framing-allowed"
	OpenRedirect           Weakness = "open-redirect"
	Redirect307            Weakness = "redirect-307"
	PasswordGrant          Weakness = "password-grant"
	IssuerMismatch         Weakness = "issuer-mismatch"
	MetadataIncomplete     Weakness = "metadata-incomplete"
	MetadataNotJSON        Weakness = "metadata-not-json"
	PKCENotAdvertised      Weakness = "pkce-not-advertised"
	PKCES256Unsupported    Weakness = "pkce-s256-unsupported"
	JWKSPrivateKey         Weakness = "jwks-private-key"
	CodeNoExpiry           Weakness = "code-no-expiry"
	RegistrationLax        Weakness = "registration-lax"
	StateTruncated         Weakness = "state-truncated"
	ErrorNoState           Weakness = "error-no-state"
	RepeatedParamsAllowed  Weakness = "repeated-params-allowed"

	CCNoClientAuth          Weakness = "cc-no-client-auth"
	CCRefreshToken          Weakness = "cc-refresh-token"
	NoBasicAuth             Weakness = "no-basic-auth"
	BasicNoFormDecoding     Weakness = "basic-no-form-decoding"
	SecretInURI             Weakness = "secret-in-uri"
	NoClientAuthThrottle    Weakness = "no-client-auth-throttle"
	TokenResponseIncomplete Weakness = "token-response-incomplete"
	TokenErrorHTML          Weakness = "token-error-html"
	InvalidClient400        Weakness = "invalid-client-400"
	TokenGetAllowed         Weakness = "token-get-allowed"
	TokenRepeatedParams     Weakness = "token-repeated-params"
	WeakTokens              Weakness = "weak-tokens"
	LongAccessTokens        Weakness = "long-access-tokens"
	RefreshReuseKeepsAccess Weakness = "refresh-reuse-keeps-access"
	RefreshNoClientAuth     Weakness = "refresh-no-client-auth"
	RefreshNoExpiry         Weakness = "refresh-no-expiry"
	RevokeNoop              Weakness = "revoke-noop"
	RevokeAccessNoop        Weakness = "revoke-access-noop"
	RevokeNoCascade         Weakness = "revoke-no-cascade"
	RevokeNoClientAuth      Weakness = "revoke-no-client-auth"
	RevokeCrossClient       Weakness = "revoke-cross-client"
	RevokeHintStrict        Weakness = "revoke-hint-strict"
	IntrospectNoAuth        Weakness = "introspect-no-auth"
	IntrospectVerbose       Weakness = "introspect-inactive-verbose"
	IntrospectWrongClient   Weakness = "introspect-wrong-client-id"
	ImplicitGrant           Weakness = "implicit-grant"
	ImplicitRefreshToken    Weakness = "implicit-refresh-token"
	ImplicitQuery           Weakness = "implicit-query"
	IssMismatch             Weakness = "iss-mismatch"
	ErrorBeforeLogin        Weakness = "error-before-login"
	JWTTypJWT               Weakness = "jwt-typ-jwt"
	JWTUnknownKid           Weakness = "jwt-unknown-kid"
	JWTNoJTI                Weakness = "jwt-no-jti"
	TokenTextPlain          Weakness = "token-text-plain"
	TLSLegacyVersions       Weakness = "tls-legacy-versions"
	HTTPEndpointsToo        Weakness = "http-endpoints-too"
	TLSUntrustedCert        Weakness = "tls-untrusted-certificate"
	LogoutOpenRedirect      Weakness = "logout-open-redirect"
	LoginOpenRedirect       Weakness = "login-open-redirect"
)

// WeaknessInfo describes a [Weakness].
type WeaknessInfo struct {
	Name Weakness `json:"name"`
	// Protection is what the strict server does and the weakness undoes.
	// The checks that must then FAIL or WARN declare it as their negative
	// control, beside their bodies (oauthcheck reference --help lists them).
	Protection string `json:"protection"`
}

var weaknesses = []WeaknessInfo{
	{CodeReuse, "an authorization code is redeemed once (RFC 6749 §4.1.2)"},
	{CodeReplayKeepsTokens, "replaying a used code revokes the tokens issued from it (RFC 6749 §4.1.2)"},
	{CodeNotClientBound, "a code is redeemed only by the client it was issued to (RFC 6749 §4.1.3)"},
	{PKCEOptional, "public clients must send a PKCE code_challenge (OAuth 2.1 §4.1.2.1)"},
	{PKCEOptionalConf, "confidential clients must send a PKCE code_challenge (RFC 9700 §2.1.1)"},
	{PKCEPlain, "code_challenge_method=plain is refused (RFC 7636 §7.2)"},
	{PKCEDowngrade, "a code_verifier for a code without a challenge is refused (RFC 9700 §4.8.2); implies PKCE-less requests from confidential clients"},
	{PKCEVerifierOptional, "a code bound to a challenge needs a code_verifier (RFC 7636 §4.6)"},
	{PKCENoVerify, "the code_verifier must match the challenge (RFC 7636 §4.6)"},
	{PKCEPlainDowngrade, "the verifier is checked with the method bound at authorization (RFC 7636 §4.6)"},
	{PKCELaxSyntax, "verifiers and challenges must follow the RFC 7636 §4.1-4.2 syntax"},
	{PKCEUnknownMethod, "an unknown code_challenge_method is an error (RFC 7636 §4.4.1)"},
	{RedirectPrefixMatch, "redirect_uri is compared with the registered URIs exactly (RFC 9700 §4.1.3)"},
	{RedirectURINotChecked, "the token request's redirect_uri must equal the authorization request's (RFC 6749 §4.1.3)"},
	{RefreshNoRotation, "every refresh issues a new refresh token (RFC 9700 §4.14.2)"},
	{RefreshOldValid, "a rotated refresh token stops working (RFC 9700 §4.14.2)"},
	{RefreshNoReuseDetect, "replaying a rotated refresh token revokes the whole family (RFC 9700 §4.14.2)"},
	{RefreshNotClientBound, "a refresh token is used only by its client (RFC 6749 §6)"},
	{RefreshScopeEscalation, "a refresh cannot widen the scope (RFC 6749 §6)"},
	{DeviceNoSlowDown, "polling faster than the interval gets slow_down (RFC 8628 §3.5)"},
	{DeviceSlowDownStrict, "slow_down raises the interval by exactly 5 s (not 10), so a client that follows RFC 8628 §3.5 is never slowed down again"},
	{DeviceCodeReuse, "a device_code yields tokens once"},
	{DeviceNoRateLimit, "wrong user codes on the verification page are rate-limited (RFC 8628 §5.1)"},
	{CCPublicClient, "client_credentials is for confidential clients only (RFC 6749 §4.4)"},
	{NoCacheHeaders, "responses with tokens carry Cache-Control: no-store and Pragma: no-cache (RFC 6749 §5.1)"},
	{NoIss, "every authorization response carries iss (RFC 9207 §2)"},
	{FramingAllowed, "every page forbids framing with CSP frame-ancestors and X-Frame-Options (RFC 9700 §4.16)"},
	{OpenRedirect, "an unknown client or unregistered redirect_uri gets an error page, never a redirect (RFC 6749 §4.1.2.1)"},
	{Redirect307, "form posts are answered with 303 (RFC 9700 §4.12)"},
	{PasswordGrant, "the password grant is refused and not advertised (RFC 9700 §2.4)"},
	{IssuerMismatch, "the metadata's issuer is identical to the issuer identifier (RFC 8414 §3.3)"},
	{MetadataIncomplete, "the metadata has every REQUIRED member (RFC 8414 §2)"},
	{MetadataNotJSON, "the metadata is served as application/json (RFC 8414 §3.2)"},
	{PKCENotAdvertised, "the metadata lists code_challenge_methods_supported (RFC 9700 §2.1.1)"},
	{PKCES256Unsupported, "code_challenge_method=S256 is supported (RFC 7636 §4.2)"},
	{JWKSPrivateKey, "the JWK Set holds public keys only (OIDC Discovery §3)"},
	{CodeNoExpiry, "authorization codes expire (RFC 6749 §4.1.2)"},
	{RegistrationLax, "dynamic registration refuses http redirect URIs but on loopback (RFC 9700 §2.6)"},
	{StateTruncated, "state comes back unchanged, however long (RFC 6749 §4.1.2)"},
	{ErrorNoState, "error redirects carry the state (RFC 6749 §4.1.2.1)"},
	{RepeatedParamsAllowed, "a repeated authorization request parameter is invalid_request (RFC 6749 §3.1)"},
	{CCNoClientAuth, "client_credentials needs client authentication (RFC 6749 §4.4.2)"},
	{CCRefreshToken, "client_credentials issues no refresh token (RFC 6749 §4.4.3)"},
	{NoBasicAuth, "HTTP Basic client authentication works (RFC 6749 §2.3.1)"},
	{BasicNoFormDecoding, "Basic credentials are form-decoded (RFC 6749 §2.3.1)"},
	{SecretInURI, "client credentials in the request URI are refused (RFC 6749 §2.3.1)"},
	{NoClientAuthThrottle, "wrong client secrets are throttled (RFC 6749 §10.10)"},
	{TokenResponseIncomplete, "token responses carry token_type (RFC 6749 §5.1)"},
	{TokenErrorHTML, "token errors are JSON (RFC 6749 §5.2)"},
	{InvalidClient400, "a failed Basic authentication is 401 with WWW-Authenticate (RFC 6749 §5.2)"},
	{TokenGetAllowed, "the token endpoint takes POST only (RFC 6749 §3.2)"},
	{TokenRepeatedParams, "a repeated token request parameter is invalid_request (RFC 6749 §3.2)"},
	{WeakTokens, "refresh tokens carry 256 random bits (RFC 6749 §10.10)"},
	{LongAccessTokens, "access tokens live at most an hour (RFC 6750 §5.3)"},
	{RefreshReuseKeepsAccess, "reuse detection revokes the family's access tokens too (OAuth 2.1 §4.3.1)"},
	{RefreshNoClientAuth, "a confidential client authenticates to refresh (RFC 6749 §6)"},
	{RefreshNoExpiry, "refresh tokens expire when unused (RFC 9700 §4.14.2)"},
	{RevokeNoop, "revoking a refresh token revokes it (RFC 7009 §2.1)"},
	{RevokeAccessNoop, "revoking an access token revokes it (RFC 7009 §2)"},
	{RevokeNoCascade, "revoking a refresh token revokes its access tokens (RFC 7009 §2.1)"},
	{RevokeNoClientAuth, "revocation needs client authentication (RFC 7009 §2.1)"},
	{RevokeCrossClient, "a client cannot revoke another client's token (RFC 7009 §2.1)"},
	{RevokeHintStrict, "a wrong token_type_hint does not stop revocation (RFC 7009 §2.1)"},
	{IntrospectNoAuth, "introspection needs client authentication (RFC 7662 §2.1)"},
	{IntrospectVerbose, "an inactive token gets {\"active\":false} and nothing more (RFC 7662 §2.2)"},
	{IntrospectWrongClient, "introspection names the token's own client_id (RFC 7662 §2.2)"},
	{ImplicitGrant, "the implicit grant (response_type=token) is off (RFC 9700 §2.1.2)"},
	{ImplicitRefreshToken, "the implicit grant issues no refresh token (RFC 6749 §4.2.2)"},
	{ImplicitQuery, "tokens are never sent in the query (RFC 6749 §4.2.2)"},
	{IssMismatch, "the iss of an authorization response is the issuer, byte for byte (RFC 9207 §2)"},
	{ErrorBeforeLogin, "an unauthenticated user is not redirected with an error before login (RFC 9700 §4.11.2)"},
	{JWTTypJWT, "JWT access tokens are typed at+jwt (RFC 9068 §2.1)"},
	{JWTUnknownKid, "JWT access tokens name a kid of the JWK Set (RFC 9068 §2.1)"},
	{JWTNoJTI, "JWT access tokens carry jti (RFC 9068 §2.2)"},
	{TokenTextPlain, "token responses are served as application/json (RFC 6749 §5.1)"},
	{TLSLegacyVersions, "served over TLS, the server refuses TLS 1.0 and 1.1 (RFC 8996 §5, §6; RFC 9325 §3.1.1)"},
	{HTTPEndpointsToo, "served over TLS, the port answers no plain http request with OAuth processing (RFC 6749 §1.6, §3.1, §3.2)"},
	{TLSUntrustedCert, "served over TLS, the server's certificate chains to the CA it was given, not to itself (RFC 6749 §10.9)"},
	{LogoutOpenRedirect, "the end-session endpoint redirects only to a post_logout_redirect_uri registered for the named client (RFC 9700 §4.11.2; RP-Initiated Logout §2)"},
	{LoginOpenRedirect, "the login page's return_to leads only to a path on the server (RFC 9700 §4.11.2)"},
}

// AllWeaknesses returns every weakness, in a stable order.
func AllWeaknesses() []WeaknessInfo {
	out := make([]WeaknessInfo, len(weaknesses))
	copy(out, weaknesses)
	return out
}

// WeaknessNames returns the names of every weakness, sorted.
func WeaknessNames() []string {
	var names []string
	for _, w := range weaknesses {
		names = append(names, string(w.Name))
	}
	sort.Strings(names)
	return names
}

// ParseWeakness returns the weakness called name, or an error that lists
// the valid names.
func ParseWeakness(name string) (Weakness, error) {
	name = strings.TrimSpace(name)
	for _, w := range weaknesses {
		if string(w.Name) == name {
			return w.Name, nil
		}
	}
	return "", fmt.Errorf("reference: unknown weakness %q; valid: %s", name, strings.Join(WeaknessNames(), ", "))
}
