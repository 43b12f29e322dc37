package reference

import (
	"net/http"
	"strings"
)

// userinfo is a small protected resource: it answers a valid bearer access
// token (RFC 6750 §2.1) with its subject, and anything else with 401.
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	s.store.mu.Lock()
	t := s.store.tokens[strings.TrimSpace(tok)]
	ok := strings.EqualFold(scheme, "Bearer") && t != nil && t.kind == accessToken && s.store.active(t, s.now())
	s.store.mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		s.writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"}, true)
		return
	}
	sub := t.username
	if sub == "" {
		sub = t.clientID
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"sub": sub, "name": sub}, true)
}
