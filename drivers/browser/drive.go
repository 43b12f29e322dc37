package browser

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-rod/rod/lib/proto"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
)

// The bounds of one drive through the pages of a flow.
const (
	// driveTimeout caps a drive, within the caller's context.
	driveTimeout = 45 * time.Second
	// maxDocuments caps the documents a drive loads, so that a redirect
	// or refresh loop ends.
	maxDocuments = 30
	// maxActions caps the actions of a drive, so that a login loop ends.
	maxActions = 16
	// maxRepeats is how often one action may be taken at one address: a
	// login that comes back a third time does not pass.
	maxRepeats = 2
	// maxLogins is how often a drive may send a login or a user code (a
	// two-step login sends two) and come back to a page where it sent one,
	// so that a login that does not pass is not driven into the server's
	// lockout.
	maxLogins = 3
	// patience is how long a page on which the actor finds nothing to do,
	// and which is no error page, is watched for moving on by itself.
	patience = 2 * time.Second
	// maxSlowActions is how many actions of a drive may outlast
	// actionTimeout and be tried again: on a busy machine Chromium may
	// answer a click late, and the click may still take effect.
	maxSlowActions = 2
)

// How a page settles: its load event, the network idle for netQuiet and
// the DOM unchanged for domQuiet, all within settleTimeout.
const (
	settleTimeout = 3 * time.Second
	netQuiet      = 300 * time.Millisecond
	domQuiet      = 200 * time.Millisecond
	// staleRequest is the age after which a request in flight (a long
	// poll, a beacon) no longer keeps the network busy.
	staleRequest = 5 * time.Second
	// noEffectAfter is how long after an action, the network idle, the
	// page may still show no effect before the action is taken to have
	// none; effectTimeout caps the wait for an effect.
	noEffectAfter = 600 * time.Millisecond
	effectTimeout = 10 * time.Second
	pollInterval  = 40 * time.Millisecond
	snapTimeout   = time.Second
)

// snapshot is the state of the page at one moment.
type snapshot struct {
	URL   string `json:"url"`
	Ready string `json:"ready"`
	// FP is a fingerprint of the DOM: elements, attributes and text,
	// without the values of input fields, scripts and the actors' tags.
	FP string `json:"fp"`
	// Static is a page without scripts, frames or refresh: once loaded,
	// it stays as it is.
	Static bool `json:"static"`
	ok     bool
}

// same reports whether two snapshots show the same page.
func (a snapshot) same(b snapshot) bool { return a.ok && b.ok && a.URL == b.URL && a.FP == b.FP }

const snapJS = `() => {
  let h1 = 0x811c9dc5 | 0, h2 = 0x2545f491 | 0, n = 0;
  const add = s => { for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 16777619); h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15); } n += s.length; };
  const skip = {SCRIPT: 1, STYLE: 1, NOSCRIPT: 1, TEMPLATE: 1, META: 1, LINK: 1};
  const valued = el => el.tagName === 'INPUT' && !['submit', 'button', 'reset', 'image'].includes(el.type);
  const walk = node => {
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 3) { add(c.data); continue; }
      if (c.nodeType !== 1 || skip[c.tagName]) continue;
      add('<' + c.tagName);
      for (const a of c.attributes) {
        if (a.name === 'data-oauthcheck' || a.name === 'nonce' || (a.name === 'value' && valued(c))) continue;
        add(' ' + a.name + '=' + a.value);
      }
      if (c.shadowRoot) walk(c.shadowRoot);
      walk(c);
      add('>');
    }
  };
  walk(document);
  return {url: location.href, ready: document.readyState,
    fp: (h1 >>> 0).toString(36) + (h2 >>> 0).toString(36) + ':' + n,
    static: document.scripts.length === 0 && !document.querySelector('iframe,frame,object,embed,meta[http-equiv="refresh" i]')};
}`

// snap reads the page's state; its ok is false when the page cannot be
// read, as during a navigation.
func (s *Session) snap(ctx context.Context) snapshot {
	var sn snapshot
	rp, cancel := bound(s.page.Context(ctx), snapTimeout)
	defer cancel()
	if (&Page{rp: rp}).Eval(snapJS, &sn) == nil && sn.URL != "" {
		sn.ok = true
	}
	return sn
}

// netIdle reports whether no request has been in flight for d.
func (s *Session) netIdle(d time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for _, r := range s.requests {
		if now.Sub(r.start) < staleRequest {
			return false
		}
	}
	return now.Sub(s.netAt) >= d
}

