package reference

import (
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// pageData is what every page template reads.
type pageData struct {
	Title, Message, Error string
	CSRF, ReqID, Return   string
	Client, Scope         string
	UserCode              string
	// NoDeny leaves the Deny button off (the consent-no-deny quirk).
	NoDeny bool
	// State is the JSON state of a page of the js-login app.
	State string
}

const (
	csrfCookie    = "oauthcheck_ref_csrf"
	sessionCookie = "oauthcheck_ref_session"
)

// renderPage writes an HTML page with the headers every user-facing page of
// the server carries: framing forbidden (RFC 9700 §4.16), no caching, no
// referrer.
func (s *Server) renderPage(w http.ResponseWriter, status int, name string, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	if !s.weakened(FramingAllowed) {
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
	}
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, d)
}

func (s *Server) errorPage(w http.ResponseWriter, status int, msg string) {
	s.renderPage(w, status, "message", pageData{Title: "Request refused", Message: msg})
}

// formTooLarge answers a form that could not be read: 413 when it is over
// the body limit, else 400.
func (s *Server) formTooLarge(w http.ResponseWriter, err error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.errorPage(w, http.StatusRequestEntityTooLarge, "The form is too large.")
		return
	}
	s.errorPage(w, http.StatusBadRequest, "The form cannot be read.")
}

// csrfToken returns the anti-CSRF token of this browser, setting the cookie
// it is derived from when the browser has none (signed double submit).
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		c = &http.Cookie{Name: csrfCookie, Value: randomToken(16), Path: "/", HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(s.Issuer(), "https:")}
		http.SetCookie(w, c)
	}
	return s.csrfFor(c.Value)
}

func (s *Server) csrfFor(v string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfHeaderValid reports whether a request of the js-login app is
// same-origin by its Origin and Sec-Fetch-Site headers and carries the
// token of its cookie in the X-CSRF-Token header.
func (s *Server) csrfHeaderValid(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" || s.crossOrigin.Check(r) != nil {
		return false
	}
	return hmac.Equal([]byte(r.Header.Get(csrfHeader)), []byte(s.csrfFor(c.Value)))
}

// readBrowserForm reads the form posted from one of the server's pages,
// checking for CSRF before it reads the body: the browser must send the
// anti-CSRF cookie, and the request must be same-origin by its Origin and
// Sec-Fetch-Site headers when it has them. Then the body, at most
// [MaxBodyBytes] of application/x-www-form-urlencoded, is parsed, and its
// csrf field must be the cookie's token (signed double submit). A refused
// post is answered here, with msg when CSRF is the reason.
func (s *Server) readBrowserForm(w http.ResponseWriter, r *http.Request, msg string) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" || s.crossOrigin.Check(r) != nil {
		s.errorPage(w, http.StatusForbidden, msg)
		return false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		s.errorPage(w, http.StatusUnsupportedMediaType, "The form must be sent as application/x-www-form-urlencoded.")
		return false
	}
	if err := r.ParseForm(); err != nil {
		s.formTooLarge(w, err)
		return false
	}
	if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(s.csrfFor(c.Value))) {
		s.errorPage(w, http.StatusForbidden, msg)
		return false
	}
	return true
}

// sessionUser returns the logged-in user of the request's session, if any.
func (s *Server) sessionUser(r *http.Request) (sid, username string) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", ""
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	sess := s.store.sessions[c.Value]
	if sess == nil || s.now().After(sess.expires) {
		return "", ""
	}
	return c.Value, sess.username
}

// redirectAfterPost answers a form post with 303 See Other (RFC 9700 §4.12),
// or 307 under the redirect-307 weakness.
func (s *Server) redirectAfterPost(w http.ResponseWriter, r *http.Request, to string) {
	status := http.StatusSeeOther
	if s.weakened(Redirect307) {
		status = http.StatusTemporaryRedirect
	}
	http.Redirect(w, r, to, status)
}
