package reference

import (
	"encoding/json"
	"net/http"
)

// oauthError is the one wire type of protocol errors (RFC 6749 §4.1.2.1,
// §5.2). Constructors return fresh values.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	status      int
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func newError(status int, code, desc string) *oauthError {
	return &oauthError{Code: code, Description: desc, status: status}
}

func errInvalidRequest(desc string) *oauthError {
	return newError(http.StatusBadRequest, "invalid_request", desc)
}
func errInvalidClient(desc string) *oauthError {
	return newError(http.StatusUnauthorized, "invalid_client", desc)
}
func errInvalidGrant(desc string) *oauthError {
	return newError(http.StatusBadRequest, "invalid_grant", desc)
}
func errUnauthorizedClient(desc string) *oauthError {
	return newError(http.StatusBadRequest, "unauthorized_client", desc)
}
func errUnsupportedGrantType(desc string) *oauthError {
	return newError(http.StatusBadRequest, "unsupported_grant_type", desc)
}
func errInvalidScope(desc string) *oauthError {
	return newError(http.StatusBadRequest, "invalid_scope", desc)
}
func errUnsupportedResponseType(desc string) *oauthError {
	return newError(http.StatusBadRequest, "unsupported_response_type", desc)
}
func errAccessDenied(desc string) *oauthError {
	return newError(http.StatusBadRequest, "access_denied", desc)
}

// writeJSON writes v as a JSON response. Responses that carry tokens or
// credentials pass noStore, and get Cache-Control: no-store and
// Pragma: no-cache (RFC 6749 §5.1) unless the no-cache-headers weakness is on.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any, noStore bool) {
	s.writeJSONAs(w, "application/json;charset=UTF-8", status, v, noStore)
}

// writeJSONAs is writeJSON with another Content-Type (the token-text-plain
// weakness).
func (s *Server) writeJSONAs(w http.ResponseWriter, contentType string, status int, v any, noStore bool) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	if noStore && !s.weakened(NoCacheHeaders) {
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes a token-style error (RFC 6749 §5.2). A 401 names the
// Basic scheme in WWW-Authenticate. A 429 lockout is a 403 HTML page under
// the lockout-403 quirk.
func (s *Server) writeError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusTooManyRequests && s.quirked(QuirkLockout403) {
		// A lockout as a WAF or an edge answers it (the lockout-403 quirk).
		s.errorPage(w, http.StatusForbidden, "Access blocked: too many failed attempts. Try again later.")
		return
	}
	switch e.status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="oauthcheck-reference"`)
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "60")
	}
	s.writeJSON(w, e.status, e, true)
}

// tokenOtherMethod refuses a token request that is not a POST, unless the
// token-get-allowed weakness is on.
func (s *Server) tokenOtherMethod(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && s.weakened(TokenGetAllowed) {
		s.token(w, r)
		return
	}
	s.methodNotAllowed(w, r)
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	s.writeJSON(w, http.StatusMethodNotAllowed, errInvalidRequest("use POST"), true)
}
