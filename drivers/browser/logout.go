package browser

import (
	"context"
	"fmt"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
)

// signOutJS tags the visible button that confirms a sign-out ("Yes, sign
// me out", "Log out", "Sign out", "Yes") and returns whether there is one.
// A page with a password field is a login page, not a confirmation.
const signOutJS = `() => {
  const vis = el => { const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none' && !el.disabled; };
  if ([...document.querySelectorAll('input[type=password]')].some(vis)) return false;
  const text = el => ((el.innerText || el.value || el.getAttribute('aria-label') || '') + '').replace(/\s+/g, ' ').trim();
  const b = [...document.querySelectorAll('button,input[type=submit],input[type=button],[role=button]')].filter(vis)
    .find(b => /^(yes\b|sign ?(me )?out|log ?(me )?out|logout|signout|end (the )?session)/i.test(text(b)));
  if (!b) return false;
  b.setAttribute('data-oauthcheck-signout', '1');
  return true;
}`

// Logout opens an end-session URL (OpenID Connect RP-Initiated Logout
// 1.0 §2) as the person's browser would when the client sends them there.
// When the page asks them to confirm ("Do you want to sign out?"), they
// confirm, and Logout reports confirmed. Whether the session ended is for
// the caller to see: the next authorization asks for a login again.
func (s *Session) Logout(ctx context.Context, endSessionURL string) (confirmed bool, err error) {
	if err := s.Open(ctx, endSessionURL); err != nil {
		return false, err
	}
	p := s.Page(ctx)
	if p.Eval(signOutJS, &confirmed) != nil || !confirmed {
		return false, nil
	}
	before, loads := s.snap(ctx), s.loadCount()
	s.record(evidence.Step{Kind: evidence.StepAction, URL: p.URL(), Action: string(ActSignOut)})
	if err := p.Click(`[data-oauthcheck-signout]`); err != nil {
		return false, fmt.Errorf("browser: confirm the sign-out: %w", err)
	}
	if _, effect := s.awaitEffect(ctx, before, loads, never, never); effect {
		s.settle(ctx, never)
	}
	return true, nil
}

func never() bool { return false }
