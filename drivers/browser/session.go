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
	b         *Browser
	incognito *rod.Browser
	page      *rod.Page
	router    *rod.HijackRouter
	// Redact hides secrets in recorded URLs; nil records them as they are.
	Redact func(string) string

	mu        sync.Mutex
	steps     []evidence.Step
	catch     []string // URL prefixes whose navigation is caught
	caught    chan string
	postedURL map[string]bool // request ids of POSTs
	loads     int             // documents received
}

// NewSession opens an incognito context and a page in it.
func (b *Browser) NewSession(ctx context.Context) (*Session, error) {
	inc, err := b.rod.Incognito()
	if err != nil {
		return nil, fmt.Errorf("browser: incognito context: %w", err)
	}
	page, err := inc.Page(proto.TargetCreateTarget{URL: "about:blank"})
	if err != nil {
		_ = inc.Close()
		return nil, fmt.Errorf("browser: new page: %w", err)
	}
	s := &Session{b: b, incognito: inc, page: page, postedURL: map[string]bool{}}
	if err := (proto.NetworkEnable{}).Call(page); err != nil {
		s.Close()
		return nil, fmt.Errorf("browser: enable network events: %w", err)
	}
	go page.EachEvent(s.onRequest, s.onResponse)()
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
	_ = s.incognito.Close()
}

// Steps returns what happened so far.
func (s *Session) Steps() []evidence.Step {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]evidence.Step(nil), s.steps...)
}

func (s *Session) redact(u string) string {
	if s.Redact != nil {
		return s.Redact(u)
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

func (s *Session) onRequest(e *proto.NetworkRequestWillBeSent) {
	if e.Type != proto.NetworkResourceTypeDocument {
		return
	}
	s.mu.Lock()
	fromPost := s.postedURL[string(e.RequestID)]
	s.postedURL[string(e.RequestID)] = e.Request.Method == http.MethodPost
	s.mu.Unlock()
	if r := e.RedirectResponse; r != nil {
		s.record(evidence.Step{Kind: evidence.StepRedirect, URL: r.URL, Status: r.Status, Header: headers(r.Headers), FromPost: fromPost})
	}
}

func (s *Session) onResponse(e *proto.NetworkResponseReceived) {
	if e.Type != proto.NetworkResourceTypeDocument || e.Response == nil {
		return
	}
	s.record(evidence.Step{Kind: evidence.StepDocument, URL: e.Response.URL, Status: e.Response.Status, Header: headers(e.Response.Headers)})
	s.mu.Lock()
	s.loads++
	s.mu.Unlock()
}

func (s *Session) loadCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads
}

func headers(h proto.NetworkHeaders) http.Header {
	out := http.Header{}
	for k, v := range h {
		switch strings.ToLower(k) {
		case "set-cookie", "cookie", "authorization":
			continue
		}
		for _, line := range strings.Split(v.String(), "\n") {
			out.Add(k, line)
		}
	}
	return out
}

const callbackPage = `<!doctype html><title>oauthcheck callback</title><p>oauthcheck caught this authorization response.</p>`

// hijack fulfils a navigation to a caught URL with a stub page, so that no
// server needs to listen on the redirect URI; every other request goes on.
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
	h.Response.SetHeader("Content-Type", "text/html; charset=utf-8")
	h.Response.SetBody(callbackPage)
	s.mu.Lock()
	s.loads++
	s.mu.Unlock()
	if ch != nil {
		select {
		case ch <- u:
		default:
		}
	}
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

// ErrNoCallback means the browser never reached a caught URL.
var ErrNoCallback = errors.New("browser: the authorization server did not redirect to the redirect URI")

// Authorize opens authURL and acts as the person until the browser
// navigates to a URL that starts with one of catch (the redirect URI, or a
// variant under test), and returns that response. An error page that stays
// put ends it with ErrNoCallback.
func (s *Session) Authorize(ctx context.Context, authURL string, catch []string, actor Actor, t Task) (*Callback, error) {
	ch := make(chan string, 1)
	s.mu.Lock()
	s.catch, s.caught = catch, ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.catch, s.caught = nil, nil
		s.mu.Unlock()
	}()
	page := s.page.Context(ctx)
	if err := page.Navigate(authURL); err != nil && !errors.Is(err, context.Canceled) {
		// A navigation caught at once reports an aborted load; the
		// callback tells.
		select {
		case <-ch:
		default:
			return nil, fmt.Errorf("browser: open %s: %w", s.redact(authURL), err)
		}
	}
	err := s.drive(ctx, actor, t, func() bool { return len(ch) > 0 })
	select {
	case <-ch:
	default:
		if err == nil {
			err = ErrNoCallback
		}
		return nil, err
	}
	href, err := s.location(ctx)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(href)
	if err != nil {
		return nil, fmt.Errorf("browser: parse callback URL: %w", err)
	}
	frag, _ := url.ParseQuery(u.EscapedFragment())
	s.record(evidence.Step{Kind: evidence.StepCallback, URL: href})
	return &Callback{URL: u, Query: u.Query(), Fragment: frag}, nil
}

