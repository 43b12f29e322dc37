package reference_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/reference"
)

// RFC 8414 §3 and OpenID Discovery §4: the metadata is served at both
// well-known URLs, with every endpoint under the issuer.
func TestMetadata(t *testing.T) {
	e := start(t, nil)
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		t.Run(path, func(t *testing.T) {
			r := e.get(t, path)
			if r.Status != http.StatusOK {
				t.Fatalf("GET %s: got %d; want 200", path, r.Status)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json;charset=UTF-8" {
				t.Errorf("Content-Type: got %q; want application/json;charset=UTF-8", got)
			}
			m := r.JSON(t)
			want := map[string]any{
				"issuer":                        e.url,
				"authorization_endpoint":        e.url + "/authorize",
				"token_endpoint":                e.url + "/token",
				"device_authorization_endpoint": e.url + "/device_authorization",
				"revocation_endpoint":           e.url + "/revoke",
				"introspection_endpoint":        e.url + "/introspect",
				"registration_endpoint":         e.url + "/register",
				"jwks_uri":                      e.url + "/jwks",
				"userinfo_endpoint":             e.url + "/userinfo",
				"end_session_endpoint":          e.url + "/logout",
				"response_types_supported":      []any{"code"},
				"grant_types_supported": []any{"authorization_code", "refresh_token", "client_credentials",
					reference.GrantDeviceCode},
				"code_challenge_methods_supported":               []any{"S256"},
				"authorization_response_iss_parameter_supported": true,
				"scopes_supported":                               []any{"openid", "profile", "email", "api"},
				"token_endpoint_auth_methods_supported":          []any{"client_secret_basic", "client_secret_post", "none"},
			}
			got := map[string]any{}
			for k := range want {
				got[k] = m[k]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("metadata mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// The metadata follows the configuration and the weaknesses: implicit only
// when switched on, plain and password only when weakened.
func TestMetadataVariants(t *testing.T) {
	tests := []struct {
		name       string
		env        func(t *testing.T) *env
		wantTypes  []any
		wantGrants []any
		wantPKCE   []any
		reason     string
	}{{
		name:       "implicit on",
		env:        func(t *testing.T) *env { return start(t, func(c *reference.Config) { c.Implicit = true }) },
		wantTypes:  []any{"code", "token"},
		wantGrants: []any{"authorization_code", "refresh_token", "client_credentials", reference.GrantDeviceCode, "implicit"},
		wantPKCE:   []any{"S256"},
		reason:     "Config.Implicit advertises response type token and the implicit grant",
	}, {
		name:       "pkce-plain and password-grant",
		env:        func(t *testing.T) *env { return startWeak(t, reference.PKCEPlain, reference.PasswordGrant) },
		wantTypes:  []any{"code"},
		wantGrants: []any{"authorization_code", "refresh_token", "client_credentials", reference.GrantDeviceCode, "password"},
		wantPKCE:   []any{"S256", "plain"},
		reason:     "a weakened server advertises what it then accepts",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.env(t).get(t, "/.well-known/oauth-authorization-server").JSON(t)
			got := []any{m["response_types_supported"], m["grant_types_supported"], m["code_challenge_methods_supported"]}
			want := []any{tt.wantTypes, tt.wantGrants, tt.wantPKCE}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

// The issuer URL itself answers with a page that names the metadata.
func TestHomePage(t *testing.T) {
	e := start(t, nil)
	r := e.get(t, "/")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /: got %d; want 200", r.Status)
	}
	checkFramingHeaders(t, r)
	if r := e.get(t, "/nothing-here"); r.Status != http.StatusNotFound {
		t.Errorf("GET /nothing-here: got %d; want 404", r.Status)
	}
}
