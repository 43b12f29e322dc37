package browser

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
)

// Task is what the person in the browser is asked to do.
type Task struct {
	Username, Password string
	// UserCode is the device's user code to enter, for the device flow.
	UserCode string
	// Deny makes the person refuse instead of approving.
	Deny bool
}

// Session is one incognito browser context with one page: its cookies are
// its own, and an authorization after the first reuses its login.
type Session struct {
	b *Browser
	// context is the session's incognito browser context.
	context proto.BrowserBrowserContextID
	page    *rod.Page
	router  *rod.HijackRouter
	// redactURL hides secrets in recorded URLs (SetRedact); nil records
	// them as they are.
	rmu       sync.Mutex
	redactURL func(string) string
	// OnPage, when set, is called with every page the person is about to
	// act on (oauthcheck login keeps a screenshot of each).
	OnPage func(ctx context.Context, p *Page)

	mu     sync.Mutex
	steps  []evidence.Step
	catch  []string // URL prefixes whose navigation is caught
	caught chan string
	// fragments are the fragments of the caught navigations, by URL: the
	// interception sees a URL without its fragment.
	fragments map[string]string
	postedURL map[proto.NetworkRequestID]bool // document requests: whether a POST
	// loads counts the main frame's documents received; status is the
	// HTTP status of the last, failed the last that did not load;
	// refreshes is whether the last came with a Refresh header, which
	// moves a page on with no script.
	loads     int
	status    int
	failed    string
	refreshes bool
	// requests are the requests in flight, for telling when the network
	// is idle; netAt is the time of the last network event.
	requests map[proto.NetworkRequestID]request
	netAt    time.Time
	// respondedAt and committedAt are when the main frame last received a
	// document and last showed one.
	respondedAt, committedAt time.Time
	// driveActions are the actions of the last drive, for its diagnosis.
	driveActions []string
	// atRest: the last thing done in the session was an authorization
	// that reached the redirect URI, or a decision on a device's user code,
	// so it may serve another check (Pool).
	atRest bool
	// direct, when set, takes authorizations that need no page over plain
	// HTTP (SetDirect).
	direct *http.Client
}

// request is a request in flight.
type request struct {
	start   time.Time
	url     string
	mainDoc bool // a document for the main frame
}

// NewSession opens an incognito context and a page in it.
func (b *Browser) NewSession(ctx context.Context) (*Session, error) {
	// The page keeps the context it is made with for some of its calls
	// (rod's root page), so it is made with the browser's own.
	inc, err := b.rod.Incognito()
	if err != nil {
		return nil, fmt.Errorf("browser: incognito context: %w", err)
	}
	// The page starts blank: go-rod would load about:blank into it once
	// more when asked for that address (a quarter of a session's cost).
	page, err := inc.Page(proto.TargetCreateTarget{})
	if err != nil {
		_ = inc.Close()
		return nil, fmt.Errorf("browser: new page: %w", err)
	}
	return b.attach(ctx, inc.BrowserContextID, page)
}

// attach makes a session of page, in the incognito context id: it
// watches the page's network and catches navigations.
func (b *Browser) attach(ctx context.Context, id proto.BrowserBrowserContextID, page *rod.Page) (*Session, error) {
	s := &Session{b: b, context: id, page: page,
		postedURL: map[proto.NetworkRequestID]bool{}, requests: map[proto.NetworkRequestID]request{}}
	if err := (proto.NetworkEnable{}).Call(page.Context(ctx)); err != nil {
		s.Close()
		return nil, fmt.Errorf("browser: enable network events: %w", err)
	}
	go page.EachEvent(s.onRequest, s.onResponse, s.onFinished, s.onFailed, s.onNavigated)()
	s.router = page.HijackRequests()
	if err := s.router.Add("*", proto.NetworkResourceTypeDocument, s.hijack); err != nil {
		s.Close()
		return nil, fmt.Errorf("browser: intercept navigations: %w", err)
	}
	go s.router.Run()
	return s, nil
}

