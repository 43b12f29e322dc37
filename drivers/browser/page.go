package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// Action is what a person did on a page.
type Action string

// The actions the actors report; a login script may name its own steps.
const (
	ActNone     Action = ""          // the page asks nothing the actor knows
	ActLogin    Action = "login"     // filled in and sent a login form
	ActUserCode Action = "user_code" // entered a device's user code
	ActApprove  Action = "approve"   // approved the request
	ActDeny     Action = "deny"      // denied the request
)

// Actor acts on a page as the person would: it logs in, enters a user
// code, approves or denies. It returns what it did, or ActNone when the
// page asks nothing it knows.
type Actor interface {
	Act(ctx context.Context, page *Page, t Task) (Action, error)
}

// actionTimeout bounds each single browser action: an element lookup, a
// script, a click or typing.
const actionTimeout = 5 * time.Second

// Page is the page a person looks at, as an actor sees it: what can be
// read from it and done on it. It hides go-rod from the actors' callers.
type Page struct {
	rp *rod.Page
}

// URL is the address of the page's document.
func (p *Page) URL() string {
	info, err := p.rp.Info()
	if err != nil {
		return ""
	}
	return info.URL
}

// Eval runs a JavaScript function expression with args and decodes its
// JSON result into out (which may be nil).
func (p *Page) Eval(js string, out any, args ...any) error {
	res, err := p.rp.Timeout(actionTimeout).Eval(js, args...)
	if err != nil {
		return fmt.Errorf("browser: eval: %w", err)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal([]byte(res.Value.JSON("", "")), out)
}

// Has reports whether an element matches the CSS selector.
func (p *Page) Has(sel string) bool {
	var ok bool
	return p.Eval(`(s) => !!document.querySelector(s)`, &ok, sel) == nil && ok
}

// Fill replaces the value of the field that sel matches, typing as a
// person does.
func (p *Page) Fill(sel, value string) error {
	el, err := p.rp.Timeout(actionTimeout).Element(sel)
	if err != nil {
		return fmt.Errorf("find %s: %w", sel, err)
	}
	el = el.Timeout(actionTimeout)
	if _, err := el.Eval(`function() { this.value = "" }`); err != nil {
		return fmt.Errorf("clear %s: %w", sel, err)
	}
	if err := el.Input(value); err != nil {
		return fmt.Errorf("type into %s: %w", sel, err)
	}
	return nil
}

// Click clicks the element that sel matches.
func (p *Page) Click(sel string) error {
	el, err := p.rp.Timeout(actionTimeout).Element(sel)
	if err != nil {
		return fmt.Errorf("find %s: %w", sel, err)
	}
	if err := el.Timeout(actionTimeout).Click(proto.InputMouseButtonLeft, 1); err != nil {
		return fmt.Errorf("click %s: %w", sel, err)
	}
	return nil
}

// Page is the session's page for a check that reads it directly.
func (s *Session) Page(ctx context.Context) *Page { return &Page{rp: s.page.Context(ctx)} }

// Open navigates the session's page to u and waits until it has loaded
// and its requests have settled, within a few seconds.
func (s *Session) Open(ctx context.Context, u string) error {
	page := s.page.Context(ctx)
	settled := page.Timeout(3*time.Second).WaitRequestIdle(300*time.Millisecond, nil, nil, nil)
	if err := page.Timeout(navigateTimeout).Navigate(u); err != nil {
		return fmt.Errorf("browser: open %s: %w", s.redact(u), err)
	}
	settled()
	_ = page.Timeout(actionTimeout).WaitLoad()
	return nil
}

// navigateTimeout bounds one navigation.
const navigateTimeout = 15 * time.Second

// Cookies are the session's cookies for the given URLs, for a request
// that the harness sends over plain HTTP on the person's behalf.
func (s *Session) Cookies(ctx context.Context, urls ...string) ([]*http.Cookie, error) {
	cs, err := s.page.Context(ctx).Timeout(actionTimeout).Cookies(urls)
	if err != nil {
		return nil, fmt.Errorf("browser: read cookies: %w", err)
	}
	out := make([]*http.Cookie, 0, len(cs))
	for _, c := range cs {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path})
	}
	return out, nil
}
