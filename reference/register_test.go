package reference_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// register posts client metadata to /register.
func (e *env) register(t testing.TB, contentType, body string) *response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+"/register", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	return e.do(t, req)
}

// RFC 7591 §3.2.1: a registered client gets 201 with its id, and a secret
// when it is confidential; the client then works.
func TestRegister(t *testing.T) {
	e := start(t, nil)
	tests := []struct {
		name       string
		body       string
		wantMethod string
		wantSecret bool
		reason     string
	}{
		{"client credentials", `{"grant_types":["client_credentials"],"client_name":"svc","scope":"api"}`, "client_secret_basic", true, "the default method"},
		{"web app", `{"redirect_uris":["https://app.example/cb"],"grant_types":["authorization_code","refresh_token"],"token_endpoint_auth_method":"client_secret_post"}`, "client_secret_post", true, "https redirect"},
		{"native app", `{"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}`, "none", false, "RFC 8252 §7.3 loopback"},
		{"localhost", `{"redirect_uris":["http://localhost:8765/cb"],"token_endpoint_auth_method":"none"}`, "none", false, "RFC 8252 §8.3 allows localhost"},
		{"custom content type parameter", `{"grant_types":["client_credentials"]}`, "client_secret_basic", true, "application/json with charset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctype := "application/json"
			if strings.Contains(tt.name, "parameter") {
				ctype = "application/json; charset=utf-8"
			}
			r := e.register(t, ctype, tt.body)
			if r.Status != http.StatusCreated {
				t.Fatalf("got %d; want 201\n%s", r.Status, r)
			}
			m := r.JSON(t)
			id, _ := m["client_id"].(string)
			secret, _ := m["client_secret"].(string)
			got := []any{id != "", secret != "", m["token_endpoint_auth_method"]}
			if diff := cmp.Diff([]any{true, tt.wantSecret, tt.wantMethod}, got); diff != "" {
				t.Errorf("%s: client_id, secret, method mismatch (-want +got):\n%s", tt.reason, diff)
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("a response with a secret lacks Cache-Control: no-store")
			}
		})
	}

	t.Run("registered client gets a token", func(t *testing.T) {
		m := e.register(t, "application/json", `{"grant_types":["client_credentials"],"scope":"api email"}`).JSON(t)
		cc := clientcredentials.Config{ClientID: m["client_id"].(string), ClientSecret: m["client_secret"].(string),
			TokenURL: e.url + "/token", Scopes: []string{"api"}, AuthStyle: oauth2.AuthStyleInHeader}
		tok, err := cc.Token(t.Context())
		if err != nil {
			t.Fatalf("client credentials for a registered client: %v", err)
		}
		if !e.active(t, tok.AccessToken) {
			t.Errorf("its token is not active")
		}
		cc.Scopes = []string{"profile"}
		_, err = cc.Token(t.Context())
		if code, _ := oauthErr(t, err); code != "invalid_scope" {
			t.Errorf("a scope outside the registered ones: got %s; want invalid_scope", code)
		}
	})

	t.Run("registered public client runs the code flow", func(t *testing.T) {
		m := e.register(t, "application/json", `{"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none","grant_types":["authorization_code"]}`).JSON(t)
		id := m["client_id"].(string)
		verifier := oauth2.GenerateVerifier()
		params := e.codeParams(t, "oauthcheck-p", verifier)
		params.Set("client_id", id)
		params.Set("redirect_uri", "http://127.0.0.1:50000/cb")
		code := e.codeFor(t, params)
		form := e.exchangeForm(code, verifier)
		form.Set("redirect_uri", "http://127.0.0.1:50000/cb")
		r := e.token(t, form, postAuth(id, ""))
		if r.Status != http.StatusOK {
			t.Fatalf("exchange: got %d; want 200\n%s", r.Status, r)
		}
		if _, ok := r.JSON(t)["refresh_token"]; ok {
			t.Errorf("a client without the refresh_token grant got a refresh token")
		}
	})
}

// RFC 7591 §3.2.2: bad metadata is a 400 with the registration error codes.
func TestRegisterErrors(t *testing.T) {
	e := start(t, nil)
	tests := []struct {
		name      string
		ctype     string
		body      string
		wantError string
		reason    string
	}{
		{"http on a public host", "application/json", `{"redirect_uris":["http://app.example/cb"]}`, "invalid_redirect_uri", "RFC 9700 §2.6: https except on loopback"},
		{"fragment", "application/json", `{"redirect_uris":["https://app.example/cb#x"]}`, "invalid_redirect_uri", "RFC 6749 §3.1.2: no fragment"},
		{"relative", "application/json", `{"redirect_uris":["/cb"]}`, "invalid_redirect_uri", "RFC 6749 §3.1.2: absolute"},
		{"custom scheme", "application/json", `{"redirect_uris":["javascript:alert(1)"]}`, "invalid_redirect_uri", "only http and https"},
		{"code grant without redirect", "application/json", `{"grant_types":["authorization_code"]}`, "invalid_redirect_uri", "the code grant needs a redirect URI"},
		{"password grant", "application/json", `{"grant_types":["password"]}`, "invalid_client_metadata", "RFC 9700 §2.4"},
		{"implicit grant", "application/json", `{"redirect_uris":["https://app.example/cb"],"grant_types":["implicit"]}`, "invalid_client_metadata", "RFC 9700 §2.1.2"},
		{"token response type", "application/json", `{"redirect_uris":["https://app.example/cb"],"response_types":["token"]}`, "invalid_client_metadata", "RFC 9700 §2.1.2"},
		{"unknown auth method", "application/json", `{"grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt"}`, "invalid_client_metadata", "not supported"},
		{"public client credentials", "application/json", `{"grant_types":["client_credentials"],"token_endpoint_auth_method":"none"}`, "invalid_client_metadata", "RFC 6749 §4.4: confidential only"},
		{"unknown scope", "application/json", `{"grant_types":["client_credentials"],"scope":"admin"}`, "invalid_client_metadata", "RFC 7591 §2"},
		{"form body", "application/x-www-form-urlencoded", `grant_types=client_credentials`, "invalid_client_metadata", "RFC 7591 §3.1: JSON"},
		{"malformed JSON", "application/json", `{"grant_types":`, "invalid_client_metadata", "RFC 7591 §3.1: JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.register(t, tt.ctype, tt.body)
			if r.Status != http.StatusBadRequest || r.Error() != tt.wantError {
				t.Errorf("got %d %q; want 400 %q (%s)\n%s", r.Status, r.Error(), tt.wantError, tt.reason, r.Body)
			}
		})
	}
	if r := e.get(t, "/register"); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("GET /register: got %d; want 405", r.Status)
	}
}
