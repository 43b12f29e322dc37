// Package reference is the bundled reference OAuth 2.0 authorization server
// of oauthcheck: the baseline that passes every check, and, with named
// weaknesses switched on, the negative control that proves each check can
// fail.
//
// It is a plain [net/http] handler with an in-memory store per instance. It
// is strict by default: PKCE S256 required, exact redirect URI matching,
// single-use codes whose replay revokes the tokens issued from them, refresh
// token rotation with reuse detection, device polling with slow_down
// (RFC 8628 §3.5), iss in every authorization response (RFC 9207), framing
// headers on every page and 303 after every form post.
//
// Quirks ([WithQuirk]) are the mirror of weaknesses: behaviour that the
// RFCs allow and real servers show (a loopback redirect URI, eventual
// revocation, a script-driven login), under which no check may fail.
//
// [Server.Serve] serves it with the limits of a server facing the network,
// over TLS with a certificate of an in-memory [CA] when asked. It also
// has an end-session endpoint (OpenID Connect RP-Initiated Logout) and a
// login page with a return_to parameter, so that the redirects of those
// auxiliary endpoints can be checked too.
//
// It imports nothing of the harness, so it stays a fair baseline.
package reference

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Client is an OAuth client registered at the reference server.
type Client struct {
	ID string `json:"client_id" yaml:"id"`
	// Secret is empty for a public client.
	Secret       string   `json:"client_secret,omitempty" yaml:"secret,omitempty"`
	RedirectURIs []string `json:"redirect_uris" yaml:"redirect_uris"`
	// GrantTypes lists what the client may use at the token endpoint, and
	// "implicit" for the implicit grant.
	GrantTypes []string `json:"grant_types" yaml:"grant_types"`
	// Scopes the client may ask for. Empty means every scope the server has.
	Scopes []string `json:"scopes,omitempty" yaml:"scopes,omitempty"`
	// AuthMethod is the token endpoint authentication method recorded at
	// registration: client_secret_basic, client_secret_post or none. The
	// server accepts both secret methods from every confidential client.
	AuthMethod string `json:"token_endpoint_auth_method,omitempty" yaml:"auth_method,omitempty"`
	// PostLogoutRedirectURIs are where the end-session endpoint may send
	// the browser after logging out (OpenID Connect RP-Initiated Logout
	// 1.0 §3.1).
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris" yaml:"post_logout_redirect_uris,omitempty"`
}

// Public reports whether the client has no secret.
func (c *Client) Public() bool { return c.Secret == "" }

func (c *Client) allowsGrant(grant string) bool { return slices.Contains(c.GrantTypes, grant) }

// User is a resource owner who can log in at the reference server.
type User struct {
	Username string `json:"username" yaml:"username"`
	Password string `json:"password" yaml:"password"`
}

// Config holds what a reference server needs. Zero durations take the
// defaults of [DefaultConfig].
type Config struct {
	// Issuer is the server's issuer identifier, an origin without a path
	// such as http://127.0.0.1:9443. It may be set later with
	// [Server.SetIssuer], once the listener's address is known.
	Issuer string
	Users  []User
	// Clients are registered at start; more come through /register.
	Clients []Client
	// Scopes the server knows; a request for any other is invalid_scope.
	Scopes []string
	// DefaultScope is granted when a request names no scope (RFC 6749 §3.3).
	DefaultScope string

	CodeTTL        time.Duration // authorization code lifetime
	AccessTTL      time.Duration // access token lifetime
	RefreshTTL     time.Duration // refresh token lifetime
	DeviceTTL      time.Duration // device_code and user_code lifetime
	DeviceInterval time.Duration // minimum polling interval (RFC 8628 §3.2)
	SessionTTL     time.Duration // how long a login in the browser lasts

	// RefreshGrace keeps a rotated refresh token usable for this long after
	// its rotation, as Auth0 and Okta do: a replay within it gets a fresh
	// token pair and is not taken for reuse. Zero, the default, allows no
	// grace (RFC 9700 §4.14.2). [QuirkRefreshGrace] sets it to 10 s.
	RefreshGrace time.Duration

	// Implicit switches the implicit grant (response_type=token) on. It is
	// off by default, as RFC 9700 §2.1.2 asks.
	Implicit bool
}

// The roles of the clients in [DefaultConfig], named as in the oauthcheck
// config file.
const (
	RoleConfidential  = "confidential"
	RoleConfidential2 = "confidential2"
	RolePublic        = "public"
	RolePublic2       = "public2"
	RoleDevice        = "device"
	RoleDevice2       = "device2"
	// RoleSpecial is a confidential client whose secret holds characters
	// that Basic authentication must form-encode (RFC 6749 §2.3.1).
	RoleSpecial = "special"
)

// DefaultRedirectURI is the redirect URI registered for every client of
// [DefaultConfig]. Nothing serves it: the harness catches the navigation.
const DefaultRedirectURI = "https://client.oauthcheck.test/cb"

// DefaultPostLogoutRedirectURI is the post-logout redirect URI registered
// for the clients of [DefaultConfig] that have a redirect URI.
const DefaultPostLogoutRedirectURI = "https://client.oauthcheck.test/logged-out"

