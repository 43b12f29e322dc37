package reference

import (
	"net/http"

	"github.com/go-jose/go-jose/v4"
)

// jwks serves the public signing key (OIDC Discovery §3: no private or
// symmetric key material).
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	var key any = s.signingKey.Public()
	if s.weakened(JWKSPrivateKey) {
		key = s.signingKey
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: key, KeyID: s.keyID, Algorithm: string(jose.RS256), Use: "sig",
	}}}
	s.writeJSON(w, http.StatusOK, set, false)
}
