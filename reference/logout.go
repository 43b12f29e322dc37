package reference

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// logout is the end-session endpoint of OpenID Connect RP-Initiated Logout
// 1.0 §2: GET or POST, with client_id, id_token_hint (an ID token of this
// server, which names its client in aud), post_logout_redirect_uri and
// state. It ends the browser's session and revokes the refresh tokens of
// the grants made in it, as RFC 9700 §4.14.2 and OAuth 2.1 §4.3.3 allow
// ("refresh tokens MAY be revoked ... when the user logs out"), so that
// REFRESH-LIFECYCLE can see a revocation on logout. Access tokens live on
// until they expire.
//
// It redirects only to a post_logout_redirect_uri registered for the client
// that client_id or id_token_hint names (§3, §4), with state; anything else
// gets a "You are signed out" page and no redirect, so that the endpoint is
// no open redirector (RFC 9700 §4.11.2). Under the logout-open-redirect
// weakness it redirects to any absolute URI. The request needs no CSRF
// token: an RP sends it from its own site.
//
// Under the logout-keeps-refresh quirk it first asks the person to
// confirm, on a page that posts to /logout/confirm, and the logout leaves
// the refresh tokens working.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			s.formTooLarge(w, err)
			return
		}
		params = r.PostForm
	}
	if s.quirked(QuirkLogoutKeepsRefresh) {
		s.renderPage(w, http.StatusOK, "logout_confirm", pageData{Title: "Sign out?", CSRF: s.csrfToken(w, r), Return: params.Encode()})
		return
	}
	s.signOut(w, r, params)
}

// logoutConfirm is the answer to the confirmation page of the
// logout-keeps-refresh quirk: "yes" signs out with the parameters of the
// logout request; "no" leaves the session as it is.
func (s *Server) logoutConfirm(w http.ResponseWriter, r *http.Request) {
	if !s.readBrowserForm(w, r, "The sign-out form expired; start the sign-out again.") {
		return
	}
	params, err := url.ParseQuery(r.PostForm.Get("params"))
	if err != nil {
		s.errorPage(w, http.StatusBadRequest, "The sign-out form is damaged.")
		return
	}
	if r.PostForm.Get("action") != "yes" {
		s.renderPage(w, http.StatusOK, "message", pageData{Title: "Still signed in", Message: "You are still signed in."})
		return
	}
	s.signOut(w, r, params)
}

// signOut ends the request's session and redirects or shows that the
// person is signed out, as [Server.logout] describes.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request, params url.Values) {
	sid, _ := s.sessionUser(r)
	if sid != "" {
		s.endSession(sid)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(s.Issuer(), "https:")})

	target := params.Get("post_logout_redirect_uri")
	redirect := false
	switch {
	case target == "":
	case s.weakened(LogoutOpenRedirect):
		u, err := url.Parse(target)
		redirect = err == nil && u.IsAbs()
	default:
		c := s.logoutClient(params.Get("client_id"), params.Get("id_token_hint"))
		redirect = c != nil && slices.Contains(c.PostLogoutRedirectURIs, target)
	}
	if !redirect {
		s.renderPage(w, http.StatusOK, "message", pageData{Title: "You are signed out",
			Message: "You have signed out of the oauthcheck reference server. You may close this window."})
		return
	}
	to, _ := url.Parse(target)
	if state := params.Get("state"); state != "" {
		q := to.Query()
		q.Set("state", state)
		to.RawQuery = q.Encode()
	}
	if r.Method == http.MethodPost {
		s.redirectAfterPost(w, r, to.String())
		return
	}
	http.Redirect(w, r, to.String(), http.StatusFound)
}

// endSession ends a browser session and revokes the refresh tokens of the
// grants that its user approved in it, unless the logout-keeps-refresh
// quirk keeps them.
func (s *Server) endSession(sid string) {
	at := s.revocationTime(s.now())
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	delete(s.store.sessions, sid)
	if s.quirked(QuirkLogoutKeepsRefresh) {
		return
	}
	for _, g := range s.store.grants {
		if g.sessionID == sid {
			revokeAt(&g.refreshRevokedAt, at)
		}
	}
}

// logoutClient is the client that a logout request names: by client_id,
// by the aud of an ID token this server signed, or by both when they
// agree (RP-Initiated Logout §2). An expired ID token still names its
// client, as §4 allows; nil when nothing names one.
func (s *Server) logoutClient(clientID, hint string) *Client {
	if hint != "" {
		aud, ok := s.idTokenAudience(hint)
		if !ok || (clientID != "" && clientID != aud) {
			return nil
		}
		clientID = aud
	}
	if clientID == "" {
		return nil
	}
	return s.client(clientID)
}

// idTokenAudience verifies an ID token of this server and returns its
// audience, the client it was issued to.
func (s *Server) idTokenAudience(raw string) (string, bool) {
	obj, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return "", false
	}
	payload, err := obj.Verify(&s.signingKey.PublicKey)
	if err != nil {
		return "", false
	}
	var claims struct {
		Iss string `json:"iss"`
		Aud any    `json:"aud"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Iss != s.Issuer() {
		return "", false
	}
	switch aud := claims.Aud.(type) {
	case string:
		return aud, aud != ""
	case []any:
		if len(aud) == 1 {
			a, ok := aud[0].(string)
			return a, ok && a != ""
		}
	}
	return "", false
}
