package reference_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/reference"
)

// userinfo calls /userinfo with a bearer token.
func (e *env) userinfo(t testing.TB, tok string) *response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.url+"/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return e.do(t, req)
}

// RFC 6750 §2.1, §3.1: a valid bearer access token gets 200; anything else
// gets 401 with a Bearer challenge.
func TestUserinfo(t *testing.T) {
	e := start(t, func(c *reference.Config) { c.AccessTTL = time.Minute })
	tok := e.tokens(t, reference.RoleConfidential)

	// x/oauth2's client adds the bearer header itself.
	resp, err := e.oauth2Config(t, reference.RoleConfidential).Client(t.Context(), tok).Get(e.url + "/userinfo")
	if err != nil {
		t.Fatalf("GET /userinfo: %v", err)
	}
	r := readResponse(t, resp)
	if r.Status != http.StatusOK {
		t.Fatalf("valid token: got %d; want 200\n%s", r.Status, r)
	}
	if diff := cmp.Diff(map[string]any{"sub": "alice", "name": "alice"}, r.JSON(t)); diff != "" {
		t.Errorf("userinfo mismatch (-want +got):\n%s", diff)
	}

	revoked := e.tokens(t, reference.RoleConfidential)
	e.post(t, "/revoke", map[string][]string{"token": {revoked.AccessToken}}, e.as(t, reference.RoleConfidential))
	expired := e.tokens(t, reference.RoleConfidential)

	tests := []struct {
		name   string
		header string
		before func()
		reason string
	}{
		{"no header", "", nil, "RFC 6750 §3.1"},
		{"unknown token", "Bearer not-a-token", nil, "RFC 6750 §3.1: invalid_token"},
		{"refresh token", "Bearer " + tok.RefreshToken, nil, "a refresh token is not an access token"},
		{"basic scheme", "Basic " + tok.AccessToken, nil, "RFC 6750 §2.1: Bearer"},
		{"revoked", "Bearer " + revoked.AccessToken, nil, "revoked at /revoke"},
		{"expired", "Bearer " + expired.AccessToken, func() { e.clock.Advance(time.Minute + time.Second) }, "past exp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			req, _ := http.NewRequest(http.MethodGet, e.url+"/userinfo", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			r := e.do(t, req)
			if r.Status != http.StatusUnauthorized {
				t.Errorf("got %d; want 401 (%s)", r.Status, tt.reason)
			}
			if got := r.Header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate: got %q; want Bearer error=\"invalid_token\"", got)
			}
		})
	}
}
