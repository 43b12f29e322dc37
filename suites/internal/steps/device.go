package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/drivers/login"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// GrantDeviceCode is the grant type of a device's token request
// (RFC 8628 §3.4).
const GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// DefaultInterval is the polling interval of a device authorization
// response that names none: "If no value is provided, clients MUST use 5
// as the default" (RFC 8628 §3.2).
const DefaultInterval = 5 * time.Second

// SlowDownStep is what every slow_down adds to the polling interval, "for
// this and all subsequent requests" (RFC 8628 §3.5).
const SlowDownStep = 5 * time.Second

// DeviceEndpoint returns the device authorization endpoint, and skips the
// check when the metadata has none.
func DeviceEndpoint(c *check.C) string {
	return Endpoint(c, "device_authorization_endpoint", Metadata(c).DeviceAuthorizationEndpoint)
}

// DeviceClient returns the client of a device role after making sure the
// server has a device authorization endpoint; it skips the check when
// either is missing.
func DeviceClient(c *check.C, role string) *target.Client {
	DeviceEndpoint(c)
	return Client(c, role)
}

// Device is a device authorization response (RFC 8628 §3.2) as the device
// sees it.
type Device struct {
	Client                  *target.Client
	DeviceCode              string
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string
	// ExpiresIn is the lifetime of the codes; 0 when the response has none.
	ExpiresIn time.Duration
	// Interval is the polling interval, DefaultInterval when the response
	// names none (IntervalGiven false).
	Interval      time.Duration
	IntervalGiven bool
	// Received is when the response arrived, on the monotonic clock.
	Received time.Time
	// Members is the response body as JSON; Response the exchange.
	Members  map[string]any
	Response *client.Response
	// Odd names the values beyond reason that ParseDevice capped.
	Odd []string
}

// RequestDevice sends a device authorization request (RFC 8628 §3.1) as
// cl for the config's scope and returns the response as it came. It posts
// the form itself rather than through [oauth2.Config.DeviceAuth], which
// sends no client secret and keeps the raw response from the checks; the
// polling, too, is by hand, since [oauth2.Config.DeviceAccessToken] hides
// each answer and its timing, which are what the checks are about.
func RequestDevice(c *check.C, cl *target.Client) *client.Response {
	form := url.Values{}
	if s := c.Env.Target.Config.Scope; s != "" {
		form.Set("scope", s)
	}
	return Post(c, DeviceEndpoint(c), cl, form, AuthDefault)
}

// MaxDeviceWait is the longest a device check waits for one thing (a
// polling interval, the codes' lifetime), even with --slow: a device
// authorization response that asks for more makes the check skip, saying
// so, instead of hanging the run.
const MaxDeviceWait = time.Hour

// maxDeviceSeconds caps the durations read from a device authorization
// response, so that no value overflows a time.Duration.
const maxDeviceSeconds = 24 * 60 * 60

// ParseDevice reads a device authorization response; members that are
// missing or of the wrong type stay empty. An expires_in or interval that
// is not a positive number is taken as missing (the interval then is the
// RFC's 5 s); one beyond a day is capped there and named in Odd.
func ParseDevice(cl *target.Client, r *client.Response, received time.Time) *Device {
	d := &Device{Client: cl, Response: r, Received: received, Interval: DefaultInterval}
	if json.Unmarshal(r.Body, &d.Members) != nil {
		return d
	}
	str := func(k string) string { s, _ := d.Members[k].(string); return s }
	d.DeviceCode, d.UserCode = str("device_code"), str("user_code")
	d.VerificationURI, d.VerificationURIComplete = str("verification_uri"), str("verification_uri_complete")
	seconds := func(k string) (time.Duration, bool) {
		n, ok := d.Members[k].(float64)
		switch {
		case !ok || !(n > 0):
			return 0, false
		case n > maxDeviceSeconds:
			d.Odd = append(d.Odd, fmt.Sprintf("%s %v s, taken as a day", k, n))
			n = maxDeviceSeconds
		}
		return time.Duration(n * float64(time.Second)), true
	}
	d.ExpiresIn, _ = seconds("expires_in")
	if iv, ok := seconds("interval"); ok {
		d.Interval, d.IntervalGiven = iv, true
	}
	return d
}

