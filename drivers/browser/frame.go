package browser

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-rod/rod/lib/proto"
)

// Framing is what became of a page that another origin put in a frame.
type Framing struct {
	// URL is the framed document's address; empty when the frame holds
	// none.
	URL string
	// Blocked is set when the browser would not render the page in the
	// frame (X-Frame-Options, CSP frame-ancestors): an error document, or
	// none.
	Blocked bool
	// Controls counts the form fields and buttons the frame shows: the
	// login or consent interface, which a clickjacker overlays.
	Controls int
	// TopMoved is set when the framed page navigated the top window away:
	// script frame-busting.
	TopMoved bool
}

// Framed opens framerURL, a page of another origin whose first iframe
// frames the page under test, waits for it to settle, and reports what the
// frame holds.
func (s *Session) Framed(ctx context.Context, framerURL string) (Framing, error) {
	if err := s.Open(ctx, framerURL); err != nil {
		return Framing{}, err
	}
	page := s.page.Context(ctx)
	// A framed page's scripts and redirects run after the top's load.
	page.Timeout(3*time.Second).WaitRequestIdle(300*time.Millisecond, nil, nil, nil)()
	var out Framing
	if info, err := page.Timeout(actionTimeout).Info(); err == nil && !strings.HasPrefix(info.URL, strings.TrimSuffix(framerURL, "/")) {
		out.TopMoved = true
		return out, nil
	}
	tree, err := proto.PageGetFrameTree{}.Call(page.Timeout(actionTimeout))
	if err != nil {
		return out, fmt.Errorf("browser: read the frames of %s: %w", framerURL, err)
	}
	if len(tree.FrameTree.ChildFrames) == 0 {
		out.Blocked = true // no frame at all: nothing was rendered
		return out, nil
	}
	f := tree.FrameTree.ChildFrames[0].Frame
	out.URL = f.URL
	if f.UnreachableURL != "" || strings.HasPrefix(f.URL, "chrome-error:") || f.URL == "about:blank" || f.URL == "" {
		out.Blocked = true
		return out, nil
	}
	el, err := page.Timeout(actionTimeout).Element("iframe")
	if err != nil {
		return out, fmt.Errorf("browser: find the frame of %s: %w", framerURL, err)
	}
	fr, err := el.Frame()
	if err != nil {
		return out, fmt.Errorf("browser: enter the frame of %s: %w", framerURL, err)
	}
	// A script app may render its form a while after the requests are
	// done: a frame without controls is looked at again, for a moment.
	for deadline := time.Now().Add(controlsWait); ; {
		res, err := fr.Timeout(actionTimeout).Eval(controlsJS)
		if err != nil {
			// A document that the browser would not let script reach is
			// not a rendered interface.
			out.Blocked = true
			return out, nil
		}
		out.Controls = res.Value.Int()
		if out.Controls > 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return out, nil
		}
		sleep(ctx, pollInterval)
	}
}

// controlsWait is how long a framed page without form controls is watched
// for some to appear.
const controlsWait = 2 * time.Second

// controlsJS counts the visible form fields and buttons of a document.
const controlsJS = `() => [...document.querySelectorAll('input:not([type=hidden]),button,select,textarea')].filter(e => {
  const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length`