// Close closes the page and its incognito context.
func (s *Session) Close() {
	if s.router != nil {
		_ = s.router.Stop()
	}
	_ = s.page.Close()
	_ = proto.TargetDisposeBrowserContext{BrowserContextID: s.context}.Call(s.b.rod)
}

// Steps returns what happened so far.
func (s *Session) Steps() []evidence.Step {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]evidence.Step(nil), s.steps...)
}

// SetRedact makes the session hide secrets in the URLs it records with
// f: a check's redactor, which knows the secrets the check has seen.
func (s *Session) SetRedact(f func(string) string) {
	s.rmu.Lock()
	s.redactURL = f
	s.rmu.Unlock()
}

func (s *Session) redact(u string) string {
	s.rmu.Lock()
	f := s.redactURL
	s.rmu.Unlock()
	if f != nil {
		return f(u)
	}
	return u
}

func (s *Session) record(st evidence.Step) {
	st.URL = s.redact(st.URL)
	if loc := st.Header.Get("Location"); loc != "" {
		st.Header.Set("Location", s.redact(loc))
	}
	st.At = time.Now()
	s.mu.Lock()
	s.steps = append(s.steps, st)
	s.mu.Unlock()
}

// quietTypes are the requests that do not keep the network busy: streams
// and media.
var quietTypes = map[proto.NetworkResourceType]bool{
	proto.NetworkResourceTypeWebSocket:   true,
	proto.NetworkResourceTypeEventSource: true,
	proto.NetworkResourceTypeMedia:       true,
	proto.NetworkResourceTypeImage:       true,
	proto.NetworkResourceTypeFont:        true,
}

// mainFrame reports whether an event's frame is the page's main frame.
func (s *Session) mainFrame(id proto.PageFrameID) bool {
	return id == "" || string(id) == string(s.page.TargetID)
}

func (s *Session) onRequest(e *proto.NetworkRequestWillBeSent) {
	now := time.Now()
	s.mu.Lock()
	s.netAt = now
	if !quietTypes[e.Type] {
		if _, redirected := s.requests[e.RequestID]; !redirected {
			s.requests[e.RequestID] = request{start: now, url: e.Request.URL,
				mainDoc: e.Type == proto.NetworkResourceTypeDocument && s.mainFrame(e.FrameID)}
		}
	}
	if e.Type != proto.NetworkResourceTypeDocument {
		s.mu.Unlock()
		return
	}
	fromPost := s.postedURL[e.RequestID]
	s.postedURL[e.RequestID] = e.Request.Method == http.MethodPost
	s.mu.Unlock()
	if r := e.RedirectResponse; r != nil {
		s.record(evidence.Step{Kind: evidence.StepRedirect, URL: r.URL, Status: r.Status, Header: headers(r.Headers), FromPost: fromPost})
	}
	// The fragment comes last: once it is known, Authorize ends, and the
	// redirect to the redirect URI must be among its steps by then.
	s.mu.Lock()
	for _, p := range s.catch {
		if strings.HasPrefix(e.Request.URL, p) && s.fragments != nil {
			s.fragments[canonical(e.Request.URL)] = e.Request.URLFragment
		}
	}
	s.mu.Unlock()
}

func (s *Session) onResponse(e *proto.NetworkResponseReceived) {
	if e.Type != proto.NetworkResourceTypeDocument || e.Response == nil {
		return
	}
	h := headers(e.Response.Headers)
	s.record(evidence.Step{Kind: evidence.StepDocument, URL: e.Response.URL, Status: e.Response.Status, Header: h})
	if !s.mainFrame(e.FrameID) {
		return
	}
	s.mu.Lock()
	s.loads++
	s.status = e.Response.Status
	s.refreshes = h.Get("Refresh") != ""
	s.failed = ""
	s.respondedAt, s.netAt = time.Now(), time.Now()
	s.mu.Unlock()
}