// StartDevice requests a device authorization as the client of role. It
// ends the check as ERROR when the client is refused (the config's
// problem), and as FAIL when the answer lacks a device_code, a user_code
// or a verification_uri (RFC 8628 §3.2).
//
// In a check in which the person answers in the browser (catalogue
// browser: yes), it first takes the check's share of the browser
// (C.HoldBrowser): the codes' lifetime starts with the response, and a
// wait for the browser after it, while other checks hold every slot,
// would spend that lifetime before the person could answer.
func StartDevice(c *check.C, role string) *Device {
	cl := DeviceClient(c, role)
	if c.Check != nil && c.Check.Browser == catalogue.BrowserYes {
		c.HoldBrowser()
	}
	r := RequestDevice(c, cl)
	MustTell(c, r, "the device authorization request")
	d := ParseDevice(cl, r, time.Now())
	switch e := r.OAuthError(); {
	case e == "invalid_client" || e == "unauthorized_client":
		c.Fatalf("the device authorization request of %s was refused (%s); check the client's id and allowed grants in the config", cl.ID, Describe(r))
	case r.Status != http.StatusOK || d.DeviceCode == "" || d.UserCode == "" || d.VerificationURI == "":
		c.FailNow("RFC 8628 §3.2", "the device authorization request of %s did not give a device_code, user_code and verification_uri: %s", cl.ID, Describe(r))
	}
	c.Env.Samples.Add("device_code", d.DeviceCode)
	return d
}

// Left is how long the device's codes still live; a day when the
// response gave no expires_in.
func (d *Device) Left() time.Duration {
	if d.ExpiresIn == 0 {
		return 24 * time.Hour
	}
	return d.ExpiresIn - time.Since(d.Received)
}

// Expires is when the device's codes expire; a day after the response
// when it gave no expires_in.
func (d *Device) Expires() time.Time {
	if d.ExpiresIn == 0 {
		return d.Received.Add(24 * time.Hour)
	}
	return d.Received.Add(d.ExpiresIn)
}

// RequireWait skips the check when it would have to wait longer than a
// run may for what, without --slow ([check.MaxQuickWait]) or at all
// ([MaxDeviceWait]).
func RequireWait(c *check.C, d time.Duration, what string) {
	switch {
	case d > MaxDeviceWait:
		c.Skipf("%s is %s: longer than the %s the harness waits even with --slow", what, d, MaxDeviceWait)
	case d > check.MaxQuickWait && !c.Env.Slow:
		c.Skipf("%s is %s: longer than the %s a run waits without --slow; run with --slow, or use a test tenant with shorter device lifetimes", what, d, check.MaxQuickWait)
	}
}

// SendPoll sends one device access token request (RFC 8628 §3.4) for d's
// device_code as cl (d's own client when nil). It is safe to call from any
// goroutine of the check.
func SendPoll(c *check.C, d *Device, cl *target.Client) (*TokenResponse, error) {
	if cl == nil {
		cl = d.Client
	}
	resp, err := Send(c, Endpoint(c, "token_endpoint", Metadata(c).TokenEndpoint), cl,
		url.Values{"grant_type": {GrantDeviceCode}, "device_code": {d.DeviceCode}}, AuthDefault)
	if err != nil {
		return nil, err
	}
	return ParseToken(c, resp), nil
}

// Poller polls one device_code as a client that follows RFC 8628 §3.5:
// never sooner than the interval after the last answer (measured on the
// monotonic clock from when that answer arrived), 5 s more for every
// slow_down, for that and all later polls, and never after the codes
// have expired.
type Poller struct {
	Device *Device
	// Client polls; the device's own when nil.
	Client *target.Client
	// Interval is the compliant interval now: the device's plus 5 s per
	// slow_down.
	Interval  time.Duration
	SlowDowns int
	Polls     int
	// Last is when the last answer arrived; zero before the first poll.
	Last time.Time
}

