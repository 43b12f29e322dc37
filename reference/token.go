package reference

import (
	"fmt"
	"net/http"
	"net/url"
)

// GrantDeviceCode is the grant type of RFC 8628 §3.4.
const GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// token is the token endpoint (RFC 6749 §3.2). It takes POST only, with
// the parameters in a form body; every answer carries Cache-Control:
// no-store.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	form, e := s.parseTokenForm(r)
	if e != nil {
		s.writeError(w, e)
		return
	}
	grantType := form.Get("grant_type")
	if grantType == "" {
		s.writeError(w, errInvalidRequest("grant_type is required"))
		return
	}
	idOnly := (grantType == "client_credentials" && s.weakened(CCNoClientAuth)) ||
		(grantType == "refresh_token" && s.weakened(RefreshNoClientAuth))
	c, e := s.authenticateClient(r, form, idOnly)
	if e != nil {
		if e.status == http.StatusUnauthorized && s.weakened(InvalidClient400) {
			e.status = http.StatusBadRequest
		}
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
		if e.Code == "unsupported_grant_type" && s.weakened(TokenErrorHTML) {
			s.errorPage(w, http.StatusBadRequest, "Unsupported grant type.")
			return
		}
		s.writeError(w, e)
		return
	}
	if s.weakened(TokenResponseIncomplete) {
		delete(resp, "token_type")
	}
	if s.weakened(TokenTextPlain) {
		s.writeJSONAs(w, "text/plain; charset=utf-8", http.StatusOK, resp, true)
		return
	}
	s.writeJSON(w, http.StatusOK, resp, true)
}

// parseTokenForm reads a token request; under weaknesses it also takes
// credentials from the URI, repeated parameters, or a GET.
func (s *Server) parseTokenForm(r *http.Request) (url.Values, *oauthError) {
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		return q, checkRepeated(q)
	}
	if s.weakened(SecretInURI) && r.URL.RawQuery != "" {
		q := r.URL.Query()
		r.URL.RawQuery = ""
		form, e := parseForm(r)
		if e != nil {
			return nil, e
		}
		for _, k := range []string{"client_id", "client_secret"} {
			if q.Has(k) {
				form.Set(k, q.Get(k))
			}
		}
		return form, nil
	}
	if s.weakened(TokenRepeatedParams) {
		return parseFormLenient(r)
	}
	return parseForm(r)
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