func (s *Session) onFinished(e *proto.NetworkLoadingFinished) {
	s.mu.Lock()
	delete(s.requests, e.RequestID)
	delete(s.postedURL, e.RequestID)
	s.netAt = time.Now()
	s.mu.Unlock()
}

func (s *Session) onFailed(e *proto.NetworkLoadingFailed) {
	s.mu.Lock()
	r, ok := s.requests[e.RequestID]
	if ok && r.mainDoc && !e.Canceled {
		s.failed = s.redact(r.url) + ": " + e.ErrorText
	}
	delete(s.requests, e.RequestID)
	delete(s.postedURL, e.RequestID)
	s.netAt = time.Now()
	s.mu.Unlock()
}

func (s *Session) onNavigated(e *proto.PageFrameNavigated) {
	if e.Frame == nil || e.Frame.ParentID != "" {
		return
	}
	s.mu.Lock()
	s.committedAt = time.Now()
	s.mu.Unlock()
}

func (s *Session) loadCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads
}

// docStatus is the HTTP status of the main frame's last document.
func (s *Session) docStatus() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func headers(h proto.NetworkHeaders) http.Header {
	out := http.Header{}
	for k, v := range h {
		for _, line := range strings.Split(v.String(), "\n") {
			out.Add(k, line)
		}
	}
	return noCredentials(out)
}

// noCredentials drops the headers that carry credentials from h: a step
// records none.
func noCredentials(h http.Header) http.Header {
	for _, k := range []string{"Set-Cookie", "Cookie", "Authorization"} {
		h.Del(k)
	}
	return h
}

// hijack aborts a navigation to a caught URL, so that no server needs to
// listen on the redirect URI and the browser loads no page for it; every
// other request goes on.
func (s *Session) hijack(h *rod.Hijack) {
	u := h.Request.URL().String()
	s.mu.Lock()
	hit := false
	for _, p := range s.catch {
		hit = hit || strings.HasPrefix(u, p)
	}
	ch := s.caught
	s.mu.Unlock()
	if !hit {
		h.ContinueRequest(&proto.FetchContinueRequest{})
		return
	}
	h.Response.Fail(proto.NetworkErrorReasonAborted)
	if ch != nil {
		select {
		case ch <- u:
		default:
		}
	}
}

// canonical is a URL as the interception reports it.
func canonical(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.String()
}

// Callback is an authorization response caught on its way to the client.
type Callback struct {
	// URL is the full redirect URL, fragment included.
	URL      *url.URL
	Query    url.Values
	Fragment url.Values
}

// Param returns a response parameter from the query, else the fragment.
func (c *Callback) Param(name string) string {
	if v := c.Query.Get(name); v != "" {
		return v
	}
	return c.Fragment.Get(name)
}

// Authorize opens authURL and acts as the person until the browser
// navigates to a URL that starts with one of catch (the redirect URI, or a
// variant under test), and returns that response. Short of a callback it
// returns an [*ErrorPage] when the server answered with an error page, a
// [*StuckError] when the harness could not get through the pages, or an
// error that wraps [ErrNoDeny] when the task was to deny and the page
// offers no way to. In a session that has logged in, an authorization
// that needs no page goes over plain HTTP ([Session.SetDirect]).
func (s *Session) Authorize(ctx context.Context, authURL string, catch []string, actor Actor, t Task) (*Callback, error) {
	cb, from := s.authorizeDirect(ctx, authURL, catch)
	if cb != nil {
		return cb, nil
	}
	ch := make(chan string, 1)
	s.mu.Lock()
	s.catch, s.caught, s.fragments = catch, ch, map[string]string{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.catch, s.caught, s.fragments = nil, nil, nil
		s.mu.Unlock()
	}()
	caught := func() bool { return len(ch) > 0 }
	if err := s.navigate(ctx, from); err != nil && ctx.Err() == nil && !caught() {
		// A navigation caught at once reports an aborted load; the
		// callback tells.
		return nil, err
	}
	err := s.drive(ctx, actor, t, caught)
	var got string
	select {
	case got = <-ch:
	default:
		if err == nil {
			err = s.stuck(ctx, "the drive ended without reaching the redirect URI", nil)
		}
		return nil, err
	}
	href, err := s.fragmentOf(ctx, got)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(href)
	if err != nil {
		return nil, fmt.Errorf("browser: parse callback URL: %w", err)
	}
	frag, _ := url.ParseQuery(u.EscapedFragment())
	s.record(evidence.Step{Kind: evidence.StepCallback, URL: href})
	s.mu.Lock()
	s.atRest = true
	s.mu.Unlock()
	return &Callback{URL: u, Query: u.Query(), Fragment: frag}, nil
}

