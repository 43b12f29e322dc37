package reference_test

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/oauthcheck/oauthcheck/reference"
)

// fetchJWKS reads the server's key set.
func fetchJWKS(t testing.TB, e *env) jose.JSONWebKeySet {
	t.Helper()
	r := e.get(t, "/jwks")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /jwks: got %d; want 200", r.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.Body, &set); err != nil {
		t.Fatalf("JWKS: %v\n%s", err, r.Body)
	}
	return set
}

// verifyAccessToken checks an RFC 9068 access token against the JWKS and
// returns its claims.
func verifyAccessToken(t testing.TB, e *env, raw string) map[string]any {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse the access token as an RS256 JWT: %v", err)
	}
	h := tok.Headers[0]
	if got := h.ExtraHeaders[jose.HeaderType]; got != "at+jwt" {
		t.Errorf("typ: got %v; want at+jwt (RFC 9068 §2.1)", got)
	}
	if h.Algorithm != string(jose.RS256) {
		t.Errorf("alg: got %s; want RS256", h.Algorithm)
	}
	set := fetchJWKS(t, e)
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS; want 1", h.KeyID, len(keys))
	}
	var claims map[string]any
	var std jwt.Claims
	if err := tok.Claims(keys[0].Key, &claims, &std); err != nil {
		t.Fatalf("verify the access token with the JWKS key: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: e.url, AnyAudience: jwt.Audience{e.url}, Time: e.clock.Now()}, 0); err != nil {
		t.Errorf("validate the claims: %v", err)
	}
	return claims
}

// The JWKS holds the public half of the signing key and nothing secret
// (OIDC Discovery §3, RFC 7517 §9.2).
func TestJWKS(t *testing.T) {
	e := start(t, nil)
	r := e.get(t, "/jwks")
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	if len(raw.Keys) != 1 {
		t.Fatalf("JWKS has %d keys; want 1", len(raw.Keys))
	}
	var members []string
	for k := range raw.Keys[0] {
		members = append(members, k)
	}
	sort.Strings(members)
	if diff := cmp.Diff([]string{"alg", "e", "kid", "kty", "n", "use"}, members); diff != "" {
		t.Errorf("JWK members mismatch (-want +got); none of d p q dp dq qi k may appear:\n%s", diff)
	}
	set := fetchJWKS(t, e)
	k := set.Keys[0]
	if !k.IsPublic() || !k.Valid() || k.Use != "sig" || k.Algorithm != "RS256" {
		t.Errorf("key: public %v, valid %v, use %q, alg %q; want public, valid, sig, RS256", k.IsPublic(), k.Valid(), k.Use, k.Algorithm)
	}
	thumb, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(thumb); k.KeyID != got {
		t.Errorf("kid %q; want the RFC 7638 thumbprint %q", k.KeyID, got)
	}
	if !signingKey(t).PublicKey.Equal(k.Key) {
		t.Errorf("the JWKS key is not the signing key's public half")
	}
}

// RFC 9068 §2: the access token is a JWT with typ at+jwt, signed RS256 with
// a key of the JWKS, and the claims iss exp aud sub client_id iat jti.
func TestJWTAccessToken(t *testing.T) {
	e := start(t, nil)
	tests := []struct {
		name    string
		token   func(t *testing.T) string
		wantSub string
		wantCID string
		scope   any
		reason  string
	}{
		{"authorization code", func(t *testing.T) string { return e.tokens(t, reference.RoleConfidential).AccessToken },
			"alice", "oauthcheck-a", "openid profile", "sub is the user"},
		{"client credentials", func(t *testing.T) string {
			c := e.client(t, reference.RoleConfidential2)
			tok, err := (&clientcredentials.Config{ClientID: c.ID, ClientSecret: c.Secret, TokenURL: e.url + "/token", Scopes: []string{"api"}}).Token(t.Context())
			if err != nil {
				t.Fatalf("client credentials: %v", err)
			}
			return tok.AccessToken
		}, "oauthcheck-b", "oauthcheck-b", "api", "RFC 9068 §2.2: sub is the client when no user is involved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := verifyAccessToken(t, e, tt.token(t))
			now := e.clock.Now().Unix()
			got := map[string]any{}
			for _, k := range []string{"iss", "aud", "sub", "client_id", "iat", "exp", "scope"} {
				got[k] = claims[k]
			}
			want := map[string]any{"iss": e.url, "aud": e.url, "sub": tt.wantSub, "client_id": tt.wantCID,
				"iat": float64(now), "exp": float64(now + int64(e.cfg.AccessTTL/time.Second)), "scope": tt.scope}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: claims mismatch (-want +got):\n%s", tt.reason, diff)
			}
			if jti, _ := claims["jti"].(string); len(jti) < 16 {
				t.Errorf("jti %q: want a random identifier", jti)
			}
		})
	}
}

// The ID token that comes with scope openid is a JWT for the client.
func TestIDToken(t *testing.T) {
	e := start(t, nil)
	tok := e.tokens(t, reference.RolePublic)
	raw, _ := tok.Extra("id_token").(string)
	parsed, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse the id_token: %v", err)
	}
	var std jwt.Claims
	if err := parsed.Claims(&signingKey(t).PublicKey, &std); err != nil {
		t.Fatalf("verify the id_token: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: e.url, AnyAudience: jwt.Audience{"oauthcheck-p"}, Subject: "alice", Time: e.clock.Now()}, 0); err != nil {
		t.Errorf("id_token claims: %v", err)
	}
}
