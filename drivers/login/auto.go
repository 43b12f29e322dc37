package login

import (
	"context"
	"fmt"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
)

// Auto finds the fields and buttons of a page by their types, names and
// labels, so that a new vendor often needs no script:
//
//   - a password field means a login form: the username too, if shown,
//     then its submit button, or the button after the field that reads
//     like going on, for a form that a script posts;
//   - a field named like "code" takes the user code;
//   - a username field alone is the first page of a two-step login;
//   - a button labelled like "Allow" or "Deny" decides; "Continue" or
//     "Confirm" decides too when the page reads like a consent page (a
//     deny control, scope checkboxes, or words such as "access"). Before
//     approving, it ticks every unticked checkbox of the consent form
//     (scopes a person must pick), but never one that reads like
//     "remember this decision", which would make the session's later
//     authorizations skip the consent page. It ticks nothing on login
//     forms: "remember me" is not needed;
//   - asked to deny on a consent page that has no deny control, it fails
//     with [browser.ErrNoDeny];
//   - when nothing else applies, a page without fields that only informs
//     ("Continue", "Proceed", "Back to the application", "Skip for now")
//     is gone on from, unless it reads like an error.
type Auto struct{}

// inspectJS tags the elements of interest with data-oauthcheck and returns
// their tags.
const inspectJS = `() => {
  const vis = el => { if (!el) return false; const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none' && !el.disabled; };
  let n = 0;
  const tag = el => { if (!el) return ""; if (!el.dataset.oauthcheck) el.dataset.oauthcheck = "e" + (++n) + Math.random().toString(36).slice(2, 7); return el.dataset.oauthcheck; };
  const text = el => ((el.innerText || el.value || el.getAttribute('aria-label') || el.getAttribute('title') || '') + '').replace(/\s+/g, ' ').trim();
  const about = i => [i.name, i.id, i.placeholder, i.getAttribute('aria-label'), i.autocomplete, (i.labels && i.labels[0] && i.labels[0].innerText) || ''].join(' ');
  const inputs = [...document.querySelectorAll('input,textarea')].filter(i => vis(i) && i.type !== 'hidden');
  const fillable = inputs.filter(i => !i.readOnly && !['checkbox', 'radio', 'submit', 'button', 'image', 'reset', 'file', 'range', 'color'].includes(i.type));
  const clickables = [...document.querySelectorAll('button,input[type=submit],input[type=button],input[type=image],[role=button],a[href]')].filter(vis);
  const buttons = clickables.filter(b => b.tagName !== 'A');
  const pw = fillable.find(i => i.type === 'password');
  const texty = fillable.filter(i => ['text', 'email', 'tel', 'search', 'number', ''].includes(i.type));
  const code = texty.find(i => /code/i.test(about(i)));
  const user = texty.find(i => i !== code && /user|login|e-?mail|account|identifier|name/i.test(about(i))) ||
    (pw ? texty.filter(i => i !== code && i.compareDocumentPosition(pw) & Node.DOCUMENT_POSITION_FOLLOWING).pop() : null);
  const negative = /cancel|deny|decline|abort|back|forgot|reset|sign ?up|register|create|another|different|help|show|hide/i;
  const onward = /^(sign ?in|log ?in|next|continue|submit|verify|proceed|go|ok|enter|confirm)\b/i;
  const submitFor = el => {
    if (!el) return null;
    const f = el.form;
    if (f) {
      const sub = [...f.elements].filter(b => ((b.tagName === 'BUTTON' && b.type === 'submit') || (b.tagName === 'INPUT' && (b.type === 'submit' || b.type === 'image'))) &&
        vis(b) && !negative.test(text(b)))[0];
      if (sub) return sub;
    }
    // A form that a script posts: the button after the field that reads
    // like going on, else the form's first button that does not go back.
    const after = buttons.filter(b => (el.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING) && !negative.test(text(b)));
    return after.find(b => onward.test(text(b))) ||
      (f ? [...f.querySelectorAll('button,[role=button]')].filter(vis).find(b => !negative.test(text(b))) : null) ||
      (after.length === 1 ? after[0] : null);
  };
  const strong = clickables.find(b => /^(allow|accept|approve|authori[sz]e|grant|yes|consent|agree|share)\b/i.test(text(b)));
  const weak = clickables.find(b => /^(continue|confirm|ok(ay)?|proceed)\b/i.test(text(b)));
  const deny = clickables.find(b => /^(deny|decline|reject|cancel|abort|refuse|disallow|no\b|don.?t allow|do not allow)/i.test(text(b)));
  const body = document.body ? document.body.innerText : '';
  const scope = (strong || weak) && (strong || weak).form || document;
  const boxes = [...scope.querySelectorAll('input[type=checkbox]')].filter(b => !b.checked && !b.disabled &&
    (vis(b) || (b.labels && [...b.labels].some(vis))) && !/remember|trust|don.?t ask|do not ask|keep me|stay signed|save|never|skip/i.test(about(b)));
  const consent = !!strong || (!!weak && (!!deny || boxes.length > 0 ||
    /\b(access|permissions?|scopes?|authori[sz]\w*|consent|allow|share|requests?|requesting)\b/i.test(body)));
  const approve = strong || (consent ? weak : null);
  const onwardOnly = !consent && fillable.length === 0 ? clickables.find(b => !negative.test(text(b).replace(/^(back|return) to/i, '')) &&
    /^(continue|proceed|next|ok(ay)?|go to\b|(back|return) to (the )?(app|application|client|site|service)\b|take me\b|skip\b|not now\b|remind me later\b|maybe later\b)/i.test(text(b))) : null;
  return {password: tag(pw), username: tag(user), userValue: user ? user.value : '', code: tag(code),
    submit: tag(submitFor(pw || code || user)), approve: tag(approve), deny: tag(deny), consent: consent,
    boxes: consent ? boxes.map(tag) : [], onward: tag(onwardOnly), text: (document.title + '\n' + body).slice(0, 4000)};
}`

type found struct {
	Password, Username, UserValue, Code, Submit, Approve, Deny string
	Consent                                                    bool
	Boxes                                                      []string
	Onward, Text                                               string
}

func sel(tag string) string { return `[data-oauthcheck="` + tag + `"]` }

// tickJS ticks the checkboxes with the given tags as a click would.
const tickJS = `(tags) => tags.forEach(t => { const b = document.querySelector('[data-oauthcheck="' + t + '"]'); if (b && !b.checked) b.click(); })`

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
		if f.Username != "" && f.UserValue != t.Username {
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
	case f.Username != "" && f.Submit != "" && !f.Consent:
		// The first page of a two-step login asks for the username alone.
		if f.UserValue != t.Username {
			if err := p.Fill(sel(f.Username), t.Username); err != nil {
				return browser.ActNone, err
			}
		}
		return submit(browser.ActLogin)
	case t.Deny && f.Deny != "" && f.Consent:
		return browser.ActDeny, p.Click(sel(f.Deny))
	case t.Deny && f.Consent:
		return browser.ActNone, fmt.Errorf("login: the consent page has no deny control: %w", browser.ErrNoDeny)
	case !t.Deny && f.Approve != "":
		if len(f.Boxes) > 0 {
			if err := p.Eval(tickJS, nil, f.Boxes); err != nil {
				return browser.ActNone, fmt.Errorf("login: tick the consent's checkboxes: %w", err)
			}
		}
		return browser.ActApprove, p.Click(sel(f.Approve))
	case f.Onward != "" && p.Status() < 400 && !browser.ReadsLikeError(f.Text):
		return browser.ActContinue, p.Click(sel(f.Onward))
	}
	return browser.ActNone, nil
}
