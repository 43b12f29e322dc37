package reference

import "net/http"

// revoke is the revocation endpoint (RFC 7009 §2). Unknown tokens get 200;
// a token of another client is refused and kept; revoking a refresh token
// revokes the whole grant, its access tokens included (§2.1). Under the
// revocation-eventual quirk a revocation takes effect later: "in practice,
// there could be a propagation delay" (§2.1).
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	form, e := parseForm(r)
	if e != nil {
		s.writeError(w, e)
		return
	}
	c, e := s.authenticateClient(r, form, s.weakened(RevokeNoClientAuth))
	if e != nil {
		s.writeError(w, e)
		return
	}
	if !form.Has("token") {
		s.writeError(w, errInvalidRequest("token is required"))
		return
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	// token_type_hint only orders a search; one lookup covers every type.
	t := s.store.tokens[form.Get("token")]
	at := s.revocationTime(s.now())
	hint := form.Get("token_type_hint")
	switch {
	case t == nil:
	case s.weakened(RevokeHintStrict) && hint != "" && hint != string(t.kind):
		// the hint is taken as the only type to search: nothing found
	case t.clientID != c.ID && !s.weakened(RevokeCrossClient):
		s.writeError(w, errInvalidGrant("the token was issued to another client"))
		return
	case t.kind == refreshToken && s.weakened(RevokeNoop):
	case t.kind == refreshToken:
		if g := s.store.grants[t.grantID]; g != nil && s.weakened(RevokeNoCascade) {
			revokeAt(&g.refreshRevokedAt, at)
		} else if g != nil {
			revokeAt(&g.revokedAt, at)
		}
	case s.weakened(RevokeAccessNoop):
	default:
		revokeAt(&t.revokedAt, at)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
