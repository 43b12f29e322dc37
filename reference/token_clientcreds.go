package reference

import (
	"net/url"
	"strings"
)

// grantClientCredentials issues an access token to an authenticated
// confidential client (RFC 6749 §4.4), without a refresh token (§4.4.3).
func (s *Server) grantClientCredentials(c *Client, form url.Values) (map[string]any, *oauthError) {
	if c.Public() && !s.weakened(CCPublicClient) {
		return nil, errUnauthorizedClient("client_credentials is for confidential clients only")
	}
	if !c.allowsGrant("client_credentials") && !(c.Public() && s.weakened(CCPublicClient)) {
		return nil, errUnauthorizedClient("the client may not use client_credentials")
	}
	scope := strings.Join(strings.Fields(form.Get("scope")), " ")
	for _, sc := range strings.Fields(scope) {
		if sc == "openid" || !hasScope(strings.Join(s.cfg.Scopes, " "), sc) ||
			(len(c.Scopes) > 0 && !hasScope(strings.Join(c.Scopes, " "), sc)) {
			return nil, errInvalidScope("scope " + sc + " is unknown or not allowed for this client")
		}
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	resp, err := s.issue(s.newGrant(c.ID, "", scope), scope, s.weakened(CCRefreshToken), "")
	if err != nil {
		return nil, errServer(err)
	}
	if scope == "" {
		delete(resp, "scope")
	}
	return resp, nil
}

// grantPassword refuses the resource owner password credentials grant
// (RFC 9700 §2.4), unless the password-grant weakness is on.
func (s *Server) grantPassword(c *Client, form url.Values) (map[string]any, *oauthError) {
	if !s.weakened(PasswordGrant) {
		return nil, errUnsupportedGrantType("the password grant is not supported (RFC 9700 §2.4)")
	}
	user := ""
	for _, u := range s.cfg.Users {
		if u.Username == form.Get("username") && u.Password == form.Get("password") {
			user = u.Username
		}
	}
	if user == "" {
		return nil, errInvalidGrant("wrong username or password")
	}
	scope := s.cfg.DefaultScope
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	resp, err := s.issue(s.newGrant(c.ID, user, scope), scope, true, "")
	if err != nil {
		return nil, errServer(err)
	}
	return resp, nil
}
