package reference

import (
	_ "embed"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The js-login quirk turns the login and consent pages into a small script
// app, as many hosted login pages are: the HTML holds a root element and a
// script, the script renders the forms and posts them with fetch() as JSON,
// and the server answers with the URL to go to next. The anti-CSRF token
// travels in the app's state and comes back in the X-CSRF-Token header.

//go:embed assets/app.js
var appJS []byte

// jsState is the state that a page of the script app starts from, in the
// data-state attribute of its root element.
type jsState struct {
	Page   string   `json:"page"` // login, consent or continue
	CSRF   string   `json:"csrf,omitempty"`
	Return string   `json:"return_to,omitempty"`
	Req    string   `json:"req,omitempty"`
	Client string   `json:"client,omitempty"`
	Scopes []string `json:"scopes,omitempty"`
	Deny   bool     `json:"deny,omitempty"`
	Next   string   `json:"next,omitempty"`
}

// continuation is where the "Continue" page of a session leads.
type continuation struct {
	sid     string
	target  string
	expires time.Time
}

const (
	csrfHeader      = "X-CSRF-Token"
	continuationTTL = 10 * time.Minute
)

// jsPage renders a page of the script app.
func (s *Server) jsPage(w http.ResponseWriter, r *http.Request, title string, st jsState) {
	st.CSRF = s.csrfToken(w, r)
	raw, err := json.Marshal(st)
	if err != nil {
		s.errorPage(w, http.StatusInternalServerError, "The page cannot be built.")
		return
	}
	s.renderPage(w, http.StatusOK, "js_app", pageData{Title: title, State: string(raw)})
}

// jsConsentPage is the consent page of the script app: the requested
// scopes as unticked checkboxes.
func (s *Server) jsConsentPage(w http.ResponseWriter, r *http.Request, ar *authRequest) {
	s.jsPage(w, r, "Allow access?", jsState{Page: "consent", Req: ar.id, Client: ar.clientID,
		Scopes: strings.Fields(ar.scope), Deny: !s.quirked(QuirkConsentNoDeny)})
}

// appScript serves the script of the app.
func (s *Server) appScript(w http.ResponseWriter, r *http.Request) {
	if !s.quirked(QuirkJSLogin) {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(appJS)
}

// jsonAnswer writes an answer of the app's API: {"next": URL} or
// {"error": message}.
func (s *Server) jsonAnswer(w http.ResponseWriter, status int, key, value string) {
	s.writeJSON(w, status, map[string]string{key: value}, true)
}

// readAppRequest reads a post of the script app into v: same-origin JSON
// with the anti-CSRF token of the browser's cookie in X-CSRF-Token. It
// answers the request itself and returns false when the post is refused.
func (s *Server) readAppRequest(w http.ResponseWriter, r *http.Request, v any) bool {
	if !s.quirked(QuirkJSLogin) {
		http.NotFound(w, r)
		return false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		s.jsonAnswer(w, http.StatusUnsupportedMediaType, "error", "The request must be application/json.")
		return false
	}
	if !s.csrfHeaderValid(r) {
		s.jsonAnswer(w, http.StatusForbidden, "error", "The page expired or the request was not sent from this site. Reload the page.")
		return false
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.jsonAnswer(w, http.StatusRequestEntityTooLarge, "error", "The request is too large.")
			return false
		}
		s.jsonAnswer(w, http.StatusBadRequest, "error", "The request is not valid JSON.")
		return false
	}
	return true
}

// apiLogin is the login endpoint of the script app.
func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
		ReturnTo string `json:"return_to"`
	}
	if !s.readAppRequest(w, r, &req) {
		return
	}
	if !s.checkPassword(req.Username, req.Password) {
		s.jsonAnswer(w, http.StatusUnauthorized, "error", "Wrong username or password.")
		return
	}
	s.startSession(w, req.Username)
	s.jsonAnswer(w, http.StatusOK, "next", s.afterLogin(req.ReturnTo))
}

// apiConsent takes the user's decision from the script app's consent page:
// approve with the ticked scopes (at least one, all of them asked for), or
// deny. An approval leads to the "Continue" page, a denial straight back to
// the client.
func (s *Server) apiConsent(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Req    string   `json:"req"`
		Action string   `json:"action"`
		Scope  []string `json:"scope"`
	}
	if !s.readAppRequest(w, r, &req) {
		return
	}
	sid, user := s.sessionUser(r)
	if user == "" {
		s.jsonAnswer(w, http.StatusForbidden, "error", "You are not signed in. Start again from the application.")
		return
	}
	approve := req.Action == "approve"
	if !approve && req.Action != "deny" {
		s.jsonAnswer(w, http.StatusBadRequest, "error", "Choose Allow or Deny.")
		return
	}
	s.store.mu.Lock()
	ar := s.store.authRequests[req.Req]
	if ar == nil || ar.err != nil || s.now().After(ar.expires) {
		s.store.mu.Unlock()
		s.jsonAnswer(w, http.StatusBadRequest, "error", "This authorization request is unknown, expired or already answered.")
		return
	}
	var granted []string
	for _, sc := range strings.Fields(ar.scope) {
		if slices.Contains(req.Scope, sc) {
			granted = append(granted, sc)
		}
	}
	for _, sc := range req.Scope {
		if !hasScope(ar.scope, sc) {
			granted = nil // a scope that was not asked for: refuse the lot
			break
		}
	}
	if approve && len(granted) == 0 {
		s.store.mu.Unlock()
		s.jsonAnswer(w, http.StatusBadRequest, "error", "Choose at least one permission to allow, among those asked for.")
		return
	}
	delete(s.store.authRequests, ar.id)
	s.store.mu.Unlock()
	target, err := s.decide(ar, sid, user, approve, strings.Join(granted, " "))
	if err != nil {
		s.jsonAnswer(w, http.StatusBadRequest, "error", "The redirect_uri cannot be parsed.")
		return
	}
	if !approve {
		s.jsonAnswer(w, http.StatusOK, "next", target)
		return
	}
	id := randomToken(16)
	s.store.mu.Lock()
	s.store.continuations[id] = &continuation{sid: sid, target: target, expires: s.now().Add(continuationTTL)}
	s.store.mu.Unlock()
	s.jsonAnswer(w, http.StatusOK, "next", "/continue?id="+id)
}

// continuePage is the interstitial "You are signed in" page after consent:
// its Continue button goes on to the client by script. Only the session
// that consented sees it.
func (s *Server) continuePage(w http.ResponseWriter, r *http.Request) {
	if !s.quirked(QuirkJSLogin) {
		http.NotFound(w, r)
		return
	}
	sid, _ := s.sessionUser(r)
	s.store.mu.Lock()
	c := s.store.continuations[r.URL.Query().Get("id")]
	s.store.mu.Unlock()
	if c == nil || sid == "" || c.sid != sid || s.now().After(c.expires) {
		s.errorPage(w, http.StatusBadRequest, "This page is unknown or expired. Start again from the application.")
		return
	}
	s.jsPage(w, r, "You are signed in", jsState{Page: "continue", Next: c.target})
}