// DefaultConfig returns a configuration with one user and a client for every
// role of the oauthcheck config file. Passwords and secrets are random, so
// two servers never share them.
func DefaultConfig() Config {
	webGrants := []string{"authorization_code", "refresh_token", "client_credentials"}
	publicGrants := []string{"authorization_code", "refresh_token"}
	deviceGrants := []string{GrantDeviceCode, "refresh_token"}
	redirects := []string{DefaultRedirectURI}
	loggedOut := []string{DefaultPostLogoutRedirectURI}
	return Config{
		Users: []User{{Username: "alice", Password: randomToken(12)}},
		Clients: []Client{
			{ID: "oauthcheck-a", Secret: randomToken(24), RedirectURIs: redirects, GrantTypes: webGrants, PostLogoutRedirectURIs: loggedOut},
			{ID: "oauthcheck-b", Secret: randomToken(24), RedirectURIs: redirects, GrantTypes: webGrants, PostLogoutRedirectURIs: loggedOut},
			{ID: "oauthcheck-p", RedirectURIs: redirects, GrantTypes: publicGrants, AuthMethod: "none", PostLogoutRedirectURIs: loggedOut},
			{ID: "oauthcheck-p2", RedirectURIs: redirects, GrantTypes: publicGrants, AuthMethod: "none", PostLogoutRedirectURIs: loggedOut},
			{ID: "oauthcheck-d", GrantTypes: deviceGrants, AuthMethod: "none"},
			{ID: "oauthcheck-d2", GrantTypes: deviceGrants, AuthMethod: "none"},
			{ID: "oauthcheck-s", Secret: "a:b+c%d/e f&" + randomToken(16), RedirectURIs: redirects, GrantTypes: webGrants, PostLogoutRedirectURIs: loggedOut},
		},
		Scopes:         []string{"openid", "profile", "email", "api"},
		DefaultScope:   "openid profile",
		CodeTTL:        60 * time.Second,
		AccessTTL:      10 * time.Minute,
		RefreshTTL:     24 * time.Hour,
		DeviceTTL:      10 * time.Minute,
		DeviceInterval: 5 * time.Second,
		SessionTTL:     12 * time.Hour,
	}
}

// ClientRoles maps the roles of the oauthcheck config file to the client IDs
// of [DefaultConfig].
var ClientRoles = map[string]string{
	RoleConfidential:  "oauthcheck-a",
	RoleConfidential2: "oauthcheck-b",
	RolePublic:        "oauthcheck-p",
	RolePublic2:       "oauthcheck-p2",
	RoleDevice:        "oauthcheck-d",
	RoleDevice2:       "oauthcheck-d2",
	RoleSpecial:       "oauthcheck-s",
}

// Server is the reference authorization server. It is an [http.Handler].
type Server struct {
	cfg        Config
	weak       map[Weakness]bool
	quirk      map[Quirk]bool
	signingKey *rsa.PrivateKey
	keyID      string
	csrfKey    []byte
	now        func() time.Time
	// crossOrigin refuses cross-origin posts to the pages' forms.
	crossOrigin *http.CrossOriginProtection

	mu     sync.RWMutex // guards issuer
	issuer string

	store *store
	mux   *http.ServeMux
}

// Option changes a [Server] at construction.
type Option func(*Server) error

// WithWeakness switches off the protections named, each a [Weakness].
func WithWeakness(names ...string) Option {
	return func(s *Server) error {
		for _, n := range names {
			w, err := ParseWeakness(n)
			if err != nil {
				return err
			}
			s.weak[w] = true
		}
		return nil
	}
}

// WithSigningKey sets the RSA key that signs JWT access tokens and ID
// tokens, instead of a fresh 2048-bit key.
func WithSigningKey(key *rsa.PrivateKey) Option {
	return func(s *Server) error {
		if key == nil || key.N.BitLen() < 2048 {
			return errors.New("reference: signing key must be RSA of at least 2048 bits")
		}
		s.signingKey = key
		return nil
	}
}

// WithClock sets the clock the server reads, for tests of expiry.
func WithClock(now func() time.Time) Option {
	return func(s *Server) error {
		s.now = now
		return nil
	}
}

