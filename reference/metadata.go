package reference

import (
	"encoding/json"
	"net/http"
	"strings"
)

// metadata serves RFC 8414 authorization server metadata, which is also
// the OpenID Provider configuration, at both well-known locations.
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	responseTypes := []string{"code"}
	grants := []string{"authorization_code", "refresh_token", "client_credentials", GrantDeviceCode}
	if s.cfg.Implicit {
		responseTypes = append(responseTypes, "token")
		grants = append(grants, "implicit")
	}
	if s.weakened(PasswordGrant) {
		grants = append(grants, "password")
	}
	methods := []string{"S256"}
	if s.weakened(PKCEPlain) {
		methods = append(methods, "plain")
	}
	authMethods := []string{"client_secret_basic", "client_secret_post", "none"}
	md := map[string]any{
		"issuer":                                         s.Issuer(),
		"authorization_endpoint":                         s.endpoint("/authorize"),
		"token_endpoint":                                 s.endpoint("/token"),
		"device_authorization_endpoint":                  s.endpoint("/device_authorization"),
		"revocation_endpoint":                            s.endpoint("/revoke"),
		"introspection_endpoint":                         s.endpoint("/introspect"),
		"registration_endpoint":                          s.endpoint("/register"),
		"jwks_uri":                                       s.endpoint("/jwks"),
		"userinfo_endpoint":                              s.endpoint("/userinfo"),
		"end_session_endpoint":                           s.endpoint("/logout"),
		"scopes_supported":                               s.cfg.Scopes,
		"response_types_supported":                       responseTypes,
		"response_modes_supported":                       []string{"query", "fragment"},
		"grant_types_supported":                          grants,
		"token_endpoint_auth_methods_supported":          authMethods,
		"revocation_endpoint_auth_methods_supported":     authMethods,
		"introspection_endpoint_auth_methods_supported":  authMethods[:2],
		"code_challenge_methods_supported":               methods,
		"authorization_response_iss_parameter_supported": true,
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"claims_supported":                               []string{"sub", "iss", "aud", "exp", "iat", "nonce", "name"},
	}
	if s.weakened(IssuerMismatch) {
		md["issuer"] = s.Issuer() + "/"
	}
	if s.weakened(MetadataIncomplete) {
		delete(md, "response_types_supported")
	}
	if s.weakened(PKCENotAdvertised) {
		delete(md, "code_challenge_methods_supported")
	}
	if s.weakened(MetadataNotJSON) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(md)
		return
	}
	s.writeJSON(w, http.StatusOK, md, false)
}

// home answers the issuer URL itself with a short page that points to the
// metadata.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, http.StatusOK, "message", pageData{
		Title:   "oauthcheck reference server",
		Message: "Metadata: " + strings.TrimSpace(s.endpoint("/.well-known/oauth-authorization-server")),
	})
}
