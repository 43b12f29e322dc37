package reference

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// registration is the client metadata of RFC 7591 §2 that the server reads.
type registration struct {
	RedirectURIs []string `json:"redirect_uris,omitempty"`
	// PostLogoutRedirectURIs is of OpenID Connect RP-Initiated Logout §3.1.
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	GrantTypes             []string `json:"grant_types,omitempty"`
	ResponseTypes          []string `json:"response_types,omitempty"`
	AuthMethod             string   `json:"token_endpoint_auth_method,omitempty"`
	ClientName             string   `json:"client_name,omitempty"`
	Scope                  string   `json:"scope,omitempty"`
}

// MaxRegistrations caps the clients that dynamic registration adds to one
// server, so that an open endpoint cannot fill its memory.
const MaxRegistrations = 1000

// register is the dynamic client registration endpoint (RFC 7591 §3). It is
// open, as a local test server may be, up to [MaxRegistrations] clients.
// Redirect URIs must be https, or http on a loopback address (RFC 9700
// §2.6, RFC 8252 §7.3).
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	regErr := func(code, desc string) {
		s.writeJSON(w, http.StatusBadRequest, &oauthError{Code: code, Description: desc}, true)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		regErr("invalid_client_metadata", "the body must be application/json")
		return
	}
	body, e := readBody(r)
	if e != nil {
		s.writeError(w, e)
		return
	}
	var req registration
	if err := json.Unmarshal(body, &req); err != nil {
		regErr("invalid_client_metadata", "malformed JSON: "+err.Error())
		return
	}
	if len(req.GrantTypes) == 0 {
		req.GrantTypes = []string{"authorization_code"}
	}
	if len(req.ResponseTypes) == 0 {
		req.ResponseTypes = []string{"code"}
	}
	if req.AuthMethod == "" {
		req.AuthMethod = "client_secret_basic"
	}
	c := &Client{ID: "dyn-" + randomToken(12), RedirectURIs: req.RedirectURIs, GrantTypes: req.GrantTypes,
		AuthMethod: req.AuthMethod, Scopes: strings.Fields(req.Scope), PostLogoutRedirectURIs: req.PostLogoutRedirectURIs}
	usesRedirect := false
	for _, g := range req.GrantTypes {
		switch g {
		case "authorization_code":
			usesRedirect = true
		case "refresh_token", "client_credentials", GrantDeviceCode:
		default:
			regErr("invalid_client_metadata", "grant type "+g+" is not supported")
			return
		}
	}
	for _, rt := range req.ResponseTypes {
		if rt != "code" {
			regErr("invalid_client_metadata", "response type "+rt+" is not supported")
			return
		}
	}
	switch req.AuthMethod {
	case "client_secret_basic", "client_secret_post":
		c.Secret = randomToken(32)
	case "none":
		if c.allowsGrant("client_credentials") {
			regErr("invalid_client_metadata", "client_credentials needs a confidential client")
			return
		}
	default:
		regErr("invalid_client_metadata", "token_endpoint_auth_method "+req.AuthMethod+" is not supported")
		return
	}
	if usesRedirect && len(req.RedirectURIs) == 0 {
		regErr("invalid_redirect_uri", "the authorization code grant needs redirect_uris")
		return
	}
	// Post-logout redirect URIs follow the rules of redirect URIs
	// (RP-Initiated Logout §3.1).
	for _, u := range slices.Concat(req.RedirectURIs, req.PostLogoutRedirectURIs) {
		if msg := checkRedirectURI(u); msg != "" && !(s.weakened(RegistrationLax) && strings.HasPrefix(u, "http://")) {
			regErr("invalid_redirect_uri", msg)
			return
		}
	}
	for _, sc := range c.Scopes {
		if !hasScope(strings.Join(s.cfg.Scopes, " "), sc) {
			regErr("invalid_client_metadata", "scope "+sc+" is unknown")
			return
		}
	}
	s.store.mu.Lock()
	if s.store.registered >= MaxRegistrations {
		s.store.mu.Unlock()
		regErr("invalid_request", fmt.Sprintf("this server holds %d registered clients, its limit; restart it for more", MaxRegistrations))
		return
	}
	s.store.registered++
	s.store.clients[c.ID] = c
	s.store.mu.Unlock()
	if c.RedirectURIs == nil {
		c.RedirectURIs = []string{}
	}
	resp := map[string]any{
		"client_id":                  c.ID,
		"client_id_issued_at":        s.now().Unix(),
		"redirect_uris":              c.RedirectURIs,
		"grant_types":                c.GrantTypes,
		"response_types":             req.ResponseTypes,
		"token_endpoint_auth_method": c.AuthMethod,
	}
	if c.Secret != "" {
		resp["client_secret"] = c.Secret
		resp["client_secret_expires_at"] = 0
	}
	if len(c.PostLogoutRedirectURIs) > 0 {
		resp["post_logout_redirect_uris"] = c.PostLogoutRedirectURIs
	}
	if req.ClientName != "" {
		resp["client_name"] = req.ClientName
	}
	if req.Scope != "" {
		resp["scope"] = req.Scope
	}
	s.writeJSON(w, http.StatusCreated, resp, true)
}

// checkRedirectURI returns why u cannot be registered, or "".
func checkRedirectURI(u string) string {
	p, err := url.Parse(u)
	switch {
	case err != nil || !p.IsAbs() || p.Host == "":
		return "redirect URI " + u + " is not an absolute URL"
	case p.Fragment != "" || strings.Contains(u, "#"):
		return "redirect URI " + u + " has a fragment"
	case p.Scheme == "https", loopbackRedirect(p):
		return ""
	case p.Scheme == "http":
		return "redirect URI " + u + " uses http on a host that is not loopback"
	}
	return "redirect URI " + u + " has an unsupported scheme"
}