// refreshing reports whether the main frame's last document came with a
// Refresh header.
func (s *Session) refreshing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// navigating reports whether a document for the main frame is on its way:
// requested, or received but not shown yet.
func (s *Session) navigating() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for _, r := range s.requests {
		if r.mainDoc && now.Sub(r.start) < staleRequest {
			return true
		}
	}
	return s.respondedAt.After(s.committedAt) && now.Sub(s.respondedAt) < 2*time.Second
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// settle waits until the page has settled: loaded, no document on its
// way, and, unless it is static, the network idle and the DOM unchanged
// for a moment; or until settleTimeout, done() or stop() (the drive's
// budgets). It returns the page's state.
func (s *Session) settle(ctx context.Context, done func() bool) snapshot {
	return s.settleUnless(ctx, done, func() bool { return false })
}

func (s *Session) settleUnless(ctx context.Context, done, stop func() bool) snapshot {
	deadline := time.Now().Add(settleTimeout)
	var last snapshot
	loads, since := -1, time.Now()
	for {
		cur := s.snap(ctx)
		if n := s.loadCount(); !cur.same(last) || n != loads {
			last, loads, since = cur, n, time.Now()
		}
		if cur.ok && cur.Ready == "complete" && !s.navigating() &&
			(cur.Static || (time.Since(since) >= domQuiet && s.netIdle(netQuiet))) {
			return cur
		}
		if done() || stop() || ctx.Err() != nil || time.Now().After(deadline) {
			return cur
		}
		sleep(ctx, pollInterval)
	}
}

// awaitEffect waits, after an action on the page that before shows, for a
// sign of its effect: a document on its way or loaded, another address or
// another DOM. It gives up once the network has been idle a while after
// noEffectAfter, or at effectTimeout. It returns whether it saw a sign,
// and else the page as it stays, which has settled.
func (s *Session) awaitEffect(ctx context.Context, before snapshot, loadsBefore int, done, stop func() bool) (snapshot, bool) {
	start := time.Now()
	for {
		if done() || stop() || ctx.Err() != nil || s.loadCount() != loadsBefore || s.navigating() {
			return snapshot{}, true
		}
		cur := s.snap(ctx)
		if cur.ok && (cur.URL != before.URL || cur.FP != before.FP) {
			return snapshot{}, true
		}
		if el := time.Since(start); (el >= noEffectAfter && cur.ok && cur.Ready == "complete" && s.netIdle(netQuiet)) || el >= effectTimeout {
			return cur, false
		}
		sleep(ctx, pollInterval)
	}
}

// awaitDecision waits, briefly, until the answer to a decision has loaded
// or its request is done.
func (s *Session) awaitDecision(ctx context.Context, loadsBefore int) {
	start := time.Now()
	for time.Since(start) < actionTimeout && ctx.Err() == nil {
		if s.loadCount() > loadsBefore || (time.Since(start) >= netQuiet && !s.navigating() && s.netIdle(netQuiet)) {
			return
		}
		sleep(ctx, pollInterval)
	}
}

// stuck is the StuckError for the page the session is at.
func (s *Session) stuck(ctx context.Context, reason string, cause error) *StuckError {
	var dctx context.Context
	var cancel context.CancelFunc
	if ctx.Err() != nil {
		// The caller's time is up: a quick look, not beyond a moment.
		dctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 1500*time.Millisecond)
	} else {
		dctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	return &StuckError{Diagnosis: s.Diagnose(dctx), Reason: reason, Err: cause}
}

// stopLoading stops the page's navigation, so that a loop stands still for
// its diagnosis.
func (s *Session) stopLoading(ctx context.Context) {
	rp, cancel := bound(s.page.Context(ctx), snapTimeout)
	defer cancel()
	_ = proto.PageStopLoading{}.Call(rp)
}

// addrOf is a URL without its query and fragment, for telling whether an
// action repeats at one place.
func addrOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.RawQuery, p.Fragment, p.RawFragment = "", "", ""
	return p.String()
}

