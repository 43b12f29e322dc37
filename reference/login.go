package reference

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// loginPage shows the login form; after login the browser goes to ret, a
// path on this server.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, ret, errMsg string) {
	if s.quirked(QuirkJSLogin) {
		s.jsPage(w, r, "Sign in", jsState{Page: "login", Return: ret})
		return
	}
	status := http.StatusOK
	if errMsg != "" {
		status = http.StatusUnauthorized
	}
	s.renderPage(w, status, "login", pageData{
		Title: "Sign in", Error: errMsg, CSRF: s.csrfToken(w, r), Return: ret,
	})
}

// loginForm is the login page on its own, GET /login?return_to=PATH: after
// login the browser goes to PATH if it is a path on this server.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.loginPage(w, r, r.URL.Query().Get("return_to"), "")
}

// localPath reports whether p is a path on this server: it starts with a
// single "/", and has no backslash or control character, which browsers
// read as "/" or drop (so "/\\evil" and "/\t/evil" are "//evil"), so that
// the login's return_to cannot send the browser elsewhere (RFC 9700
// §4.11).
func localPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return false
	}
	for _, c := range p {
		if c == '\\' || c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// afterLogin is where the browser goes after logging in, given the return
// path asked for: that path if it is local, else the home page. Under the
// login-open-redirect weakness it is whatever was asked for.
func (s *Server) afterLogin(ret string) string {
	if localPath(ret) || (ret != "" && s.weakened(LoginOpenRedirect)) {
		return ret
	}
	return "/"
}

// login checks the user's credentials and starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.readBrowserForm(w, r, "The form expired or was not sent from this site. Go back and try again.") {
		return
	}
	ret := s.afterLogin(r.PostForm.Get("return_to"))
	user := r.PostForm.Get("username")
	if !s.checkPassword(user, r.PostForm.Get("password")) {
		s.loginPage(w, r, ret, "Wrong username or password.")
		return
	}
	s.startSession(w, user)
	s.redirectAfterPost(w, r, ret)
}

// checkPassword reports whether user exists and pass is their password.
func (s *Server) checkPassword(user, pass string) bool {
	ok := false
	for _, u := range s.cfg.Users {
		if u.Username == user && subtle.ConstantTimeCompare([]byte(u.Password), []byte(pass)) == 1 {
			ok = true
		}
	}
	return ok
}

// startSession logs user in: a new session and its cookie.
func (s *Server) startSession(w http.ResponseWriter, user string) {
	sid := randomToken(24)
	s.store.mu.Lock()
	s.store.sessions[sid] = &session{username: user, expires: s.now().Add(s.cfg.SessionTTL)}
	s.store.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(s.Issuer(), "https:")})
}
