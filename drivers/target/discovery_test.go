package target_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
)

func TestWellKnownURLs(t *testing.T) {
	tests := []struct {
		name, issuer          string
		wantRFC8414, wantOIDC string
		reason                string
	}{
		{
			name: "no path", issuer: "https://idp.example.com",
			wantRFC8414: "https://idp.example.com/.well-known/oauth-authorization-server",
			wantOIDC:    "https://idp.example.com/.well-known/openid-configuration",
		},
		{
			name: "trailing slash", issuer: "https://idp.example.com/",
			wantRFC8414: "https://idp.example.com/.well-known/oauth-authorization-server",
			wantOIDC:    "https://idp.example.com/.well-known/openid-configuration",
			reason:      "a bare slash is no path",
		},
		{
			name: "path", issuer: "https://idp.example.com/realms/test",
			wantRFC8414: "https://idp.example.com/.well-known/oauth-authorization-server/realms/test",
			wantOIDC:    "https://idp.example.com/realms/test/.well-known/openid-configuration",
			reason:      "RFC 8414 §3.1 inserts the well-known segment between host and path; OIDC appends it",
		},
		{
			name: "path with trailing slash", issuer: "https://idp.example.com/tenant1/",
			wantRFC8414: "https://idp.example.com/.well-known/oauth-authorization-server/tenant1",
			wantOIDC:    "https://idp.example.com/tenant1/.well-known/openid-configuration",
		},
		{
			name: "port and http", issuer: "http://127.0.0.1:9443/issuer1",
			wantRFC8414: "http://127.0.0.1:9443/.well-known/oauth-authorization-server/issuer1",
			wantOIDC:    "http://127.0.0.1:9443/issuer1/.well-known/openid-configuration",
		},
		{
			name: "escaped path", issuer: "https://idp.example.com/t%2Fa%20b",
			wantRFC8414: "https://idp.example.com/.well-known/oauth-authorization-server/t%2Fa%20b",
			wantOIDC:    "https://idp.example.com/t%2Fa%20b/.well-known/openid-configuration",
			reason:      "the path component is inserted as the issuer writes it, escapes included",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b, err := target.WellKnownURLs(tt.issuer)
			if err != nil {
				t.Fatalf("WellKnownURLs(%q): %v", tt.issuer, err)
			}
			if diff := cmp.Diff([]string{tt.wantRFC8414, tt.wantOIDC}, []string{a, b}); diff != "" {
				t.Errorf("WellKnownURLs(%q) mismatch (-want +got) %s:\n%s", tt.issuer, tt.reason, diff)
			}
		})
	}
	for _, bad := range []string{"", "idp.example.com", "ftp://idp.example.com", "https://", "://x", "/realms/test"} {
		if _, _, err := target.WellKnownURLs(bad); err == nil || !strings.Contains(err.Error(), "is not an http(s) URL") {
			t.Errorf("WellKnownURLs(%q): err = %v, want \"is not an http(s) URL\"", bad, err)
		}
	}
}

// metadataServer serves the given documents by path; every other path is
// a 404. It records the paths asked for.
func metadataServer(t *testing.T, docs map[string]string) (*httptest.Server, func() []string) {
	t.Helper()
	var (
		mu    sync.Mutex
		asked []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path)
		mu.Unlock()
		doc, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, strings.ReplaceAll(doc, "ISSUER", "http://"+r.Host))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), asked...) }
}

func newHTTP(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdle)
	return c
}

func TestDiscoverPrefersRFC8414(t *testing.T) {
	srv, asked := metadataServer(t, map[string]string{
		"/.well-known/oauth-authorization-server/tenant": `{"issuer":"ISSUER/tenant","token_endpoint":"ISSUER/token","x-vendor":1,
			"grant_types_supported":["authorization_code"],"authorization_response_iss_parameter_supported":true}`,
		"/tenant/.well-known/openid-configuration": `{"issuer":"wrong"}`,
	})
	md, err := target.Discover(context.Background(), newHTTP(t), srv.URL+"/tenant")
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if md.Source != srv.URL+"/.well-known/oauth-authorization-server/tenant" {
		t.Errorf("Source = %q, want the RFC 8414 URL", md.Source)
	}
	if md.Issuer != srv.URL+"/tenant" || md.TokenEndpoint != srv.URL+"/token" || !md.AuthorizationResponseIssSupported {
		t.Errorf("Metadata = %+v, want the RFC 8414 document's members", md)
	}
	if !md.Has("x-vendor") || md.Has("jwks_uri") {
		t.Errorf("Has: x-vendor %v, jwks_uri %v; want the raw document's members only", md.Has("x-vendor"), md.Has("jwks_uri"))
	}
	if !target.Supports(md.GrantTypesSupported, "authorization_code") || target.Supports(md.GrantTypesSupported, "implicit") {
		t.Errorf("Supports(%v) is wrong", md.GrantTypesSupported)
	}
	if diff := cmp.Diff([]string{"/.well-known/oauth-authorization-server/tenant"}, asked()); diff != "" {
		t.Errorf("asked for (-want +got):\n%s", diff)
	}
}

func TestDiscoverFallsBackToOpenID(t *testing.T) {
	srv, asked := metadataServer(t, map[string]string{
		"/.well-known/openid-configuration": `{"issuer":"ISSUER","authorization_endpoint":"ISSUER/auth","jwks_uri":"ISSUER/jwks"}`,
	})
	md, err := target.Discover(context.Background(), newHTTP(t), srv.URL)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if md.Source != srv.URL+"/.well-known/openid-configuration" || md.AuthorizationEndpoint != srv.URL+"/auth" || md.JWKSURI != srv.URL+"/jwks" {
		t.Errorf("Metadata = %+v from %s, want the OpenID document", md, md.Source)
	}
	want := []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"}
	if diff := cmp.Diff(want, asked()); diff != "" {
		t.Errorf("asked for (-want +got):\n%s", diff)
	}
}

func TestDiscoverFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	status500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer status500.Close()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>Welcome</body></html>")
	}))
	defer html.Close()
	array := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `["not","an","object"]`)
	}))
	defer array.Close()

	tests := []struct {
		name, issuer string
		want         []string
	}{
		{"closed port", closed, []string{"connection refused"}},
		{"500", status500.URL, []string{"500"}},
		{"not JSON", html.URL, []string{"not a JSON object"}},
		{"JSON array", array.URL, []string{"not a JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md, err := target.Discover(context.Background(), newHTTP(t), tt.issuer)
			if err == nil {
				t.Fatalf("Discover(%s) = %+v, want an error", tt.issuer, md)
			}
			if !errors.Is(err, target.ErrUnreachable) {
				t.Errorf("error %q does not wrap ErrUnreachable (exit 3)", err)
			}
			for _, w := range append(tt.want, tt.issuer, "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestDiscoverBadIssuerIsNotUnreachable(t *testing.T) {
	_, err := target.Discover(context.Background(), newHTTP(t), "idp.example.com")
	if err == nil || errors.Is(err, target.ErrUnreachable) {
		t.Errorf("Discover(idp.example.com): err = %v, want a usage error, not ErrUnreachable", err)
	}
}
