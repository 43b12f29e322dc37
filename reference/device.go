package reference

import (
	"crypto/rand"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// userCodeAlphabet has no vowels and no characters that look alike
// (RFC 8628 §6.1); eight of them carry 34.5 bits (§5.1).
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

const (
	userCodeLength  = 8
	maxCodeFailures = 5
	failureWindow   = time.Minute
)

// userCodeFormat is the alphabet and length of the server's user codes:
// six digits, about 20 bits, under the device-weak-user-code weakness.
func (s *Server) userCodeFormat() (alphabet string, length int) {
	if s.weakened(DeviceWeakUserCode) {
		return "0123456789", 6
	}
	return userCodeAlphabet, userCodeLength
}

// displayUserCode is a user code as shown: its halves joined by a dash,
// as in RFC 8628's example WDJB-MJHT.
func displayUserCode(code string) string {
	h := len(code) / 2
	return code[:h] + "-" + code[h:]
}

// deviceAuthorization is the device authorization endpoint (RFC 8628 §3.1,
// §3.2).
func (s *Server) deviceAuthorization(w http.ResponseWriter, r *http.Request) {
	form, e := parseForm(r)
	if e != nil {
		s.writeError(w, e)
		return
	}
	c, e := s.authenticateClient(r, form, false)
	if e != nil {
		s.writeError(w, e)
		return
	}
	if !c.allowsGrant(GrantDeviceCode) {
		s.writeError(w, errUnauthorizedClient("the client may not use the device grant"))
		return
	}
	scope := form.Get("scope")
	if scope == "" {
		scope = s.cfg.DefaultScope
	}
	for _, sc := range strings.Fields(scope) {
		if !hasScope(strings.Join(s.cfg.Scopes, " "), sc) {
			s.writeError(w, errInvalidScope("scope "+sc+" is unknown"))
			return
		}
	}
	now := s.now()
	d := &deviceAuth{
		deviceCode: randomToken(32),
		clientID:   c.ID,
		scope:      strings.Join(strings.Fields(scope), " "),
		expires:    now.Add(s.cfg.DeviceTTL),
		poll:       &pollState{interval: s.cfg.DeviceInterval},
	}
	alphabet, length := s.userCodeFormat()
	s.store.mu.Lock()
	if s.quirked(QuirkThrottlePerClient) {
		d.poll = s.clientPoll(c.ID, now)
	}
	for d.userCode == "" || s.store.userCodes[d.userCode] != nil {
		d.userCode = newUserCode(alphabet, length)
	}
	s.store.devices[d.deviceCode] = d
	s.store.userCodes[d.userCode] = d
	s.store.mu.Unlock()
	display := displayUserCode(d.userCode)
	resp := map[string]any{
		"device_code":               d.deviceCode,
		"user_code":                 display,
		"verification_uri":          s.endpoint("/device"),
		"verification_uri_complete": s.endpoint("/device") + "?user_code=" + url.QueryEscape(display),
		"expires_in":                int(s.cfg.DeviceTTL / time.Second),
		"interval":                  int(s.cfg.DeviceInterval / time.Second),
	}
	if s.weakened(DeviceAuthzIncomplete) {
		delete(resp, "expires_in")
	}
	s.writeJSON(w, http.StatusOK, resp, true)
}

// grantDeviceCode answers a device's poll (RFC 8628 §3.4, §3.5). A poll
// that comes sooner than the interval after the last one gets slow_down and
// raises the interval by 5 s; a device_code yields tokens once. Under the
// throttle-per-client quirk, "the last one" is the client's last poll of
// any of its device codes, and the raised interval is the client's.
func (s *Server) grantDeviceCode(c *Client, form url.Values) (map[string]any, *oauthError) {
	if !c.allowsGrant(GrantDeviceCode) {
		return nil, errUnauthorizedClient("the client may not use the device grant")
	}
	if !form.Has("device_code") {
		return nil, errInvalidRequest("device_code is required")
	}
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.devices[form.Get("device_code")]
	now := s.now()
	switch {
	case d == nil:
		return nil, errInvalidGrant("unknown device_code")
	case d.clientID != c.ID && !s.weakened(DeviceNotClientBound):
		return nil, errInvalidGrant("the device_code was issued to another client")
	case d.redeemed && !s.weakened(DeviceCodeReuse):
		return nil, errInvalidGrant("the device_code was already used")
	case now.After(d.expires) && !s.weakened(DeviceNoExpiry):
		return nil, newError(http.StatusBadRequest, "expired_token", "the device_code expired")
	case d.status == deviceDenied:
		return nil, errAccessDenied("the user denied the request")
	case d.status == devicePending:
		p := d.poll
		tooSoon := !p.lastPoll.IsZero() && now.Sub(p.lastPoll) < p.interval-p.interval/10
		p.lastPoll = now
		if tooSoon && !s.weakened(DeviceNoSlowDown) {
			p.interval += 5 * time.Second
			if s.weakened(DeviceSlowDownStrict) {
				p.interval += 5 * time.Second
			}
			return nil, newError(http.StatusBadRequest, "slow_down", "poll no more often than the interval; it grew by 5 s")
		}
		if s.weakened(DeviceNoPending) {
			return nil, errInvalidGrant("the device is not approved")
		}
		return nil, newError(http.StatusBadRequest, "authorization_pending", "the user has not answered yet")
	}
	d.redeemed = true
	// The grant is the polling client's: the device_code's own client but
	// under device-not-client-bound.
	g := s.newGrant(c.ID, d.username, d.scope)
	g.sessionID = d.sessionID
	resp, err := s.issue(g, d.scope, c.allowsGrant("refresh_token") && s.grantsRefresh(d.scope), "")
	if err != nil {
		return nil, errServer(err)
	}
	return resp, nil
}

// clientPoll returns the polling state that the device codes of a client
// share under the throttle-per-client quirk. A client that has not polled
// for a device code's lifetime starts again from the configured interval.
// The caller holds the store lock.
func (s *Server) clientPoll(clientID string, now time.Time) *pollState {
	p := s.store.clientPolls[clientID]
	if p == nil || (!p.lastPoll.IsZero() && now.Sub(p.lastPoll) > s.cfg.DeviceTTL) {
		p = &pollState{interval: s.cfg.DeviceInterval}
		s.store.clientPolls[clientID] = p
	}
	return p
}

// devicePage is the verification page (RFC 8628 §3.3). With user_code in
// the URL (verification_uri_complete) it shows the code for confirmation;
// nothing is approved without the user's click.
func (s *Server) devicePage(w http.ResponseWriter, r *http.Request) {
	sid, user := s.sessionUser(r)
	if user == "" {
		s.loginPage(w, r, r.URL.RequestURI(), "")
		return
	}
	q := r.URL.Query()
	switch q.Get("result") {
	case "approved":
		s.renderPage(w, http.StatusOK, "message", pageData{Title: "Device connected", Message: "You may return to your device."})
		return
	case "denied":
		s.renderPage(w, http.StatusOK, "message", pageData{Title: "Request denied", Message: "The device was not given access."})
		return
	}
	csrf := s.csrfToken(w, r)
	code := q.Get("user_code")
	if code == "" {
		s.renderPage(w, http.StatusOK, "device", pageData{Title: "Connect a device", CSRF: csrf})
		return
	}
	auto := s.weakened(DeviceCompleteAutoApprove)
	d, limited := s.userCodeAttempt(user, code, func(d *deviceAuth) {
		if auto {
			d.status, d.username, d.sessionID = deviceApproved, user, sid
		}
	})
	switch {
	case limited:
		s.tooManyCodes(w, csrf)
	case d == nil:
		s.renderPage(w, http.StatusBadRequest, "device", pageData{Title: "Connect a device", CSRF: csrf, Error: "That code is unknown or expired."})
	case auto:
		http.Redirect(w, r, "/device?result=approved", http.StatusSeeOther)
	default:
		s.confirmDevice(w, csrf, d)
	}
}

// deviceSubmit takes a user code typed on the verification page. Wrong
// codes are rate-limited per user (RFC 8628 §5.1).
func (s *Server) deviceSubmit(w http.ResponseWriter, r *http.Request) {
	const refused = "The form expired or you are not signed in. Open the verification page again."
	if !s.readBrowserForm(w, r, refused) {
		return
	}
	_, user := s.sessionUser(r)
	if user == "" {
		s.errorPage(w, http.StatusForbidden, refused)
		return
	}
	csrf := s.csrfToken(w, r)
	d, limited := s.userCodeAttempt(user, r.PostForm.Get("user_code"), nil)
	switch {
	case limited:
		s.tooManyCodes(w, csrf)
	case d == nil:
		s.renderPage(w, http.StatusBadRequest, "device", pageData{Title: "Connect a device", CSRF: csrf,
			Error: "That code is unknown or expired."})
	default:
		s.confirmDevice(w, csrf, d)
	}
}

// userCodeAttempt is one user code entered by user, by any of the ways a
// code comes in: the form, verification_uri_complete and the decision form.
// The rate limit (RFC 8628 §5.1) is checked and counted in the same
// critical section as the lookup, so parallel guesses cannot slip past it:
// limited when the user has had too many wrong codes within the window;
// else the pending authorization of the code, or nil, which counts as a
// wrong code. The limit is per user, so logging in again does not reset
// it. answer, when set, acts on the authorization found, in the same
// critical section.
func (s *Server) userCodeAttempt(user, code string, answer func(*deviceAuth)) (d *deviceAuth, limited bool) {
	key := s.userCodeKey(code)
	now := s.now()
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	recent := recentTimes(st.failures[user], now, failureWindow)
	if len(recent) >= maxCodeFailures && !s.weakened(DeviceNoRateLimit) {
		st.failures[user] = recent
		return nil, true
	}
	d = st.userCodes[key]
	if d == nil || d.status != devicePending || (now.After(d.expires) && !s.weakened(DeviceNoExpiry)) {
		st.failures[user] = append(recent, now)
		return nil, false
	}
	st.failures[user] = recent
	if answer != nil {
		answer(d)
	}
	return d, false
}

// recentTimes is the times within window before now.
func recentTimes(times []time.Time, now time.Time, window time.Duration) []time.Time {
	var recent []time.Time
	for _, t := range times {
		if now.Sub(t) < window {
			recent = append(recent, t)
		}
	}
	return recent
}

// tooManyCodes answers an attempt over the user code rate limit: 429 with
// Retry-After, or 403 with a plain page under the lockout-403 quirk, as a
// WAF answers.
func (s *Server) tooManyCodes(w http.ResponseWriter, csrf string) {
	if s.quirked(QuirkLockout403) {
		s.errorPage(w, http.StatusForbidden, "Access blocked: too many wrong codes. Try again later.")
		return
	}
	w.Header().Set("Retry-After", "60")
	s.renderPage(w, http.StatusTooManyRequests, "device", pageData{Title: "Connect a device", CSRF: csrf,
		Error: "Too many wrong codes. Wait a minute, then try again."})
}

func (s *Server) confirmDevice(w http.ResponseWriter, csrf string, d *deviceAuth) {
	s.renderPage(w, http.StatusOK, "device_confirm", pageData{Title: "Connect this device?", CSRF: csrf,
		UserCode: displayUserCode(d.userCode), Client: d.clientID, Scope: d.scope, NoDeny: s.quirked(QuirkConsentNoDeny)})
}

// deviceDecide records the user's approval or denial.
func (s *Server) deviceDecide(w http.ResponseWriter, r *http.Request) {
	const refused = "The form expired or you are not signed in. Open the verification page again."
	if !s.readBrowserForm(w, r, refused) {
		return
	}
	sid, user := s.sessionUser(r)
	if user == "" {
		s.errorPage(w, http.StatusForbidden, refused)
		return
	}
	approve := r.PostForm.Get("action") == "approve"
	result := "denied"
	d, limited := s.userCodeAttempt(user, r.PostForm.Get("user_code"), func(d *deviceAuth) {
		switch {
		case approve:
			d.status, d.username, d.sessionID, result = deviceApproved, user, sid, "approved"
		case !s.weakened(DeviceDenyIgnored):
			d.status = deviceDenied
		}
	})
	switch {
	case limited:
		s.tooManyCodes(w, s.csrfToken(w, r))
	case d == nil:
		s.errorPage(w, http.StatusBadRequest, "That code is unknown, expired or already answered.")
	default:
		s.redirectAfterPost(w, r, "/device?result="+result)
	}
}

// userCodeKey is the stored form of a typed user code: upper case, with
// only the characters of the alphabet. Under device-no-normalisation only
// the code exactly as displayed is recognised.
func (s *Server) userCodeKey(code string) string {
	if s.weakened(DeviceNoNormalisation) {
		key := strings.Replace(code, "-", "", 1)
		if len(key) < 2 || displayUserCode(key) != code {
			return ""
		}
		return key
	}
	alphabet, _ := s.userCodeFormat()
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		if strings.ContainsRune(alphabet, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// newUserCode draws each of length characters uniformly from alphabet.
func newUserCode(alphabet string, length int) string {
	out := make([]byte, length)
	for i := range out {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic("reference: no randomness: " + err.Error())
		}
		out[i] = alphabet[n.Int64()]
	}
	return string(out)
}
