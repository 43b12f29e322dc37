package reference

import "net/http"

// introspect is the introspection endpoint (RFC 7662 §2). Callers must be
// authenticated confidential clients; an inactive token of any kind gets
// {"active":false} and nothing more (§2.2).
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	form, e := parseForm(r)
	if e != nil {
		s.writeError(w, e)
		return
	}
	c, e := s.authenticateClient(r, form, false)
	if e == nil && c.Public() {
		e = errInvalidClient("introspection needs an authenticated confidential client")
	}
	if e != nil && !s.weakened(IntrospectNoAuth) {
		s.writeError(w, e)
		return
	}
	if !form.Has("token") {
		s.writeError(w, errInvalidRequest("token is required"))
		return
	}
	s.store.mu.Lock()
	t := s.store.tokens[form.Get("token")]
	now := s.now()
	active := s.store.active(t, now) && !(t.kind == refreshToken && t.rotated && !s.inGrace(t, now))
	s.store.mu.Unlock()
	if !active {
		resp := map[string]any{"active": false}
		if s.weakened(IntrospectVerbose) {
			resp["reason"] = "unknown, revoked or expired"
		}
		s.writeJSON(w, http.StatusOK, resp, true)
		return
	}
	clientID := t.clientID
	if s.weakened(IntrospectWrongClient) && c != nil {
		clientID = c.ID
	}
	resp := map[string]any{
		"active":     true,
		"client_id":  clientID,
		"scope":      s.scopeOut(t.scope),
		"token_type": "Bearer",
		"exp":        t.expires.Unix(),
		"iat":        t.issued.Unix(),
		"iss":        s.Issuer(),
	}
	if t.kind == refreshToken {
		resp["token_type"] = "refresh_token"
	}
	if t.jti != "" {
		resp["jti"] = t.jti
		resp["aud"] = s.Issuer()
	}
	sub := t.username
	if sub == "" {
		sub = t.clientID
	} else {
		resp["username"] = t.username
	}
	resp["sub"] = sub
	s.writeJSON(w, http.StatusOK, resp, true)
}