// New returns a reference server for cfg.
func New(cfg Config, opts ...Option) (*Server, error) {
	def := DefaultConfig()
	for _, d := range []struct{ v, def *time.Duration }{
		{&cfg.CodeTTL, &def.CodeTTL}, {&cfg.AccessTTL, &def.AccessTTL}, {&cfg.RefreshTTL, &def.RefreshTTL},
		{&cfg.DeviceTTL, &def.DeviceTTL}, {&cfg.DeviceInterval, &def.DeviceInterval}, {&cfg.SessionTTL, &def.SessionTTL},
	} {
		if *d.v <= 0 {
			*d.v = *d.def
		}
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = def.Scopes
	}
	if cfg.DefaultScope == "" {
		cfg.DefaultScope = def.DefaultScope
	}
	cfg.Clients = cloneClients(cfg.Clients)
	cfg.Scopes = slices.Clone(cfg.Scopes)
	s := &Server{
		cfg:         cfg,
		weak:        map[Weakness]bool{},
		quirk:       map[Quirk]bool{},
		csrfKey:     []byte(randomToken(32)),
		now:         time.Now,
		crossOrigin: http.NewCrossOriginProtection(),
		store:       newStore(),
	}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	if s.weak[ImplicitGrant] {
		s.cfg.Implicit = true
	}
	if s.signingKey == nil {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("reference: generate signing key: %w", err)
		}
		s.signingKey = key
	}
	thumb, err := keyThumbprint(s.signingKey.Public(), crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("reference: key id: %w", err)
	}
	s.keyID = thumb
	s.applyQuirks()
	seen := map[string]bool{}
	for _, c := range cloneClients(s.cfg.Clients) {
		if c.ID == "" || seen[c.ID] {
			return nil, fmt.Errorf("reference: client id %q is empty or repeated", c.ID)
		}
		seen[c.ID] = true
		if c.AuthMethod == "" {
			c.AuthMethod = "client_secret_basic"
			if c.Public() {
				c.AuthMethod = "none"
			}
		}
		s.store.clients[c.ID] = &c
	}
	if cfg.Issuer != "" {
		if err := s.SetIssuer(cfg.Issuer); err != nil {
			return nil, err
		}
	}
	s.routes()
	return s, nil
}

// cloneClients copies clients with their slices, so that the server never
// shares them with its caller (DefaultConfig's clients share theirs).
func cloneClients(cs []Client) []Client {
	out := slices.Clone(cs)
	for i := range out {
		out[i].RedirectURIs = slices.Clone(out[i].RedirectURIs)
		out[i].GrantTypes = slices.Clone(out[i].GrantTypes)
		out[i].Scopes = slices.Clone(out[i].Scopes)
		out[i].PostLogoutRedirectURIs = slices.Clone(out[i].PostLogoutRedirectURIs)
	}
	return out
}

// SetIssuer sets the issuer identifier, for servers whose address is known
// only once they listen (httptest.NewServer).
func (s *Server) SetIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("reference: issuer %q must be an http or https origin such as http://127.0.0.1:9443", issuer)
	}
	s.mu.Lock()
	s.issuer = strings.TrimSuffix(issuer, "/")
	s.mu.Unlock()
	return nil
}

// Issuer returns the issuer identifier.
func (s *Server) Issuer() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.issuer
}

// Config returns the server's configuration, with the clients registered
// at start.
func (s *Server) Config() Config { return s.cfg }

// Weaknesses returns the weaknesses switched on.
func (s *Server) Weaknesses() []Weakness {
	var out []Weakness
	for _, w := range AllWeaknesses() {
		if s.weak[w.Name] {
			out = append(out, w.Name)
		}
	}
	return out
}

func (s *Server) weakened(w Weakness) bool { return s.weak[w] }

// ServeHTTP implements [http.Handler].
// Every request body is cut at MaxBodyBytes (64 KiB); every request may
// sweep expired state.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.Issuer() == "" {
		http.Error(w, "reference: issuer not set", http.StatusServiceUnavailable)
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	}
	s.maybeSweep()
	s.mux.ServeHTTP(w, r)
}

// MaxBodyBytes is the largest request body the server reads: a larger
// form or JSON body is invalid_request (or 413 on a page).
const MaxBodyBytes = 64 << 10

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /.well-known/oauth-authorization-server", s.metadata)
	m.HandleFunc("GET /.well-known/openid-configuration", s.metadata)
	m.HandleFunc("GET /authorize", s.authorize)
	m.HandleFunc("GET /authorize/resume", s.authorizeResume)
	m.HandleFunc("GET /login", s.loginForm)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("GET /logout", s.logout)
	m.HandleFunc("POST /logout", s.logout)
	m.HandleFunc("POST /logout/confirm", s.logoutConfirm)
	m.HandleFunc("POST /consent", s.consent)
	m.HandleFunc("POST /api/login", s.apiLogin)
	m.HandleFunc("POST /api/consent", s.apiConsent)
	m.HandleFunc("GET /continue", s.continuePage)
	m.HandleFunc("GET /assets/app.js", s.appScript)
	m.HandleFunc("POST /token", s.token)
	m.HandleFunc("/token", s.tokenOtherMethod)
	m.HandleFunc("POST /device_authorization", s.deviceAuthorization)
	m.HandleFunc("GET /device", s.devicePage)
	m.HandleFunc("POST /device", s.deviceSubmit)
	m.HandleFunc("POST /device/decide", s.deviceDecide)
	m.HandleFunc("POST /revoke", s.revoke)
	m.HandleFunc("/revoke", s.methodNotAllowed)
	m.HandleFunc("POST /introspect", s.introspect)
	m.HandleFunc("/introspect", s.methodNotAllowed)
	m.HandleFunc("GET /jwks", s.jwks)
	m.HandleFunc("POST /register", s.register)
	m.HandleFunc("GET /userinfo", s.userinfo)
	m.HandleFunc("GET /{$}", s.home)
	s.mux = m
}

func (s *Server) endpoint(path string) string { return s.Issuer() + path }