// NewPoller returns a poller of d that has not polled yet. It skips the
// check when d's interval is longer than the run may wait (RequireWait).
func NewPoller(c *check.C, d *Device) *Poller {
	RequireWait(c, d.Interval, "the polling interval")
	return &Poller{Device: d, Interval: d.Interval}
}

// Due is when the next compliant poll may go: now before the first.
func (p *Poller) Due() time.Time {
	if p.Last.IsZero() {
		return time.Now()
	}
	return p.Last.Add(p.Interval)
}

// Fits reports whether the next compliant poll comes before the codes
// expire.
func (p *Poller) Fits() bool { return p.Due().Before(p.Device.Expires()) }

// PollAfter waits until gap has passed since the last answer (no wait
// before the first poll), polls once and keeps the RFC's account of the
// interval. It does not end the check, so other goroutines may call it.
func (p *Poller) PollAfter(ctx context.Context, c *check.C, gap time.Duration) (*TokenResponse, error) {
	if !p.Last.IsZero() {
		if err := Sleep(ctx, gap-time.Since(p.Last)); err != nil {
			return nil, err
		}
	}
	t, err := SendPoll(c, p.Device, p.Client)
	p.Last = time.Now()
	if err != nil {
		return nil, err
	}
	p.Polls++
	if t.OAuthError() == "slow_down" {
		p.SlowDowns++
		p.Interval += SlowDownStep
	}
	return t, nil
}

// Poll polls once at the compliant interval, from any goroutine.
func (p *Poller) Poll(c *check.C) (*TokenResponse, error) { return p.PollAfter(c, c, p.Interval) }

// Next polls once at the compliant interval, from the check's goroutine:
// the wait is the protocol's (C.Wait), and the check ends as ERROR when no
// answer comes, or one that tells nothing ([Untelling]): a compliant poll
// deserves a telling answer. It returns nil without polling when that poll
// would come after the codes expire.
func (p *Poller) Next(c *check.C) *TokenResponse {
	if !p.Fits() {
		return nil
	}
	if wait := time.Until(p.Due()); wait > 0 {
		c.Wait(wait, "the polling interval (RFC 8628 §3.5)")
	}
	t, err := p.Poll(c)
	c.Require(err, "poll the token endpoint")
	MustTell(c, t.Response, fmt.Sprintf("poll %d, at the compliant interval,", p.Polls))
	return t
}

// maxSlowDowns bounds the slow_down answers that Settle honours in a row.
const maxSlowDowns = 6

// Settle polls at the compliant interval until the answer is neither
// authorization_pending nor slow_down: at most max authorization_pending
// answers and maxSlowDowns slow_down answers in a row, and never after the
// codes expire. It returns the last answer, nil when it could not poll at
// all.
func (p *Poller) Settle(c *check.C, max int) *TokenResponse {
	var last *TokenResponse
	for pending, slow := 0, 0; pending < max && slow < maxSlowDowns; {
		t := p.Next(c)
		if t == nil {
			break
		}
		last = t
		switch {
		case !Waiting(t):
			return t
		case t.OAuthError() == "slow_down":
			slow++
		default:
			pending, slow = pending+1, 0
		}
	}
	return last
}

// Waiting reports whether a poll's answer says to keep polling:
// authorization_pending or slow_down (RFC 8628 §3.5).
func Waiting(t *TokenResponse) bool {
	e := t.OAuthError()
	return !t.Issued() && (e == "authorization_pending" || e == "slow_down")
}

// Sleep waits d, or less if ctx ends first; it returns ctx's error then.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrUserCodeRefused means the verification page asked for the user code
// again after it was entered: the server did not take it.
var ErrUserCodeRefused = login.ErrUserCodeRefused

