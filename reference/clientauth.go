package reference

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// parseForm reads a form-encoded POST body strictly: parameters in the
// query, a repeated parameter or another content type are invalid_request
// (RFC 6749 §3.1, §3.2). Empty values count as absent.
func parseForm(r *http.Request) (url.Values, *oauthError) {
	if r.URL.RawQuery != "" {
		return nil, errInvalidRequest("parameters must be sent in the request body, not the URI")
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errInvalidRequest("the body must be application/x-www-form-urlencoded")
	}
	body, e := readBody(r)
	if e != nil {
		return nil, e
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errInvalidRequest("malformed form body")
	}
	if e := checkRepeated(form); e != nil {
		return nil, e
	}
	for k, v := range form {
		if v[0] == "" {
			delete(form, k)
		}
	}
	return form, nil
}

// parseFormLenient is parseForm that keeps the first of repeated
// parameters (the token-repeated-params weakness).
func parseFormLenient(r *http.Request) (url.Values, *oauthError) {
	body, e := readBody(r)
	if e != nil {
		return nil, e
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errInvalidRequest("malformed form body")
	}
	for k, v := range form {
		form[k] = v[:1]
	}
	return form, nil
}

// readBody reads a request body of at most [MaxBodyBytes], the limit that
// ServeHTTP sets on every request; a larger one is invalid_request.
func readBody(r *http.Request) ([]byte, *oauthError) {
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errInvalidRequest(fmt.Sprintf("the request body is larger than %d bytes", MaxBodyBytes))
	case err != nil:
		return nil, errInvalidRequest("read body: " + err.Error())
	}
	return body, nil
}

func checkRepeated(v url.Values) *oauthError {
	for k, vals := range v {
		if len(vals) > 1 {
			return errInvalidRequest("parameter " + k + " is repeated")
		}
	}
	return nil
}

const (
	maxAuthFailures   = 20
	authFailureWindow = time.Minute
)

// authenticateClient authenticates the client of a token, revocation,
// introspection or device authorization request: client_secret_basic, with
// the id and secret form-decoded (RFC 6749 §2.3.1), client_secret_post, or
// a public client's client_id alone. Two methods at once are refused. A
// client with too many wrong secrets in a minute is locked out for the rest
// of it (RFC 6749 §10.10). idOnly, set by a weakness, lets a confidential
// client through with its client_id alone.
func (s *Server) authenticateClient(r *http.Request, form url.Values, idOnly bool) (*Client, *oauthError) {
	var id, secret string
	basic := false
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, _, _ := strings.Cut(h, " "); s.weakened(NoBasicAuth) {
			return nil, errInvalidClient("unsupported authorization scheme " + scheme)
		}
		var e *oauthError
		if id, secret, e = parseBasic(h, !s.weakened(BasicNoFormDecoding)); e != nil {
			return nil, e
		}
		basic = true
		if form.Has("client_secret") {
			return nil, errInvalidRequest("more than one client authentication method")
		}
		if form.Has("client_id") && form.Get("client_id") != id {
			return nil, errInvalidRequest("client_id differs from the authenticated client")
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" {
		return nil, errInvalidClient("client authentication required")
	}
	s.store.mu.Lock()
	c := s.store.clients[id]
	s.store.mu.Unlock()
	switch {
	case c == nil:
		return nil, errInvalidClient("unknown client")
	case c.Public() && (secret != "" || basic):
		return nil, errInvalidClient("public client sent a secret")
	case c.Public():
		return c, nil
	case secret == "" && idOnly:
		return c, nil
	case secret == "":
		return nil, errInvalidClient("client authentication required")
	}
	if e := s.checkSecret(c, secret); e != nil {
		return nil, e
	}
	return c, nil
}

// parseBasic reads the client id and secret of an Authorization header of
// the Basic scheme (RFC 7617 §2), form-decoding both (RFC 6749 §2.3.1:
// "encoded using the application/x-www-form-urlencoded encoding
// algorithm") unless formDecode is off (the basic-no-form-decoding
// weakness). The scheme name is case-insensitive.
func parseBasic(header string, formDecode bool) (id, secret string, e *oauthError) {
	scheme, cred, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", errInvalidClient("unsupported authorization scheme " + scheme)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", "", errInvalidClient("malformed Basic credentials")
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errInvalidClient("malformed Basic credentials")
	}
	if !formDecode {
		return id, secret, nil
	}
	if id, err = url.QueryUnescape(id); err != nil {
		return "", "", errInvalidClient("malformed Basic client id")
	}
	if secret, err = url.QueryUnescape(secret); err != nil {
		return "", "", errInvalidClient("malformed Basic client secret")
	}
	return id, secret, nil
}

// checkSecret compares a client's secret in constant time, with the
// brute-force throttle (RFC 6749 §10.10) checked and counted in the same
// critical section, so parallel guesses cannot slip past it: a client with
// too many wrong secrets in a minute is locked out for the rest of it.
func (s *Server) checkSecret(c *Client, secret string) *oauthError {
	now := s.now()
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	recent := recentTimes(st.authFailures[c.ID], now, authFailureWindow)
	if len(recent) >= maxAuthFailures && !s.weakened(NoClientAuthThrottle) {
		st.authFailures[c.ID] = recent
		return newError(http.StatusTooManyRequests, "invalid_client", "too many failed authentications; try again in a minute")
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		st.authFailures[c.ID] = append(recent, now)
		return errInvalidClient("client authentication failed")
	}
	st.authFailures[c.ID] = recent
	return nil
}
