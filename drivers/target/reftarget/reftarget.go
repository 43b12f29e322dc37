// Package reftarget serves the bundled reference server on a loopback
// port as a target: for `oauthcheck run --target reference` and for the
// suites' own tests, strict or with weaknesses or quirks, over http or
// https.
package reftarget

import (
	"crypto/rsa"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/reference"
)

// Server is a running reference server.
type Server struct {
	Ref *reference.Server
	URL string
	// CAFile is the PEM file of the CA that signed the server's
	// certificate, when it serves https.
	CAFile string

	serving *reference.Serving
	tempDir string
}

// Options shape the reference server of a target.
type Options struct {
	Weaknesses []string
	Quirks     []string
	// Config changes the default reference configuration.
	Config func(*reference.Config)
	// Key signs tokens; nil makes a fresh one.
	Key *rsa.PrivateKey
	// TLS serves https with a certificate of a CA made at start.
	TLS bool
}

// Quick shortens the lifetimes that checks wait out, each just long
// enough for the checks that use it, so that a run against the reference
// waits seconds, not minutes: codes live 3 s (AUTHCODE-EXPIRY waits about
// 4 s), device codes 8 s polled every second (DEVICE-SLOW-DOWN-INTERVAL's
// slow_down and the interval + 5 s after it take about 6.5 s, and a login
// and approval in a busy browser fit; a check takes its browser before it
// asks for the codes), refresh tokens 6 s (the reuse checks leave 2 s
// between steps).
func Quick(c *reference.Config) {
	c.CodeTTL = 3 * time.Second
	c.DeviceInterval = time.Second
	c.DeviceTTL = 8 * time.Second
	c.RefreshTTL = 6 * time.Second
}

// Start serves a reference server on 127.0.0.1 at a free port, with
// [Quick] lifetimes unless opts.Config sets its own.
func Start(opts Options) (*Server, error) {
	cfg := reference.DefaultConfig()
	Quick(&cfg)
	if opts.Config != nil {
		opts.Config(&cfg)
	}
	if slices.Contains(opts.Quirks, string(reference.QuirkJSLogin)) && cfg.DeviceTTL < time.Minute {
		// A script login takes the person longer than a device code of a
		// quick run lives: on a loaded two-core machine, more than 30 s
		// for a login and a denial.
		cfg.DeviceTTL = time.Minute
	}
	if slices.Contains(opts.Quirks, string(reference.QuirkRefreshGrace)) && cfg.RefreshTTL < time.Minute {
		// A grace window outlives a quick refresh token: a token that
		// expired would pass for one that the window closed on.
		cfg.RefreshTTL = time.Minute
	}
	ropts := []reference.Option{reference.WithWeakness(opts.Weaknesses...), reference.WithQuirk(opts.Quirks...)}
	if opts.Key != nil {
		ropts = append(ropts, reference.WithSigningKey(opts.Key))
	}
	ref, err := reference.New(cfg, ropts...)
	if err != nil {
		return nil, err
	}
	s := &Server{Ref: ref}
	var so reference.ServeOptions
	if opts.TLS {
		if so.Certificate, err = s.makeCA(); err != nil {
			s.Close()
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("reftarget: listen: %w", err)
	}
	// A harness probing the server (plain http to https, legacy TLS) makes
	// it log failed handshakes; they are not the run's news.
	so.ErrorLog = log.New(io.Discard, "", 0)
	s.serving = ref.Serve(ln, so)
	s.URL = s.serving.URL()
	if err := ref.SetIssuer(s.URL); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// makeCA makes the CA and the server's certificate, and writes the CA to
// a file of its own for the config's ca_file.
func (s *Server) makeCA() (*tls.Certificate, error) {
	ca, err := reference.NewCA()
	if err != nil {
		return nil, err
	}
	leaf, err := ca.Leaf("127.0.0.1", "localhost")
	if err != nil {
		return nil, err
	}
	if s.tempDir, err = os.MkdirTemp("", "oauthcheck-ref-"); err != nil {
		return nil, fmt.Errorf("reftarget: %w", err)
	}
	s.CAFile = filepath.Join(s.tempDir, "ref-ca.pem")
	if err := os.WriteFile(s.CAFile, ca.PEM(), 0o600); err != nil {
		return nil, fmt.Errorf("reftarget: write the CA: %w", err)
	}
	return &leaf, nil
}

// Close stops the server and removes its CA file.
func (s *Server) Close() {
	if s.serving != nil {
		_ = s.serving.Close()
	}
	if s.tempDir != "" {
		_ = os.RemoveAll(s.tempDir)
	}
}

// Config is the oauthcheck config file that tests the server, with its
// CA file when it serves https.
func (s *Server) Config() *target.Config {
	tc := TargetConfig(s.Ref)
	tc.CAFile = s.CAFile
	return tc
}

// TargetConfig is the oauthcheck config file that tests the server: its
// issuer, a client for every role, its user and its login, and what its
// quirks make a user of such a server write there.
func TargetConfig(ref *reference.Server) *target.Config {
	cfg := ref.Config()
	tc := &target.Config{
		Issuer:      ref.Issuer(),
		Profile:     "bcp",
		RedirectURI: reference.DefaultRedirectURI,
		Clients:     map[string]*target.Client{},
		Login:       "builtin:reference",
		Scope:       cfg.DefaultScope,
		ExtraScope:  "email",
		Oracle:      "introspection",
		// The server's own lifetime: AUTHCODE-EXPIRY waits that long.
		CodeLifetime:    cfg.CodeTTL,
		RefreshLifetime: cfg.RefreshTTL,
		// The reference issues RFC 9068 access tokens and says so.
		AccessTokens: "rfc9068",
	}
	for role, c := range Roles(cfg) {
		tc.Clients[role] = &target.Client{ID: c.ID, Secret: c.Secret}
		if c.Secret != "" {
			tc.Clients[role].AuthMethod = "client_secret_basic"
		}
		if len(c.RedirectURIs) > 0 {
			tc.RedirectURI = c.RedirectURIs[0]
		}
	}
	if len(cfg.Users) > 0 {
		tc.User = &target.User{Username: cfg.Users[0].Username, Password: cfg.Users[0].Password}
	}
	quirks := ref.Quirks()
	if slices.Contains(quirks, reference.QuirkJWTNot9068) {
		tc.AccessTokens = "" // a server that claims nothing of its JWTs
	}
	if slices.Contains(quirks, reference.QuirkRevocationEventual) {
		tc.SettleTime = reference.QuirkRevocationDelay + 500*time.Millisecond
	}
	if slices.Contains(quirks, reference.QuirkJSLogin) {
		tc.Login = "auto" // a script app: the built-in script does not know it
	}
	return tc
}

// Roles assigns the server's clients to the roles of the config file:
// confidential clients to confidential, confidential2 and special; public
// ones with a redirect URI to public and public2; device clients to device
// and device2.
func Roles(cfg reference.Config) map[string]reference.Client {
	slots := map[string][]string{
		"confidential": {target.RoleConfidential, target.RoleConfidential2, target.RoleSpecial},
		"public":       {target.RolePublic, target.RolePublic2},
		"device":       {target.RoleDevice, target.RoleDevice2},
	}
	out := map[string]reference.Client{}
	for _, c := range cfg.Clients {
		kind := "confidential"
		switch {
		case slices.Contains(c.GrantTypes, reference.GrantDeviceCode) && len(c.RedirectURIs) == 0:
			kind = "device"
		case c.Public():
			kind = "public"
		}
		if len(slots[kind]) > 0 {
			out[slots[kind][0]] = c
			slots[kind] = slots[kind][1:]
		}
	}
	return out
}
