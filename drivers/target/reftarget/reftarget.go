// Package reftarget serves the bundled reference server on a loopback
// port as a target: for `oauthcheck run --target reference` and for the
// suites' own tests, strict or with weaknesses.
package reftarget

import (
	"crypto/rsa"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/reference"
)

// Server is a running reference server.
type Server struct {
	Ref    *reference.Server
	URL    string
	http   *http.Server
	listen net.Listener
}

// Options shape the reference server of a target.
type Options struct {
	Weaknesses []string
	// Config changes the default reference configuration.
	Config func(*reference.Config)
	// Key signs tokens; nil makes a fresh one.
	Key *rsa.PrivateKey
}

// Quick shortens the lifetimes that checks wait out, so that a run
// against the reference waits seconds, not minutes.
func Quick(c *reference.Config) {
	c.CodeTTL = 10 * time.Second
	c.DeviceInterval = time.Second
	c.DeviceTTL = 20 * time.Second
	c.RefreshTTL = 10 * time.Second
}

// Start serves a reference server on 127.0.0.1 at a free port, with
// [Quick] lifetimes unless opts.Config sets its own.
func Start(opts Options) (*Server, error) {
	cfg := reference.DefaultConfig()
	Quick(&cfg)
	if opts.Config != nil {
		opts.Config(&cfg)
	}
	ropts := []reference.Option{reference.WithWeakness(opts.Weaknesses...)}
	if opts.Key != nil {
		ropts = append(ropts, reference.WithSigningKey(opts.Key))
	}
	ref, err := reference.New(cfg, ropts...)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("reftarget: listen: %w", err)
	}
	s := &Server{Ref: ref, URL: "http://" + ln.Addr().String(), listen: ln,
		http: &http.Server{Handler: ref, ReadHeaderTimeout: 10 * time.Second}}
	if err := ref.SetIssuer(s.URL); err != nil {
		ln.Close()
		return nil, err
	}
	go s.http.Serve(ln)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { _ = s.http.Close() }

// TargetConfig is the oauthcheck config file that tests the server: its
// issuer, a client for every role, its user and the built-in login.
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