// location waits for the stub page and reads the URL, fragment included.
func (s *Session) location(ctx context.Context) (string, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := s.page.Context(ctx).Eval(`() => document.title + "\n" + location.href`)
		if err == nil {
			title, href, _ := strings.Cut(res.Value.Str(), "\n")
			if title == "oauthcheck callback" {
				return href, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", fmt.Errorf("browser: callback page did not load: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// VerifyDevice opens the device verification URI and acts as the person:
// logs in, enters the user code when asked, then approves or denies.
func (s *Session) VerifyDevice(ctx context.Context, verificationURI string, actor Actor, t Task) error {
	page := s.page.Context(ctx)
	if err := page.Navigate(verificationURI); err != nil {
		return fmt.Errorf("browser: open %s: %w", s.redact(verificationURI), err)
	}
	w := &decisionWatch{Actor: actor, s: s}
	err := s.drive(ctx, w, t, func() bool { return w.settled })
	if err != nil {
		return err
	}
	// The decision has reached the server once the page that answers its
	// form loads; a device polling right after must see it.
	s.waitChange(ctx, w.loadsBefore, func() bool { return false })
	return nil
}

// decisionWatch lets the person go on after approving, since some servers
// confirm the code first ("Continue") and ask for consent after login; the
// flow is over when, after an approval, a page asks nothing, or at once
// after a denial.
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
	case did == ActDeny:
		d.decided, d.settled = true, true
		d.loadsBefore = before
	case did == ActApprove:
		d.decided = true
		d.loadsBefore = before
	case did == ActNone && err == nil && d.decided:
		d.settled = true
	}
	return did, err
}

// maxActions bounds the pages of one flow, so a login loop cannot spin.
const maxActions = 12

// drive lets the actor act on each page until done reports true. A page
// on which the actor finds nothing to do is watched for a while (scripts
// and redirects may still move it on), then given up on.
func (s *Session) drive(ctx context.Context, actor Actor, t Task, done func() bool) error {
	page := s.page.Context(ctx)
	lastURL, idleSince := "", time.Now()
	for actions := 0; ; {
		if done() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("browser: %w at %s", err, s.redact(lastURL))
		}
		_ = page.Timeout(5 * time.Second).WaitLoad()
		if done() {
			return nil
		}
		info, err := page.Info()
		if err == nil && info.URL != lastURL {
			lastURL, idleSince = info.URL, time.Now()
		}
		before := s.loadCount()
		did, err := actor.Act(ctx, &Page{rp: page}, t)
		if err != nil {
			return fmt.Errorf("browser: at %s: %w", s.redact(lastURL), err)
		}
		if did != ActNone {
			s.record(evidence.Step{Kind: evidence.StepAction, URL: lastURL, Action: string(did)})
			actions++
			if actions > maxActions {
				return fmt.Errorf("browser: more than %d actions without reaching the end; last page %s", maxActions, s.redact(lastURL))
			}
			s.waitChange(ctx, before, done)
			idleSince = time.Now()
			continue
		}
		if time.Since(idleSince) > s.patience(ctx) {
			return fmt.Errorf("%w: it stays at %s, with no login form, user code field or consent button", ErrNoCallback, s.redact(lastURL))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// patience is how long a page on which the actor finds nothing may take
// to move on: a page with no form controls is an error page, and a script
// that redirects runs at once; a page with controls may still be drawing
// a login app.
func (s *Session) patience(ctx context.Context) time.Duration {
	res, err := s.page.Context(ctx).Eval(`() => document.readyState === "complete" &&
		document.querySelectorAll("input:not([type=hidden]),button,select,textarea,iframe").length === 0`)
	if err == nil && res.Value.Bool() {
		return 400 * time.Millisecond
	}
	return 3 * time.Second
}

// waitChange waits, briefly, for a new document after an action. A
// script-driven page may change without one; the loop then looks again.
func (s *Session) waitChange(ctx context.Context, loadsBefore int, done func() bool) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil && !done() {
		if s.loadCount() > loadsBefore {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Screenshot returns a PNG of the page, for the evidence of a failure.
func (s *Session) Screenshot(ctx context.Context) ([]byte, error) {
	return s.page.Context(ctx).Screenshot(false, &proto.PageCaptureScreenshot{Format: proto.PageCaptureScreenshotFormatPng})
}

// Text returns the page's visible text, for evidence.
func (s *Session) Text(ctx context.Context) string {
	res, err := s.page.Context(ctx).Eval(`() => document.body ? document.body.innerText : ""`)
	if err != nil {
		return ""
	}
	return res.Value.Str()
}
