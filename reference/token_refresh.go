package reference

import (
	"net/url"
	"strings"
	"time"
)

// grantRefresh exchanges a refresh token (RFC 6749 §6). Every refresh
// rotates the token; replaying a rotated one revokes the whole family
// (RFC 9700 §4.14.2), unless it comes within [Config.RefreshGrace] of the
// rotation, when it gets a fresh token pair (the lost-response leeway of
// Auth0 and Okta). The scope can narrow but never widen.
func (s *Server) grantRefresh(c *Client, form url.Values) (map[string]any, *oauthError) {
	if !c.allowsGrant("refresh_token") {
		return nil, errUnauthorizedClient("the client may not use refresh tokens")
	}
	if !form.Has("refresh_token") {
		return nil, errInvalidRequest("refresh_token is required")
	}
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	value := form.Get("refresh_token")
	rt := st.tokens[value]
	now := s.now()
	switch {
	case rt == nil || rt.kind != refreshToken:
		return nil, errInvalidGrant("unknown refresh token")
	case rt.clientID != c.ID && !s.weakened(RefreshNotClientBound):
		return nil, errInvalidGrant("the refresh token was issued to another client")
	case rt.rotated && !s.inGrace(rt, now):
		g := st.grants[rt.grantID]
		switch {
		case g == nil:
		case s.weakened(RefreshReuseKeepsAccess):
			revokeAt(&g.refreshRevokedAt, s.revocationTime(now))
			return nil, errInvalidGrant("the refresh token was already used; its family's refresh tokens are revoked")
		case !s.weakened(RefreshNoReuseDetect):
			revokeAt(&g.revokedAt, s.revocationTime(now))
			return nil, errInvalidGrant("the refresh token was already used; its family is revoked")
		}
		return nil, errInvalidGrant("the refresh token was already used")
	case !st.active(rt, now):
		return nil, errInvalidGrant("the refresh token is expired or revoked")
	}
	g := st.grants[rt.grantID]
	scope := strings.Join(strings.Fields(form.Get("scope")), " ")
	if scope == "" {
		scope = g.scope
	} else if !scopeSubset(scope, g.scope) {
		if !s.weakened(RefreshScopeEscalation) {
			return nil, errInvalidScope("the scope asked for is wider than the grant's")
		}
		g.scope = scope
	}
	rotate := !s.weakened(RefreshNoRotation)
	resp, err := s.issue(g, scope, rotate, "")
	if err != nil {
		return nil, errServer(err)
	}
	switch {
	case !rotate:
		resp["refresh_token"] = value
	case !s.weakened(RefreshOldValid) && !rt.rotated:
		rt.rotated, rt.rotatedAt = true, now
	}
	delete(resp, "id_token")
	return resp, nil
}

// inGrace reports whether a rotated refresh token is still within
// [Config.RefreshGrace] of its rotation.
func (s *Server) inGrace(rt *token, now time.Time) bool {
	return rt.rotated && s.cfg.RefreshGrace > 0 && now.Sub(rt.rotatedAt) <= s.cfg.RefreshGrace
}