// drive lets the actor act on each settled page until done reports true.
// It ends with an [*ErrorPage] when the actor has nothing to do on an error
// page, with a [*StuckError] when it has nothing to do on another page for
// a while, when an action leaves the page unchanged twice, when an action
// repeats at one address or the actions, documents or time of the drive
// run out, or when the actor fails (the error then wraps the actor's). An
// actor's error that wraps an [*ErrorPage] or [ErrNoDeny] is returned as
// such.
func (s *Session) drive(ctx context.Context, actor Actor, t Task, done func() bool) error {
	dctx, cancel := context.WithTimeout(ctx, driveTimeout)
	defer cancel()
	loads0 := s.loadCount()
	s.mu.Lock()
	s.driveActions = nil
	s.mu.Unlock()
	overBudget := func() bool { return s.loadCount()-loads0 > maxDocuments }
	fail := func(reason string) error {
		switch {
		case ctx.Err() != nil:
			return s.stuck(ctx, fmt.Sprintf("the time was up (%v) before the flow ended", ctx.Err()), ctx.Err())
		case dctx.Err() != nil:
			return s.stuck(ctx, fmt.Sprintf("the flow did not end within %s", driveTimeout), nil)
		case overBudget():
			s.stopLoading(ctx)
			return s.stuck(ctx, fmt.Sprintf("more than %d pages loaded without reaching the end: a redirect or refresh loop", maxDocuments), nil)
		}
		return s.stuck(ctx, reason, nil)
	}
	var (
		actions, unchanged int
		slowActions        int
		repeats            = map[string]int{}  // by action, and by action and address
		loginAt            = map[string]bool{} // the addresses where a login or user code was sent
		idleSince          time.Time
		idleAt             snapshot
		settled            *snapshot // the page as the last action left it
	)
	for {
		if done() {
			return nil
		}
		if dctx.Err() != nil || overBudget() {
			return fail("")
		}
		var cur snapshot
		if settled != nil {
			cur, settled = *settled, nil
		} else {
			cur = s.settleUnless(dctx, done, overBudget)
		}
		if done() {
			return nil
		}
		if dctx.Err() != nil || overBudget() {
			return fail("")
		}
		if strings.HasPrefix(cur.URL, "chrome-error:") {
			s.mu.Lock()
			failed := s.failed
			s.mu.Unlock()
			return fail("the browser could not load the page: " + failed)
		}
		page := &Page{rp: s.page.Context(dctx), s: s}
		if cur.URL == "" {
			cur.URL = page.URL() // a page that did not settle
		}
		at := s.redact(cur.URL)
		loadsBefore := s.loadCount()
		if s.OnPage != nil {
			s.OnPage(dctx, page)
		}
		did, err := actor.Act(dctx, page, t)
		if did != ActNone {
			s.record(evidence.Step{Kind: evidence.StepAction, URL: cur.URL, Action: string(did)})
			s.mu.Lock()
			s.driveActions = append(s.driveActions, fmt.Sprintf("%s at %s", did, at))
			s.mu.Unlock()
		}
		if done() {
			return nil
		}
		if err != nil {
			switch {
			case errorPageOrNil(err) != nil:
				return err
			case errors.Is(err, ErrNoDeny):
				return fmt.Errorf("browser: at %s: %w", at, err)
			case dctx.Err() != nil:
				return fail("")
			case errors.Is(err, context.DeadlineExceeded) && slowActions < maxSlowActions:
				// The action outlasted its own bound, not the drive's: the
				// browser was slow. It may still take effect; if the page
				// stays as it was, the actor acts on it again.
				slowActions++
				after, changed := s.awaitEffect(dctx, cur, loadsBefore, done, overBudget)
				if done() {
					return nil
				}
				if changed {
					after = s.settleUnless(dctx, done, overBudget)
				}
				idleSince, settled = time.Time{}, &after
				continue
			}
			return s.stuck(ctx, err.Error(), err)
		}
		if did != ActNone {
			actions++
			key := string(did) + " " + addrOf(cur.URL)
			repeats[key]++
			repeats[string(did)]++
			switch {
			case actions > maxActions:
				return fail(fmt.Sprintf("more than %d actions without reaching the end", maxActions))
			case repeats[key] > maxRepeats:
				return fail(fmt.Sprintf("the %s action was taken %d times at %s without getting past it", did, repeats[key], s.redact(addrOf(cur.URL))))
			}
			after, changed := s.awaitEffect(dctx, cur, loadsBefore, done, overBudget)
			if done() {
				return nil
			}
			if changed {
				after = s.settleUnless(dctx, done, overBudget)
			}
			if did == ActLogin || did == ActUserCode {
				loginAt[addrOf(cur.URL)] = true
				if repeats[string(did)] >= maxLogins && loginAt[addrOf(after.URL)] {
					return fail(fmt.Sprintf("the %s action was taken %d times without getting past it", did, repeats[string(did)]))
				}
			}
			if after.same(cur) {
				unchanged++
				if unchanged >= 2 {
					return fail(fmt.Sprintf("the %s action left the page unchanged twice", did))
				}
			} else {
				unchanged = 0
			}
			idleSince, settled = time.Time{}, &after
			continue
		}
		// Nothing to do: an error page is the server's answer; another page
		// may still move on by itself, for a while, unless it cannot: a
		// static page, loaded, with no Refresh header, stays as it is.
		if ep := page.ErrorPage(); ep != nil {
			return ep
		}
		if cur.ok && cur.Static && cur.Ready == "complete" && !s.navigating() && !s.refreshing() {
			return fail("nothing to do here: no login form, user code field, consent or continue button that the actor knows, and the page has no script or refresh that could move it on")
		}
		if idleSince.IsZero() || !cur.same(idleAt) {
			idleSince, idleAt = time.Now(), cur
		}
		if time.Since(idleSince) > patience {
			return fail("nothing to do here: no login form, user code field, consent or continue button that the actor knows")
		}
		s.awaitEffect(dctx, cur, loadsBefore, done, overBudget)
	}
}