// CodeRefused reports whether err, what VerifyDevice returned, shows the
// verification page refusing the user code; steps are the session's steps
// since VerifyDevice began. The page asked for the code again, or, right
// after the person entered it, the server answered with an error page (not
// a server error) or left nothing to do. A page with nothing to do before
// the code was entered (a login the harness could not pass) is no refusal.
func CodeRefused(err error, steps []evidence.Step) bool {
	if errors.Is(err, ErrUserCodeRefused) {
		return true
	}
	var last string
	for _, st := range steps {
		if st.Kind == evidence.StepAction {
			last = st.Action
		}
	}
	if last != string(browser.ActUserCode) {
		return false
	}
	var ep *browser.ErrorPage
	if errors.As(err, &ep) {
		return ep.Status < http.StatusInternalServerError && !Untelling(ep.Status)
	}
	return errors.Is(err, browser.ErrStuck)
}

// ErrNoDeny means the person was to deny, and the decision page offers no
// control to deny with: a check that needs a denial cannot run against the
// server.
var ErrNoDeny = browser.ErrNoDeny

// VerifyDevice is the person's step of RFC 8628 §3.3 in the check's browser
// session: open uri, log in if asked, enter userCode when asked, then
// approve or deny. The code is typed once only: when the page asks for it
// again (a refusal), the person stops with an error that wraps
// ErrUserCodeRefused, so that a server that counts wrong codes is not
// driven into its lockout. A decision page without a Deny control, when
// the person is to deny, ends it with an error that wraps ErrNoDeny; a
// page on which the person finds nothing to do, with an error that wraps
// browser.ErrNoCallback. On success the decision has reached the server.
func VerifyDevice(c *check.C, uri, userCode string, deny bool) error {
	return verifyDeviceIn(c, c.Session(), uri, userCode, deny)
}

func verifyDeviceIn(c *check.C, sess *browser.Session, uri, userCode string, deny bool) error {
	t := Task(c)
	t.UserCode, t.Deny = userCode, deny
	return sess.VerifyDevice(c, uri, login.CodeOnce(c.Env.Actor), t)
}

// ApproveDevice approves d on its verification_uri, and ends the check
// as ERROR if that does not work.
func ApproveDevice(c *check.C, d *Device) {
	ApproveDeviceIn(c, c.Session(), d)
}

// ApproveDeviceIn approves d in the given browser session.
func ApproveDeviceIn(c *check.C, sess *browser.Session, d *Device) {
	c.Note("approve the device in the browser")
	if err := verifyDeviceIn(c, sess, d.VerificationURI, d.UserCode, false); err != nil {
		c.Screenshot(sess, "the approval did not complete")
		c.Fatalf("approving user code %s at %s failed: %v", d.UserCode, d.VerificationURI, err)
	}
}

// DenyDevice denies d on its verification_uri. It skips the check when
// the decision page has no Deny control (ErrNoDeny), and ends it as ERROR
// when the denial does not work otherwise.
func DenyDevice(c *check.C, d *Device) {
	c.Note("deny the device in the browser")
	err := VerifyDevice(c, d.VerificationURI, d.UserCode, true)
	switch {
	case errors.Is(err, ErrNoDeny):
		c.Screenshot(c.Session(), "the decision page has no Deny control")
		c.Skipf("%v: the person cannot deny user code %s at %s", ErrNoDeny, d.UserCode, d.VerificationURI)
	case err != nil:
		c.Screenshot(c.Session(), "the denial did not complete")
		c.Fatalf("denying user code %s at %s failed: %v", d.UserCode, d.VerificationURI, err)
	}
}

// SignInForDevice leaves the check's browser session signed in on the
// verification page: it approves a device authorization of role that
// nothing polls (an approval, not a denial, since a decision page may
// have no Deny control; no wrong user code is counted). It returns that
// authorization, whose verification_uri the session is on.
func SignInForDevice(c *check.C, role string) *Device {
	d := StartDevice(c, role)
	c.Note("sign in on the verification page, approving a device authorization that nothing polls")
	ApproveDevice(c, d)
	return d
}

// NormalisedCode is a user code with case and punctuation taken away, for
// comparing what a page shows with what the device got.
func NormalisedCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}
