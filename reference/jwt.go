package reference

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keyThumbprint is the RFC 7638 thumbprint of a public key, used as its kid.
func keyThumbprint(pub crypto.PublicKey, h crypto.Hash) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(h)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// sign returns claims as a compact JWS signed with RS256 and typed typ.
func (s *Server) sign(typ string, claims map[string]any) (string, error) {
	kid := s.keyID
	if typ == "at+jwt" && s.weakened(JWTTypJWT) {
		typ = "JWT"
	}
	if s.weakened(JWTUnknownKid) {
		kid = "oauthcheck-unknown-key"
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.signingKey}, opts)
	if err != nil {
		return "", fmt.Errorf("reference: signer: %w", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("reference: marshal claims: %w", err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("reference: sign: %w", err)
	}
	return obj.CompactSerialize()
}

// issue mints the tokens of one grant: an RFC 9068 JWT access token, a
// refresh token when refresh is set, and an ID token when the scope has
// openid and a user is behind the grant. The caller holds the store lock.
func (s *Server) issue(g *grant, scope string, refresh bool, nonce string) (map[string]any, error) {
	now := s.now()
	accessTTL := s.cfg.AccessTTL
	if s.weakened(LongAccessTokens) {
		accessTTL = 24 * time.Hour
	}
	refreshTTL := s.cfg.RefreshTTL
	if s.weakened(RefreshNoExpiry) {
		refreshTTL = 100 * 365 * 24 * time.Hour
	}
	sub := g.username
	if sub == "" {
		sub = g.clientID
	}
	jti := randomToken(24)
	if s.quirked(QuirkJWTJTIUUID) {
		jti = randomUUID()
	}
	claims := map[string]any{
		"iss":       s.Issuer(),
		"sub":       sub,
		"aud":       s.Issuer(),
		"client_id": g.clientID,
		"iat":       now.Unix(),
		"exp":       now.Add(accessTTL).Unix(),
		"jti":       jti,
	}
	if scope != "" {
		claims["scope"] = s.scopeOut(scope)
	}
	typ := "at+jwt"
	if s.weakened(JWTNoJTI) {
		delete(claims, "jti")
	}
	if s.quirked(QuirkJWTNot9068) {
		// A plain JWT as many servers issue: the client in azp (OpenID
		// Connect Core §2) and a unique id in uti, as Microsoft Entra ID
		// names it, so that two tokens of one second still differ.
		typ = "JWT"
		claims["azp"] = g.clientID
		claims["uti"] = jti
		delete(claims, "client_id")
		delete(claims, "jti")
		jti = ""
	}
	at, err := s.sign(typ, claims)
	if err != nil {
		return nil, err
	}
	// Tokens are stored by value, so revocation and introspection never
	// depend on a jti.
	s.store.tokens[at] = &token{kind: accessToken, grantID: g.id, clientID: g.clientID, username: g.username,
		scope: scope, jti: jti, issued: now, expires: now.Add(accessTTL)}
	resp := map[string]any{
		"access_token": at,
		"token_type":   "Bearer",
		"expires_in":   int(accessTTL / time.Second),
		"scope":        s.scopeOut(scope),
	}
	if refresh {
		rt := randomToken(32)
		if s.weakened(WeakTokens) {
			rt = randomToken(6)
		}
		s.store.tokens[rt] = &token{kind: refreshToken, grantID: g.id, clientID: g.clientID, username: g.username,
			scope: g.scope, issued: now, expires: now.Add(refreshTTL)}
		resp["refresh_token"] = rt
	}
	if g.username != "" && hasScope(scope, "openid") {
		claims := map[string]any{
			"iss": s.Issuer(), "sub": g.username, "aud": g.clientID,
			"iat": now.Unix(), "exp": now.Add(s.cfg.AccessTTL).Unix(),
		}
		if nonce != "" {
			claims["nonce"] = nonce
		}
		idt, err := s.sign("JWT", claims)
		if err != nil {
			return nil, err
		}
		resp["id_token"] = idt
	}
	return resp, nil
}

func (s *Server) newGrant(clientID, username, scope string) *grant {
	g := &grant{id: randomToken(12), clientID: clientID, username: username, scope: scope}
	s.store.grants[g.id] = g
	return g
}

func hasScope(scope, want string) bool {
	for _, s := range strings.Fields(scope) {
		if s == want {
			return true
		}
	}
	return false
}

// scopeSubset reports whether every scope in sub is in of.
func scopeSubset(sub, of string) bool {
	for _, s := range strings.Fields(sub) {
		if !hasScope(of, s) {
			return false
		}
	}
	return true
}
