package target

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/oauthcheck/oauthcheck/drivers/client"
)

// DefaultRedirectURI is the redirect URI when the config names none. The
// browser catches the navigation to it; nothing needs to serve it.
const DefaultRedirectURI = "https://client.oauthcheck.test/cb"

// Target is the authorization server under test, as the checks see it.
type Target struct {
	Issuer   string
	Config   *Config
	Metadata *Metadata
	// HTTP is the client every check derives its recording client from.
	HTTP *client.Client
	// Registered lists the roles whose clients came from RFC 7591
	// registration in this run.
	Registered []string
}

// Open discovers the target and completes its config: the issuer from
// --target, defaults, and clients registered through RFC 7591 when the
// config names none and the server offers registration.
func Open(ctx context.Context, c *client.Client, issuer string, cfg *Config) (*Target, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if issuer == "" {
		issuer = cfg.Issuer
	}
	if issuer == "" {
		return nil, fmt.Errorf("target: no issuer: pass --target URL or set issuer in the config")
	}
	cfg.Issuer = issuer
	if cfg.Profile == "" {
		cfg.Profile = "bcp"
	}
	if cfg.RedirectURI == "" {
		cfg.RedirectURI = DefaultRedirectURI
	}
	if cfg.Scope == "" {
		cfg.Scope = "openid"
	}
	if cfg.Oracle == "" {
		cfg.Oracle = "introspection"
	}
	if cfg.Clients == nil {
		cfg.Clients = map[string]*Client{}
	}
	for _, cl := range cfg.Clients {
		c.Redactor().Add("client_secret", cl.Secret)
	}
	if cfg.User != nil {
		c.Redactor().Add("password", cfg.User.Password)
	}
	md, err := Discover(ctx, c, issuer)
	if err != nil {
		return nil, err
	}
	t := &Target{Issuer: issuer, Config: cfg, Metadata: md, HTTP: c}
	c.KeepSecretsOn(t.OnSite)
	if len(cfg.Clients) == 0 && md.RegistrationEndpoint != "" {
		if err := t.registerClients(ctx); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Client returns the client of a role, or why the checks that need it
// are skipped.
func (t *Target) Client(role string) (*Client, string) {
	if c := t.Config.Clients[role]; c != nil && c.ID != "" {
		return c, ""
	}
	return nil, fmt.Sprintf("the config names no %q client (clients.%s)", role, role)
}

// User returns the test user, or why the checks that need one are skipped.
func (t *Target) User() (*User, string) {
	if u := t.Config.User; u != nil && u.Username != "" {
		return u, ""
	}
	return nil, "the config names no test user (user: {username, password})"
}

// registerClients registers a client for every role through RFC 7591.
func (t *Target) registerClients(ctx context.Context) error {
	type reg struct {
		role, method string
		grants       []string
	}
	device := "urn:ietf:params:oauth:grant-type:device_code"
	for _, r := range []reg{
		{RoleConfidential, "client_secret_basic", []string{"authorization_code", "refresh_token", "client_credentials"}},
		{RoleConfidential2, "client_secret_basic", []string{"authorization_code", "refresh_token", "client_credentials"}},
		{RolePublic, "none", []string{"authorization_code", "refresh_token"}},
		{RolePublic2, "none", []string{"authorization_code", "refresh_token"}},
		{RoleDevice, "none", []string{device, "refresh_token"}},
		{RoleDevice2, "none", []string{device, "refresh_token"}},
	} {
		body := map[string]any{
			"client_name":                "oauthcheck " + r.role,
			"grant_types":                r.grants,
			"token_endpoint_auth_method": r.method,
			"scope":                      t.Config.Scope + " " + t.Config.ExtraScope,
		}
		if r.grants[0] == "authorization_code" {
			body["redirect_uris"] = []string{t.Config.RedirectURI}
			body["response_types"] = []string{"code"}
		}
		raw, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Metadata.RegistrationEndpoint, bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("target: register %s client: %w", r.role, err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := t.HTTP.Do(ctx, req)
		if err != nil {
			return fmt.Errorf("target: register %s client: %w", r.role, err)
		}
		if resp.Status != http.StatusCreated && resp.Status != http.StatusOK {
			return fmt.Errorf("target: register %s client: %d %s; name the clients in the config instead", r.role, resp.Status, resp.OAuthError())
		}
		c := &Client{ID: resp.Field("client_id"), Secret: resp.Field("client_secret")}
		if c.ID == "" {
			return fmt.Errorf("target: register %s client: no client_id in the response", r.role)
		}
		if c.Secret != "" {
			c.AuthMethod = r.method
			t.HTTP.Redactor().Add("client_secret", c.Secret)
		}
		t.Config.Clients[r.role] = c
		t.Registered = append(t.Registered, r.role)
	}
	return nil
}
