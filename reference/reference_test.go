package reference_test

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/reference"
)

func TestNewErrors(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatalf("generate a 1024-bit key: %v", err)
	}
	dup := reference.DefaultConfig()
	dup.Clients = append(dup.Clients, dup.Clients[0])
	empty := reference.DefaultConfig()
	empty.Clients = append(empty.Clients, reference.Client{})
	badIssuer := reference.DefaultConfig()
	badIssuer.Issuer = "http://127.0.0.1:9443/realms/x"
	tests := []struct {
		name    string
		cfg     reference.Config
		opts    []reference.Option
		wantErr string
		reason  string
	}{
		{"nil key", reference.DefaultConfig(), []reference.Option{reference.WithSigningKey(nil)}, "at least 2048 bits", "a key is required"},
		{"small key", reference.DefaultConfig(), []reference.Option{reference.WithSigningKey(small)}, "at least 2048 bits", "RSA keys under 2048 bits are refused"},
		{"repeated client", dup, nil, "empty or repeated", "client ids are unique"},
		{"empty client id", empty, nil, "empty or repeated", "a client needs an id"},
		{"issuer with path", badIssuer, nil, "must be an http or https origin", "the issuer is an origin"},
		{"unknown weakness", reference.DefaultConfig(), []reference.Option{reference.WithWeakness("no-such-thing")}, `unknown weakness "no-such-thing"`, "weakness names are checked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]reference.Option{reference.WithSigningKey(signingKey(t))}, tt.opts...)
			_, err := reference.New(tt.cfg, opts...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New: got error %v; want one containing %q (%s)", err, tt.wantErr, tt.reason)
			}
		})
	}
}

func TestSetIssuer(t *testing.T) {
	srv, err := reference.New(reference.DefaultConfig(), reference.WithSigningKey(signingKey(t)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tests := []struct {
		issuer  string
		wantErr bool
		want    string
	}{
		{"http://127.0.0.1:9443", false, "http://127.0.0.1:9443"},
		{"https://idp.example/", false, "https://idp.example"},
		{"http://127.0.0.1:9443/realms/test", true, ""},
		{"http://127.0.0.1:9443?x=1", true, ""},
		{"http://127.0.0.1:9443#f", true, ""},
		{"ftp://127.0.0.1", true, ""},
		{"127.0.0.1:9443", true, ""},
		{"", true, ""},
	}
	for _, tt := range tests {
		before := srv.Issuer()
		err := srv.SetIssuer(tt.issuer)
		if gotErr := err != nil; gotErr != tt.wantErr {
			t.Errorf("SetIssuer(%q): got error %v; want error %v", tt.issuer, err, tt.wantErr)
			continue
		}
		want := tt.want
		if tt.wantErr {
			want = before
		}
		if got := srv.Issuer(); got != want {
			t.Errorf("after SetIssuer(%q): Issuer() = %q; want %q", tt.issuer, got, want)
		}
	}
}

// A server without an issuer cannot answer anything correctly, so it
// answers nothing.
func TestNoIssuerUnavailable(t *testing.T) {
	srv, err := reference.New(reference.DefaultConfig(), reference.WithSigningKey(signingKey(t)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("metadata before SetIssuer: got %d; want 503", resp.StatusCode)
	}
}

func TestNewDefaultsAndWeaknesses(t *testing.T) {
	cfg := reference.DefaultConfig()
	cfg.CodeTTL, cfg.DeviceInterval, cfg.Scopes, cfg.DefaultScope = 0, 0, nil, ""
	cfg.Issuer = "http://127.0.0.1:1"
	srv, err := reference.New(cfg, reference.WithSigningKey(signingKey(t)),
		reference.WithWeakness(" pkce-plain", string(reference.CodeReuse)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	got := srv.Config()
	def := reference.DefaultConfig()
	if got.CodeTTL != def.CodeTTL || got.DeviceInterval != def.DeviceInterval {
		t.Errorf("zero durations: got CodeTTL %v, DeviceInterval %v; want %v, %v", got.CodeTTL, got.DeviceInterval, def.CodeTTL, def.DeviceInterval)
	}
	if diff := cmp.Diff(def.Scopes, got.Scopes); diff != "" {
		t.Errorf("default scopes mismatch (-want +got):\n%s", diff)
	}
	if got.DefaultScope != def.DefaultScope {
		t.Errorf("DefaultScope: got %q; want %q", got.DefaultScope, def.DefaultScope)
	}
	if srv.Issuer() != cfg.Issuer {
		t.Errorf("Issuer: got %q; want %q", srv.Issuer(), cfg.Issuer)
	}
	// In the order of AllWeaknesses, whatever the order given.
	if diff := cmp.Diff([]reference.Weakness{reference.CodeReuse, reference.PKCEPlain}, srv.Weaknesses()); diff != "" {
		t.Errorf("Weaknesses mismatch (-want +got):\n%s", diff)
	}
}

// DefaultConfig has a client for every role, with fresh secrets each time.
func TestDefaultConfig(t *testing.T) {
	a, b := reference.DefaultConfig(), reference.DefaultConfig()
	if a.Users[0].Password == b.Users[0].Password || a.Clients[0].Secret == b.Clients[0].Secret {
		t.Errorf("two default configs share a password or secret")
	}
	ids := map[string]reference.Client{}
	for _, c := range a.Clients {
		ids[c.ID] = c
	}
	for role, id := range reference.ClientRoles {
		c, ok := ids[id]
		if !ok {
			t.Errorf("role %s: client %s is not in DefaultConfig", role, id)
			continue
		}
		wantPublic := strings.HasPrefix(role, "public") || strings.HasPrefix(role, "device")
		if c.Public() != wantPublic {
			t.Errorf("role %s: Public() = %v; want %v", role, c.Public(), wantPublic)
		}
	}
	if s := ids["oauthcheck-s"].Secret; !strings.ContainsAny(s, ":+%/ &") {
		t.Errorf("the special client's secret %q has no reserved characters", s)
	}
	if a.CodeTTL != time.Minute || a.DeviceInterval != 5*time.Second {
		t.Errorf("DefaultConfig lifetimes: got CodeTTL %v, DeviceInterval %v; want 1m0s, 5s", a.CodeTTL, a.DeviceInterval)
	}
}
