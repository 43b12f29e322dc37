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
	ActContinue Action = "continue"  // went on from a page that only informs ("Continue")
	ActSignOut  Action = "sign_out"  // confirmed a sign-out ([Session.Logout])
)

// Actor acts on a page as the person would: it logs in, enters a user
// code, approves or denies. It returns what it did, or ActNone when the
// page asks nothing it knows. An actor asked to deny on a page that offers
// approval alone returns an error that wraps [ErrNoDeny].
type Actor interface {
	Act(ctx context.Context, page *Page, t Task) (Action, error)
}

// actionTimeout bounds each single browser action: an element lookup, a
// script, a click or typing.
const actionTimeout = 5 * time.Second

// bound returns rp bound to its context and at most d, and the function
// that releases the bound.
func bound(rp *rod.Page, d time.Duration) (*rod.Page, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(rp.GetContext(), d)
	return rp.Context(ctx), cancel
}

// within runs f, which may wait on a context of rod's own (a click or
// typing waits for a repaint on the page's first context), and returns
// when f does or ctx ends. A call left behind ends when the page closes.
func within(ctx context.Context, f func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- f() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Page is the page a person looks at, as an actor sees it: what can be
// read from it and done on it. It hides go-rod from the actors' callers.
type Page struct {
	rp *rod.Page
	s  *Session
}

// URL is the address of the page's document.
func (p *Page) URL() string {
	ctx, cancel := context.WithTimeout(p.rp.GetContext(), actionTimeout)
	defer cancel()
	info, err := proto.TargetGetTargetInfo{TargetID: p.rp.TargetID}.Call(p.rp.Browser().Context(ctx))
	if err != nil {
		return ""
	}
	return info.TargetInfo.URL
}

// Eval runs a JavaScript function expression with args and decodes its
// JSON result into out (which may be nil).
func (p *Page) Eval(js string, out any, args ...any) error {
	rp, cancel := bound(p.rp, actionTimeout)
	defer cancel()
	res, err := rp.Eval(js, args...)
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
	return p.Eval(`(s) => { try { return !!document.querySelector(s); } catch (e) { return false; } }`, &ok, sel) == nil && ok
}

// focusJS empties the field that a selector matches and gives it the
// focus, when it can be typed into; it tells whether it has the focus.
const focusJS = `(sel) => {
  const el = document.querySelector(sel);
  if (!el || el.disabled || el.readOnly) return false;
  el.scrollIntoView({block: 'center', inline: 'center'});
  el.focus();
  el.value = '';
  return document.activeElement === el;
}`

// changedJS tells the page that the focused field changed, as go-rod's
// typing does.
const changedJS = `() => {
  const el = document.activeElement;
  if (el) {
    el.dispatchEvent(new Event('input', {bubbles: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
  }
}`

// Fill replaces the value of the field that sel matches, typing as a
// person does: the field gets the focus and the text comes from the
// keyboard. A field that is not there yet, or cannot take the focus,
// takes go-rod's slower way, which waits for it and says what is wrong.
func (p *Page) Fill(sel, value string) error {
	rp, cancel := bound(p.rp, actionTimeout)
	defer cancel()
	var focused bool
	if p.Eval(focusJS, &focused, sel) == nil && focused {
		if err := (proto.InputInsertText{Text: value}).Call(rp); err != nil {
			return fmt.Errorf("type into %s: %w", sel, err)
		}
		if err := p.Eval(changedJS, nil); err != nil {
			return fmt.Errorf("type into %s: %w", sel, err)
		}
		return nil
	}
	el, err := rp.Element(sel)
	if err != nil {
		return fmt.Errorf("find %s: %w", sel, err)
	}
	if _, err := el.Eval(`function() { this.value = "" }`); err != nil {
		return fmt.Errorf("clear %s: %w", sel, err)
	}
	if err := within(rp.GetContext(), func() error { return el.Input(value) }); err != nil {
		return fmt.Errorf("type into %s: %w", sel, err)
	}
	return nil
}

// clickJS scrolls the element that a selector matches into view and tells
// where to click it: the middle of its first box, when the element (or a
// part of it) is what a click there would reach, and it is not disabled.
const clickJS = `(sel) => {
  const el = document.querySelector(sel);
  if (!el || el.disabled) return {};
  el.scrollIntoView({block: 'center', inline: 'center'});
  const r = el.getClientRects()[0];
  if (!r || r.width < 1 || r.height < 1) return {};
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const at = document.elementFromPoint(x, y);
  return {ok: !!at && (at === el || el.contains(at)), x, y};
}`

// Click clicks the element that sel matches, with the mouse, as a person
// does: one look at the page for where the element is, then the mouse
// there. An element that is not there yet, or not to be clicked where it
// shows, takes go-rod's slower way, which waits for it and says what is
// in the way.
func (p *Page) Click(sel string) error {
	rp, cancel := bound(p.rp, actionTimeout)
	defer cancel()
	var at struct {
		OK   bool
		X, Y float64
	}
	if p.Eval(clickJS, &at, sel) == nil && at.OK {
		return p.mouseClick(rp, at.X, at.Y)
	}
	el, err := rp.Element(sel)
	if err != nil {
		return fmt.Errorf("find %s: %w", sel, err)
	}
	if err := within(rp.GetContext(), func() error { return el.Click(proto.InputMouseButtonLeft, 1) }); err != nil {
		return fmt.Errorf("click %s: %w", sel, err)
	}
	return nil
}

// mouseClick moves the mouse to x, y on the page and clicks there.
func (p *Page) mouseClick(rp *rod.Page, x, y float64) error {
	for _, t := range []proto.InputDispatchMouseEventType{proto.InputDispatchMouseEventTypeMouseMoved,
		proto.InputDispatchMouseEventTypeMousePressed, proto.InputDispatchMouseEventTypeMouseReleased} {
		ev := proto.InputDispatchMouseEvent{Type: t, X: x, Y: y}
		if t != proto.InputDispatchMouseEventTypeMouseMoved {
			ev.Button, ev.ClickCount = proto.InputMouseButtonLeft, 1
		}
		if t == proto.InputDispatchMouseEventTypeMousePressed {
			pressed := 1 // the left button, as MouseEvent.buttons has it
			ev.Buttons = &pressed
		}
		if err := ev.Call(rp); err != nil {
			return fmt.Errorf("browser: click at %.0f,%.0f: %w", x, y, err)
		}
	}
	return nil
}

// Page is the session's page for a check that reads it directly (or acts
// on it: the session no longer serves another check).
func (s *Session) Page(ctx context.Context) *Page {
	s.unrest()
	return &Page{rp: s.page.Context(ctx), s: s}
}

// Open navigates the session's page to u and waits until it has settled:
// loaded, its requests done and its DOM still, within a few seconds.
func (s *Session) Open(ctx context.Context, u string) error {
	if err := s.navigate(ctx, u); err != nil {
		return err
	}
	s.settle(ctx, func() bool { return false })
	return nil
}

// navigate loads u in the session's page, bounded by navigateTimeout.
func (s *Session) navigate(ctx context.Context, u string) error {
	s.unrest()
	rp, cancel := bound(s.page.Context(ctx), navigateTimeout)
	defer cancel()
	if err := rp.Navigate(u); err != nil {
		return fmt.Errorf("browser: open %s: %w", s.redact(u), err)
	}
	return nil
}

// navigateTimeout bounds one navigation.
const navigateTimeout = 15 * time.Second

// Cookies are the session's cookies for the given URLs, for a request
// that the harness sends over plain HTTP on the person's behalf.
func (s *Session) Cookies(ctx context.Context, urls ...string) ([]*http.Cookie, error) {
	if len(urls) == 0 {
		urls = []string{s.Page(ctx).URL()}
	}
	rp, cancel := bound(s.page.Context(ctx), actionTimeout)
	defer cancel()
	cs, err := rp.Cookies(urls)
	if err != nil {
		return nil, fmt.Errorf("browser: read cookies: %w", err)
	}
	out := make([]*http.Cookie, 0, len(cs))
	for _, c := range cs {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path})
	}
	return out, nil
}

// Screenshot is a PNG of the page as it is shown.
func (p *Page) Screenshot() ([]byte, error) {
	return p.rp.Timeout(actionTimeout).Screenshot(false, &proto.PageCaptureScreenshot{Format: proto.PageCaptureScreenshotFormatPng})
}
