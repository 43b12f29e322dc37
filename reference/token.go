package reference

import (
	"fmt"
	"net/http"
)

// GrantDeviceCode is the grant type of RFC 8628 §3.4.
const GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// token is the token endpoint (RFC 6749 §3.2). It takes POST only, with
// the parameters in a form body; every answer carries Cache-Control:
// no-store.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	form, e := parseForm(r)
	if e != nil {
		s.writeError(w, e)
		return
	}
	grantType := form.Get("grant_type")
	if grantType == "" {
		s.writeError(w, errInvalidRequest("grant_type is required"))
		return
	}
	c, e := s.authenticateClient(r, form)
	if e != nil {
		s.writeError(w, e)
		return
	}
	var resp map[string]any
	switch grantType {
	case "authorization_code":
		resp, e = s.grantAuthorizationCode(c, form)
	case "refresh_token":
		resp, e = s.grantRefresh(c, form)
	case "client_credentials":
		resp, e = s.grantClientCredentials(c, form)
	case GrantDeviceCode:
		resp, e = s.grantDeviceCode(c, form)
	case "password":
		resp, e = s.grantPassword(c, form)
	default:
		e = errUnsupportedGrantType("grant_type " + grantType + " is not supported")
	}
	if e != nil {
		s.writeError(w, e)
		return
	}
	s.writeJSON(w, http.StatusOK, resp, true)
}

func errServer(err error) *oauthError {
	return newError(http.StatusInternalServerError, "server_error", err.Error())
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}
