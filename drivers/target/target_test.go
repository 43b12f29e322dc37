package target_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/reference"
)

// referenceServer serves a strict reference server on a loopback port, as
// the style guide shows: httptest, then SetIssuer.
func referenceServer(t *testing.T) (*reference.Server, string) {
	t.Helper()
	ref, err := reference.New(reference.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ref)
	t.Cleanup(srv.Close)
	if err := ref.SetIssuer(srv.URL); err != nil {
		t.Fatal(err)
	}
	return ref, srv.URL
}

func TestOpenRegistersClients(t *testing.T) {
	_, issuer := referenceServer(t)
	hc := newHTTP(t)
	tg, err := target.Open(context.Background(), hc, issuer, &target.Config{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	// Defaults.
	cfg := tg.Config
	got := []string{tg.Issuer, cfg.Issuer, cfg.Profile, cfg.RedirectURI, cfg.Scope, cfg.Oracle}
	want := []string{issuer, issuer, "bcp", target.DefaultRedirectURI, "openid", "introspection"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("issuer and defaults mismatch (-want +got):\n%s", diff)
	}
	if tg.Metadata == nil || tg.Metadata.RegistrationEndpoint != issuer+"/register" || tg.HTTP != hc {
		t.Fatalf("Open did not keep the discovered metadata and the client: %+v", tg)
	}

	// Every role but special has a registered client.
	wantRoles := []string{target.RoleConfidential, target.RoleConfidential2, target.RolePublic, target.RolePublic2, target.RoleDevice, target.RoleDevice2}
	if diff := cmp.Diff(wantRoles, tg.Registered); diff != "" {
		t.Errorf("Registered mismatch (-want +got):\n%s", diff)
	}
	var roles []string
	for role := range cfg.Clients {
		roles = append(roles, role)
	}
	slices.Sort(roles)
	sorted := slices.Sorted(slices.Values(wantRoles))
	if diff := cmp.Diff(sorted, roles); diff != "" {
		t.Errorf("config clients mismatch (-want +got):\n%s", diff)
	}
	if _, why := tg.Client(target.RoleSpecial); !strings.Contains(why, `"special"`) {
		t.Errorf("Client(special) skip reason = %q, want one naming the role", why)
	}
	ids := map[string]bool{}
	for _, role := range wantRoles {
		c, why := tg.Client(role)
		if c == nil || why != "" {
			t.Fatalf("Client(%s) = %v, %q", role, c, why)
		}
		if ids[c.ID] {
			t.Errorf("client ID %s given to two roles", c.ID)
		}
		ids[c.ID] = true
		confidential := role == target.RoleConfidential || role == target.RoleConfidential2
		if confidential != (c.Secret != "") {
			t.Errorf("%s client %+v: secret present %v, want %v", role, c, c.Secret != "", confidential)
		}
		if confidential {
			if c.AuthMethod != "client_secret_basic" {
				t.Errorf("%s client auth method %q, want client_secret_basic", role, c.AuthMethod)
			}
			if red := hc.Redactor().String("s=" + c.Secret); strings.Contains(red, c.Secret) {
				t.Errorf("the %s client's secret was not added to the redactor: %s", role, red)
			}
		}
	}

	// The registration exchanges are recorded without the secrets.
	var rec strings.Builder
	for _, ex := range hc.Recorder().Exchanges() {
		raw, _ := json.Marshal(ex)
		rec.Write(raw)
	}
	for _, role := range wantRoles {
		if c := cfg.Clients[role]; c.Secret != "" && strings.Contains(rec.String(), c.Secret) {
			t.Errorf("the %s client's secret reached the record", role)
		}
	}

	// A registered confidential client works at the token endpoint.
	conf := cfg.Clients[target.RoleConfidential]
	req, _ := http.NewRequest(http.MethodPost, tg.Metadata.TokenEndpoint, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(conf.ID), url.QueryEscape(conf.Secret))
	resp, err := hc.Do(context.Background(), req)
	if err != nil || resp.Status != 200 || resp.Field("access_token") == "" {
		t.Errorf("client_credentials with the registered client: %v %+v", err, resp)
	}
}

func TestOpenKeepsConfiguredClients(t *testing.T) {
	ref, issuer := referenceServer(t)
	rc := ref.Config()
	secret := rc.Clients[0].Secret
	password := rc.Users[0].Password
	hc := newHTTP(t)
	cfg := &target.Config{
		Issuer:  "https://ignored.example.com",
		Profile: "oauth2.1",
		Scope:   "openid profile",
		Clients: map[string]*target.Client{target.RoleConfidential: {ID: rc.Clients[0].ID, Secret: secret}},
		User:    &target.User{Username: "alice", Password: password},
	}
	tg, err := target.Open(context.Background(), hc, issuer, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if tg.Issuer != issuer || cfg.Issuer != issuer {
		t.Errorf("issuer = %q (config %q), want the --target %q", tg.Issuer, cfg.Issuer, issuer)
	}
	if cfg.Profile != "oauth2.1" || cfg.Scope != "openid profile" {
		t.Errorf("Open overwrote profile %q or scope %q", cfg.Profile, cfg.Scope)
	}
	if len(tg.Registered) != 0 || len(cfg.Clients) != 1 {
		t.Errorf("Open registered %v, want nothing: the config names clients", tg.Registered)
	}
	for _, s := range []string{secret, password} {
		if strings.Contains(hc.Redactor().String(s), s) {
			t.Errorf("a configured secret was not added to the redactor")
		}
	}
	if _, why := tg.Client(target.RolePublic); !strings.Contains(why, `"public"`) || !strings.Contains(why, "clients.public") {
		t.Errorf("Client(public) skip reason = %q, want one naming the role and its key", why)
	}
	if u, why := tg.User(); u == nil || u.Username != "alice" || why != "" {
		t.Errorf("User() = %v, %q", u, why)
	}
}

func TestOpenNoIssuer(t *testing.T) {
	_, err := target.Open(context.Background(), newHTTP(t), "", nil)
	if err == nil || !strings.Contains(err.Error(), "no issuer") || !strings.Contains(err.Error(), "--target") {
		t.Errorf("Open with no issuer: err = %v, want one that names --target", err)
	}
}

func TestOpenRegistrationRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/oauth-authorization-server":
			io.WriteString(w, `{"issuer":"http://`+r.Host+`","registration_endpoint":"http://`+r.Host+`/register"}`)
		case "/register":
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":"access_denied"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	_, err := target.Open(context.Background(), newHTTP(t), srv.URL, nil)
	for _, w := range []string{"register confidential client", "403", "access_denied", "name the clients in the config"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Open with a refusing registration endpoint: err = %v, want one that says %q", err, w)
		}
	}
}

func TestOpenWithoutRegistration(t *testing.T) {
	srv, _ := metadataServer(t, map[string]string{"/.well-known/oauth-authorization-server": `{"issuer":"ISSUER"}`})
	tg, err := target.Open(context.Background(), newHTTP(t), srv.URL, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if len(tg.Config.Clients) != 0 || len(tg.Registered) != 0 {
		t.Errorf("clients %v registered %v, want none", tg.Config.Clients, tg.Registered)
	}
	for _, role := range target.Roles {
		c, why := tg.Client(role)
		if c != nil || !strings.Contains(why, `"`+role+`"`) {
			t.Errorf("Client(%s) = %v, %q; want a skip reason naming the role", role, c, why)
		}
	}
	if u, why := tg.User(); u != nil || !strings.Contains(why, "test user") {
		t.Errorf("User() = %v, %q; want a skip reason naming the test user", u, why)
	}
}

func TestClientAndUserSkipReasons(t *testing.T) {
	tg := &target.Target{Config: &target.Config{
		Clients: map[string]*target.Client{target.RolePublic: {ID: ""}, target.RoleDevice: {ID: "dev"}},
		User:    &target.User{Password: "no-name"},
	}}
	tests := []struct {
		role, wantID, wantWhy string
	}{
		{target.RoleDevice, "dev", ""},
		{target.RolePublic, "", `the config names no "public" client (clients.public)`},
		{target.RoleDevice2, "", `the config names no "device2" client (clients.device2)`},
	}
	for _, tt := range tests {
		c, why := tg.Client(tt.role)
		gotID := ""
		if c != nil {
			gotID = c.ID
		}
		if gotID != tt.wantID || why != tt.wantWhy {
			t.Errorf("Client(%s) = %q, %q; want %q, %q", tt.role, gotID, why, tt.wantID, tt.wantWhy)
		}
	}
	if u, why := tg.User(); u != nil || why == "" {
		t.Errorf("User() with no username = %v, %q; want a skip reason", u, why)
	}
}
