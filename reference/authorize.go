package reference

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// authRequestTTL is the least time a user has to log in and consent, how
// short the code lifetime may be.
const authRequestTTL = 10 * time.Minute

// authorize is the authorization endpoint (RFC 6749 §3.1, §4.1.1). An
// unknown client or an unregistered redirect URI gets an error page, never a
// redirect (§4.1.2.1). Other errors are redirected to the client with state
// and iss, but only once the user has logged in (RFC 9700 §4.11.2).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	client := s.client(first(q["client_id"]))
	if client == nil || len(q["client_id"]) > 1 {
		s.refuseUntrusted(w, r, q, "The client_id is missing, repeated or unknown.")
		return
	}
	redirect, sent, ok := s.matchRedirect(client, q["redirect_uri"])
	if !ok {
		s.refuseUntrusted(w, r, q, "The redirect_uri is missing, repeated or not registered for this client.")
		return
	}
	ar := &authRequest{
		id:           randomToken(16),
		clientID:     client.ID,
		redirectURI:  redirect,
		sentRedirect: sent,
		responseType: q.Get("response_type"),
		responseMode: q.Get("response_mode"),
		state:        q.Get("state"),
		nonce:        q.Get("nonce"),
		prompt:       q.Get("prompt"),
		expires:      s.now().Add(max(10*s.cfg.CodeTTL, authRequestTTL)),
	}
	ar.err = s.validateAuthRequest(client, q, ar)
	if ar.err != nil && s.weakened(ErrorBeforeLogin) {
		s.respond(w, r, ar, errorParams(ar.err), false)
		return
	}
	if _, user := s.sessionUser(r); user == "" {
		if q.Get("prompt") == "none" {
			s.respond(w, r, ar, url.Values{"error": {"login_required"}}, false)
			return
		}
		s.store.mu.Lock()
		s.store.authRequests[ar.id] = ar
		s.store.mu.Unlock()
		s.loginPage(w, r, "/authorize/resume?req="+ar.id, "")
		return
	}
	s.store.mu.Lock()
	s.store.authRequests[ar.id] = ar
	s.store.mu.Unlock()
	s.proceed(w, r, ar)
}

// authorizeResume continues an authorization request after login.
func (s *Server) authorizeResume(w http.ResponseWriter, r *http.Request) {
	s.store.mu.Lock()
	ar := s.store.authRequests[r.URL.Query().Get("req")]
	s.store.mu.Unlock()
	if ar == nil || s.now().After(ar.expires) {
		s.errorPage(w, http.StatusBadRequest, "This authorization request is unknown or expired. Start again from the application.")
		return
	}
	if _, user := s.sessionUser(r); user == "" {
		s.loginPage(w, r, "/authorize/resume?req="+ar.id, "")
		return
	}
	s.proceed(w, r, ar)
}

// proceed answers a request whose user is logged in: its error, or the
// consent page.
func (s *Server) proceed(w http.ResponseWriter, r *http.Request, ar *authRequest) {
	if ar.err != nil {
		s.store.mu.Lock()
		delete(s.store.authRequests, ar.id)
		s.store.mu.Unlock()
		s.respond(w, r, ar, errorParams(ar.err), false)
		return
	}
	if sid, user := s.sessionUser(r); user != "" && s.consented(sid, ar) {
		s.store.mu.Lock()
		delete(s.store.authRequests, ar.id)
		s.store.mu.Unlock()
		target, err := s.decide(ar, sid, user, true, ar.scope)
		if err != nil {
			s.errorPage(w, http.StatusBadRequest, "The redirect_uri cannot be parsed.")
			return
		}
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	if s.quirked(QuirkJSLogin) {
		s.jsConsentPage(w, r, ar)
		return
	}
	s.renderPage(w, http.StatusOK, "consent", pageData{
		Title: "Allow access?", CSRF: s.csrfToken(w, r), ReqID: ar.id, Client: ar.clientID, Scope: ar.scope,
		NoDeny: s.quirked(QuirkConsentNoDeny),
	})
}

// consent takes the user's decision on the consent page.
func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	if !s.readBrowserForm(w, r, "The form expired or was not sent from this site. Start again from the application.") {
		return
	}
	sid, user := s.sessionUser(r)
	s.store.mu.Lock()
	ar := s.store.authRequests[r.PostForm.Get("req")]
	delete(s.store.authRequests, r.PostForm.Get("req"))
	s.store.mu.Unlock()
	if ar == nil || ar.err != nil || s.now().After(ar.expires) || user == "" {
		s.errorPage(w, http.StatusBadRequest, "This authorization request is unknown, expired or already answered.")
		return
	}
	target, err := s.decide(ar, sid, user, r.PostForm.Get("action") == "approve", ar.scope)
	if err != nil {
		s.errorPage(w, http.StatusBadRequest, "The redirect_uri cannot be parsed.")
		return
	}
	s.redirectAfterPost(w, r, target)
}

