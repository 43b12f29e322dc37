package login

import (
	"context"
	"fmt"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
)

// Auto finds the fields and buttons of a page by their types, names and
// labels, so that a new vendor often needs no script: a password field
// means a login form; a field named like "code" takes the user code; a
// button labelled like "Allow" or "Deny" decides.
type Auto struct{}

// inspectJS tags the elements of interest with data-oauthcheck and returns
// their tags.
const inspectJS = `() => {
  const vis = el => { if (!el) return false; const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none' && !el.disabled; };
  let n = 0;
  const tag = el => { if (!el) return ""; if (!el.dataset.oauthcheck) el.dataset.oauthcheck = "e" + (++n) + Math.random().toString(36).slice(2, 7); return el.dataset.oauthcheck; };
  const inputs = [...document.querySelectorAll('input,textarea')].filter(i => vis(i) && i.type !== 'hidden');
  const buttons = [...document.querySelectorAll('button,input[type=submit],input[type=button],[role=button]')].filter(vis);
  const text = el => ((el.innerText || el.value || el.getAttribute('aria-label') || '') + '').trim();
  const about = i => [i.name, i.id, i.placeholder, i.getAttribute('aria-label'), i.autocomplete, (i.labels && i.labels[0] && i.labels[0].innerText) || ''].join(' ');
  const pw = inputs.find(i => i.type === 'password');
  const texty = inputs.filter(i => ['text', 'email', 'tel', 'search', ''].includes(i.type));
  const code = texty.find(i => /code/i.test(about(i)));
  const user = texty.find(i => i !== code && /user|login|e-?mail|account|identifier|name/i.test(about(i))) ||
    (pw ? texty.filter(i => i.compareDocumentPosition(pw) & Node.DOCUMENT_POSITION_FOLLOWING).pop() : null);
  const submitOf = el => { const f = el && el.form; if (!f) return null;
    return [...f.elements].filter(b => (b.tagName === 'BUTTON' && b.type !== 'button' && b.type !== 'reset') || (b.tagName === 'INPUT' && b.type === 'submit'))
      .filter(vis).find(b => !/cancel|deny|abort|back/i.test(text(b))) || null; };
  const approve = buttons.find(b => /^(allow|accept|approve|authori[sz]e|grant|yes|confirm|consent|continue|ok)\b/i.test(text(b)));
  const deny = buttons.find(b => /^(deny|decline|reject|cancel|abort|no\b|don.?t allow)/i.test(text(b)));
  return {password: tag(pw), username: tag(user), code: tag(code), submit: tag(submitOf(pw || code || user)),
    approve: tag(approve), deny: tag(deny)};
}`

type found struct {
	Password, Username, Code, Submit, Approve, Deny string
}

func sel(tag string) string { return `[data-oauthcheck="` + tag + `"]` }

// Act implements [browser.Actor].
func (Auto) Act(ctx context.Context, p *browser.Page, t browser.Task) (browser.Action, error) {
	var f found
	if err := p.Eval(inspectJS, &f); err != nil {
		return browser.ActNone, fmt.Errorf("login: inspect page: %w", err)
	}
	submit := func(did browser.Action) (browser.Action, error) {
		if f.Submit == "" {
			return browser.ActNone, fmt.Errorf("login: %s form has no submit button", did)
		}
		return did, p.Click(sel(f.Submit))
	}
	switch {
	case f.Password != "":
		if f.Username != "" {
			if err := p.Fill(sel(f.Username), t.Username); err != nil {
				return browser.ActNone, err
			}
		}
		if err := p.Fill(sel(f.Password), t.Password); err != nil {
			return browser.ActNone, err
		}
		return submit(browser.ActLogin)
	case f.Code != "" && t.UserCode != "":
		if err := p.Fill(sel(f.Code), t.UserCode); err != nil {
			return browser.ActNone, err
		}
		return submit(browser.ActUserCode)
	case f.Username != "" && f.Submit != "" && f.Approve == "":
		// The first page of a two-step login asks for the username alone.
		if err := p.Fill(sel(f.Username), t.Username); err != nil {
			return browser.ActNone, err
		}
		return submit(browser.ActLogin)
	case t.Deny && f.Deny != "":
		return browser.ActDeny, p.Click(sel(f.Deny))
	case !t.Deny && f.Approve != "":
		return browser.ActApprove, p.Click(sel(f.Approve))
	}
	return browser.ActNone, nil
}
