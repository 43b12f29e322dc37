package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/reference"
)

// serving runs serveReference with f until the test ends and returns what
// it printed once it serves.
func serving(t *testing.T, f referenceFlags) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serveReference(ctx, f, out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serveReference = %v, want nil after cancel", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("serveReference did not return within 5s of cancel")
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "Serving;") {
		select {
		case err := <-done:
			t.Fatalf("serveReference returned early: %v\noutput:\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reference server did not start within 5s; output:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return out
}

// caClient trusts the PEM certificates in file.
func caClient(t *testing.T, file string) *http.Client {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read the CA file: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(raw) {
		t.Fatalf("%s holds no PEM certificate", file)
	}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// --tls: https with a CA made at start, written beside the config file and
// named in it as ca_file.
func TestReferenceServesTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "ref.yaml")
	out := serving(t, referenceFlags{addr: "127.0.0.1:0", tls: true, writeConfig: cfgPath})
	cfg, err := target.LoadConfig(cfgPath)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if !regexp.MustCompile(`^https://127\.0\.0\.1:[1-9][0-9]*$`).MatchString(cfg.Issuer) {
		t.Errorf("issuer = %q, want https://127.0.0.1:PORT", cfg.Issuer)
	}
	wantCA := filepath.Join(dir, "ref-ca.pem")
	if cfg.CAFile != wantCA {
		t.Errorf("ca_file = %q, want %q", cfg.CAFile, wantCA)
	}
	if !strings.Contains(out.String(), "ca:         "+wantCA+"\n") {
		t.Errorf("output does not name the CA file:\n%s", out.String())
	}
	resp, err := caClient(t, cfg.CAFile).Get(cfg.Issuer + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatalf("https GET of the metadata with the CA file: %v", err)
	}
	var meta struct {
		Issuer string `json:"issuer"`
	}
	decodeJSON(t, resp, http.StatusOK, &meta)
	if meta.Issuer != cfg.Issuer {
		t.Errorf("metadata issuer = %q, want %q", meta.Issuer, cfg.Issuer)
	}
	// Plain http to the https port is no OAuth exchange.
	plain, err := http.Get("http://" + strings.TrimPrefix(cfg.Issuer, "https://") + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	plain.Body.Close()
	if plain.StatusCode != http.StatusBadRequest {
		t.Errorf("plain http to the https port: %d, want 400", plain.StatusCode)
	}
}

// --tls without --write-config: the CA goes to a temporary file, removed
// at stop.
func TestReferenceTLSTempCA(t *testing.T) {
	t.Parallel()
	var caFile string
	t.Run("serve", func(t *testing.T) {
		out := serving(t, referenceFlags{addr: "127.0.0.1:0", tls: true})
		m := regexp.MustCompile(`(?m)^ca: +(\S+)$`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no ca: line in the output:\n%s", out.String())
		}
		caFile = m[1]
		issuer := regexp.MustCompile(`(?m)^issuer: +(\S+)$`).FindStringSubmatch(out.String())[1]
		resp, err := caClient(t, caFile).Get(issuer + "/jwks")
		if err != nil {
			t.Fatalf("https with the printed CA: %v", err)
		}
		resp.Body.Close()
	})
	if _, err := os.Stat(caFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary CA file %s is left after stop (%v)", caFile, err)
	}
}

// --tls-cert and --tls-key serve a certificate of one's own; --tls-ca is
// named as ca_file, not copied.
func TestReferenceOwnCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, err := reference.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Leaf()
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"cert.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]}),
		"key.pem":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		"ca.pem":   ca.PEM(),
	}
	for name, raw := range files {
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := filepath.Join(dir, "out", "ref.yaml")
	if err := os.Mkdir(filepath.Dir(cfgPath), 0o755); err != nil {
		t.Fatal(err)
	}
	serving(t, referenceFlags{addr: "127.0.0.1:0", writeConfig: cfgPath, tlsCert: filepath.Join(dir, "cert.pem"),
		tlsKey: filepath.Join(dir, "key.pem"), tlsCA: filepath.Join(dir, "ca.pem")})
	cfg, err := target.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CAFile != filepath.Join(dir, "ca.pem") {
		t.Errorf("ca_file = %q, want the --tls-ca file", cfg.CAFile)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "ref-ca.pem")); err == nil {
		t.Errorf("a CA was written beside the config; want none with --tls-cert")
	}
	resp, err := caClient(t, cfg.CAFile).Get(cfg.Issuer + "/jwks")
	if err != nil {
		t.Fatalf("https with the own certificate: %v", err)
	}
	resp.Body.Close()
}

func TestReferenceTLSFlagErrors(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing.pem")
	tests := []struct {
		name    string
		flags   referenceFlags
		wantErr string
	}{
		{"cert without key", referenceFlags{addr: "127.0.0.1:0", tlsCert: missing}, "--tls-cert and --tls-key go together"},
		{"ca without cert", referenceFlags{addr: "127.0.0.1:0", tls: true, tlsCA: missing}, "--tls-ca names the CA of --tls-cert"},
		{"unreadable cert", referenceFlags{addr: "127.0.0.1:0", tlsCert: missing, tlsKey: missing}, "load --tls-cert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := serveReference(context.Background(), tt.flags, &syncBuffer{})
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("serveReference = %v, want a usageError containing %q", err, tt.wantErr)
			}
		})
	}
}