// fragmentOf is the caught URL u with the fragment the browser's request
// for it carried, once the request's network event has told it.
func (s *Session) fragmentOf(ctx context.Context, u string) (string, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		frag, ok := s.fragments[u]
		s.mu.Unlock()
		if ok {
			return u + frag, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", fmt.Errorf("browser: the browser did not report the request for the redirect URI %s", s.redact(u))
		}
		sleep(ctx, 5*time.Millisecond)
	}
}

// VerifyDevice opens the device verification URI and acts as the person:
// logs in, enters the user code when asked, then approves or denies. It
// returns nil once the decision has reached the server; else an
// [*ErrorPage] (also when the page that answers an approval is one), a
// [*StuckError], an error that wraps [ErrNoDeny], or the actor's error.
func (s *Session) VerifyDevice(ctx context.Context, verificationURI string, actor Actor, t Task) error {
	if err := s.navigate(ctx, verificationURI); err != nil && ctx.Err() == nil {
		return err
	}
	w := &decisionWatch{Actor: actor, s: s}
	if err := s.drive(ctx, w, t, func() bool { return w.settled }); err != nil {
		return err
	}
	// The decision has reached the server once the page that answers it
	// loads, or its request is done; a device polling right after must
	// see it.
	s.awaitDecision(ctx, w.loadsBefore)
	if w.decided {
		// Logged in, and done with the code: the session may serve the
		// next check.
		s.mu.Lock()
		s.atRest = true
		s.mu.Unlock()
	}
	return nil
}

// decisionWatch lets the person go on after approving, since some servers
// confirm the code first ("Continue") and ask for consent after login; the
// flow is over when, after an approval, a page asks nothing, or at once
// after a denial. A "Continue" is no decision.
type decisionWatch struct {
	Actor
	s           *Session
	decided     bool
	settled     bool
	loadsBefore int // documents loaded before the last decision
}

func (d *decisionWatch) Act(ctx context.Context, p *Page, t Task) (Action, error) {
	before := d.s.loadCount()
	did, err := d.Actor.Act(ctx, p, t)
	switch {
	case err != nil:
	case did == ActDeny:
		d.decided, d.settled = true, true
		d.loadsBefore = before
	case did == ActApprove:
		d.decided = true
		d.loadsBefore = before
	case did == ActNone && d.decided:
		if ep := p.ErrorPage(); ep != nil {
			return ActNone, ep
		}
		d.settled = true
	}
	return did, err
}

// Screenshot returns a PNG of the page, for the evidence of a failure.
func (s *Session) Screenshot(ctx context.Context) ([]byte, error) {
	rp, cancel := bound(s.page.Context(ctx), actionTimeout)
	defer cancel()
	png, err := rp.Screenshot(false, &proto.PageCaptureScreenshot{Format: proto.PageCaptureScreenshotFormatPng})
	if err != nil {
		return nil, fmt.Errorf("browser: screenshot: %w", err)
	}
	return png, nil
}

// Text returns the page's visible text, for evidence.
func (s *Session) Text(ctx context.Context) string {
	return s.Page(ctx).Text()
}

// errorPageOrNil returns err as an *ErrorPage when it is one.
func errorPageOrNil(err error) *ErrorPage {
	var ep *ErrorPage
	if errors.As(err, &ep) {
		return ep
	}
	return nil
}