// remembersConsent reports whether the server keeps what a session
// approves for the client of ar, and asks no more for it: for a
// confidential client, since RFC 6749 §10.2 lets a server process a
// repeated request without the user when it authenticates the client (its
// codes are redeemed with its secret), and for every client under the
// consent-remembered quirk. A public client is asked every time.
func (s *Server) remembersConsent(ar *authRequest) bool {
	if s.quirked(QuirkConsentRemembered) {
		return true
	}
	cl := s.client(ar.clientID)
	return cl != nil && !cl.Public()
}

// consented reports whether session sid approved, before, the client of ar
// for every scope ar asks for, and the server remembers it
// (remembersConsent). A request with prompt=consent is asked again
// (OpenID Connect Core §3.1.2.1).
func (s *Server) consented(sid string, ar *authRequest) bool {
	if !s.remembersConsent(ar) || slices.Contains(strings.Fields(ar.prompt), "consent") {
		return false
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	sess := s.store.sessions[sid]
	if sess == nil || sess.consented[ar.clientID] == "" {
		return false
	}
	for _, sc := range strings.Fields(ar.scope) {
		if !hasScope(sess.consented[ar.clientID], sc) {
			return false
		}
	}
	return true
}

// decide answers an authorization request with the user's decision in
// session sid and returns the redirect URI to send the browser to: with a
// code or tokens for scope (which the caller has checked is within the
// request's), or with access_denied.
func (s *Server) decide(ar *authRequest, sid, user string, approve bool, scope string) (string, error) {
	if !approve {
		return s.responseURL(ar, errorParams(errAccessDenied("the user denied the request")))
	}
	if s.remembersConsent(ar) {
		s.store.mu.Lock()
		if sess := s.store.sessions[sid]; sess != nil {
			if sess.consented == nil {
				sess.consented = map[string]string{}
			}
			sess.consented[ar.clientID] = strings.Join(strings.Fields(sess.consented[ar.clientID]+" "+scope), " ")
		}
		s.store.mu.Unlock()
	}
	params := url.Values{}
	switch ar.responseType {
	case "code":
		code := randomToken(32)
		s.store.mu.Lock()
		sentURI := ""
		if ar.sentRedirect {
			sentURI = ar.redirectURI
		}
		s.store.codes[code] = &authCode{clientID: ar.clientID, redirectURI: sentURI, scope: scope,
			username: user, nonce: ar.nonce, challenge: ar.challenge, method: ar.method,
			expires: s.now().Add(s.cfg.CodeTTL), sessionID: sid}
		s.store.mu.Unlock()
		params.Set("code", code)
	case "token":
		s.store.mu.Lock()
		g := s.newGrant(ar.clientID, user, scope)
		g.sessionID = sid
		resp, err := s.issue(g, scope, s.weakened(ImplicitRefreshToken), ar.nonce)
		s.store.mu.Unlock()
		if err != nil {
			return s.responseURL(ar, errorParams(newError(500, "server_error", "cannot issue a token")))
		}
		for k, v := range resp {
			params.Set(k, toString(v))
		}
	}
	return s.responseURL(ar, params)
}

// validateAuthRequest checks what may be answered with an error redirect.
func (s *Server) validateAuthRequest(c *Client, q url.Values, ar *authRequest) *oauthError {
	if e := checkRepeated(q); e != nil && !s.weakened(RepeatedParamsAllowed) {
		return e
	}
	switch ar.responseType {
	case "":
		return errInvalidRequest("response_type is required")
	case "code":
		if !c.allowsGrant("authorization_code") {
			return errUnauthorizedClient("the client may not use the authorization code grant")
		}
	case "token":
		if !s.cfg.Implicit || !c.allowsGrant("authorization_code") {
			return errUnsupportedResponseType("the implicit grant is disabled (RFC 9700 §2.1.2)")
		}
	default:
		return errUnsupportedResponseType("response_type " + ar.responseType + " is not supported")
	}
	switch ar.responseMode {
	case "", "fragment":
	case "query":
		if ar.responseType == "token" && !s.weakened(ImplicitQuery) {
			return errInvalidRequest("tokens are never sent in the query (RFC 6749 §4.2.2)")
		}
	default:
		return errInvalidRequest("response_mode " + ar.responseMode + " is not supported")
	}
	scope := q.Get("scope")
	if s.quirked(QuirkNonceOpenIDOnly) && q.Get("nonce") != "" && !hasScope(scope, "openid") {
		return errInvalidRequest("openid scope must be requested when using the nonce parameter")
	}
	if scope == "" {
		scope = s.cfg.DefaultScope
	}
	for _, sc := range strings.Fields(scope) {
		if !hasScope(strings.Join(s.cfg.Scopes, " "), sc) || (len(c.Scopes) > 0 && !hasScope(strings.Join(c.Scopes, " "), sc)) {
			return errInvalidScope("scope " + sc + " is unknown or not allowed for this client")
		}
	}
	ar.scope = strings.Join(strings.Fields(scope), " ")
	if ar.responseType == "code" {
		return s.validatePKCE(c, q, ar)
	}
	return nil
}

var (
	unreservedRE = regexp.MustCompile(`^[A-Za-z0-9\-._~]{43,128}$`)
	s256RE       = regexp.MustCompile(`^[A-Za-z0-9\-_]{43}$`)
)

// validatePKCE checks the code challenge (RFC 7636 §4.2-4.4, RFC 9700
// §2.1.1): S256 only, required from every client.
func (s *Server) validatePKCE(c *Client, q url.Values, ar *authRequest) *oauthError {
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge == "" {
		switch {
		case method != "":
			return errInvalidRequest("code_challenge_method without code_challenge")
		case c.Public() && !s.weakened(PKCEOptional):
			return errInvalidRequest("PKCE is required: send code_challenge with code_challenge_method=S256")
		case !c.Public() && !s.weakened(PKCEOptionalConf) && !s.weakened(PKCEDowngrade):
			return errInvalidRequest("PKCE is required: send code_challenge with code_challenge_method=S256")
		}
		return nil
	}
	if method == "" {
		method = "plain" // RFC 7636 §4.3
	}
	lax := s.weakened(PKCELaxSyntax)
	switch method {
	case "S256":
		if s.weakened(PKCES256Unsupported) {
			return errInvalidRequest("code_challenge_method S256 is not supported")
		}
		if !lax && !s256RE.MatchString(challenge) {
			return errInvalidRequest("code_challenge must be 43 base64url characters")
		}
	case "plain":
		if !s.weakened(PKCEPlain) {
			return errInvalidRequest("code_challenge_method plain is not supported; use S256")
		}
		if !lax && !unreservedRE.MatchString(challenge) {
			return errInvalidRequest("code_challenge must be 43 to 128 unreserved characters")
		}
	default:
		if s.weakened(PKCEUnknownMethod) {
			return nil // the challenge is silently dropped
		}
		return errInvalidRequest("code_challenge_method " + method + " is not supported; use S256")
	}
	ar.challenge, ar.method = challenge, method
	return nil
}

// matchRedirect finds the redirect URI to answer to: the one sent, if it is
// registered for the client by simple string comparison, with any port for
// a loopback URI (RFC 8252 §7.3); or the only one registered when none was
// sent.
func (s *Server) matchRedirect(c *Client, sent []string) (uri string, wasSent, ok bool) {
	switch {
	case len(sent) > 1:
		return "", false, false
	case len(sent) == 0 || sent[0] == "":
		if len(c.RedirectURIs) == 1 {
			return c.RedirectURIs[0], false, true
		}
		return "", false, false
	}
	for _, reg := range c.RedirectURIs {
		if sent[0] == reg || loopbackMatch(reg, sent[0]) ||
			(s.weakened(RedirectPrefixMatch) && strings.HasPrefix(sent[0], reg)) {
			return sent[0], true, true
		}
	}
	return "", false, false
}

// loopbackMatch reports whether got equals the registered loopback URI reg
// but for the port (RFC 8252 §7.3).
func loopbackMatch(reg, got string) bool {
	ru, err1 := url.Parse(reg)
	gu, err2 := url.Parse(got)
	if err1 != nil || err2 != nil || !loopbackRedirect(ru) || !loopbackRedirect(gu) {
		return false
	}
	return ru.Hostname() == gu.Hostname() && gu.User == nil && ru.User == nil &&
		ru.Path == gu.Path && ru.RawQuery == gu.RawQuery && gu.Fragment == ""
}

// loopbackRedirect reports whether u is a loopback redirect URI: http on a
// loopback IP literal (RFC 8252 §7.3) or on localhost, which §8.3 lets
// function the same way though it is NOT RECOMMENDED. It is the one rule
// for both sides: these are the only http redirect URIs that registration
// accepts, and the only ones matched with any port.
func loopbackRedirect(u *url.URL) bool {
	if u.Scheme != "http" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// refuseUntrusted answers a request whose client or redirect URI cannot be
// trusted: an error page, or, under the open-redirect weakness, a redirect
// to whatever redirect_uri was sent.
func (s *Server) refuseUntrusted(w http.ResponseWriter, r *http.Request, q url.Values, msg string) {
	if s.weakened(OpenRedirect) {
		if to, err := url.Parse(q.Get("redirect_uri")); err == nil && to.IsAbs() {
			v := to.Query()
			v.Set("error", "invalid_request")
			v.Set("state", q.Get("state"))
			to.RawQuery = v.Encode()
			http.Redirect(w, r, to.String(), http.StatusFound)
			return
		}
	}
	s.errorPage(w, http.StatusBadRequest, msg)
}

// respond sends the authorization response to the client's redirect URI
// (see [Server.responseURL]): 302 after a GET, 303 after a form post.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, ar *authRequest, params url.Values, afterPost bool) {
	target, err := s.responseURL(ar, params)
	if err != nil {
		s.errorPage(w, http.StatusBadRequest, "The redirect_uri cannot be parsed.")
		return
	}
	if afterPost {
		s.redirectAfterPost(w, r, target)
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// responseURL is the authorization response: the client's redirect URI
// with params, state and iss (RFC 9207 §2), in the query or the fragment.
func (s *Server) responseURL(ar *authRequest, params url.Values) (string, error) {
	switch {
	case ar.state == "":
	case params.Has("error") && s.weakened(ErrorNoState):
	case len(ar.state) > 64 && s.weakened(StateTruncated):
		params.Set("state", ar.state[:64])
	default:
		params.Set("state", ar.state)
	}
	switch {
	case s.weakened(NoIss):
	case s.weakened(IssMismatch):
		params.Set("iss", s.Issuer()+"/")
	default:
		params.Set("iss", s.Issuer())
	}
	to, err := url.Parse(ar.redirectURI)
	if err != nil {
		return "", err
	}
	fragment := ar.responseMode == "fragment" || (ar.responseMode == "" && ar.responseType == "token")
	if fragment {
		to.Fragment = ""
		to.RawFragment = params.Encode()
	} else {
		v := to.Query()
		for k := range params {
			v.Set(k, params.Get(k))
		}
		to.RawQuery = v.Encode()
	}
	target := to.String()
	if fragment {
		target = strings.SplitN(target, "#", 2)[0] + "#" + params.Encode()
	}
	return target, nil
}

func errorParams(e *oauthError) url.Values {
	v := url.Values{"error": {e.Code}}
	if e.Description != "" {
		v.Set("error_description", e.Description)
	}
	return v
}

func (s *Server) client(id string) *Client {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	return s.store.clients[id]
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
