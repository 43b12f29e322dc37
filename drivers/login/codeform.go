package login

import (
	"context"
	"errors"
	"fmt"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
)

// ErrUserCodeRefused means the verification page asked for the user code
// again after it was entered: the server did not take it.
var ErrUserCodeRefused = errors.New("login: the verification page asked for the user code again")

// CodeOnce lets the person type a device's user code once: afterwards the
// task has none, and a page that has nothing else to do but still shows a
// code field is a refusal: an error that wraps ErrUserCodeRefused and the
// page as a [*browser.ErrorPage]. A server that counts wrong
// codes is then not driven into its lockout.
func CodeOnce(a browser.Actor) browser.Actor { return &codeOnce{Actor: a} }

type codeOnce struct {
	browser.Actor
	entered bool
}

// codeFieldJS tells whether the page shows a field for a code, found as
// the actors find it.
const codeFieldJS = `() => [...document.querySelectorAll('input,textarea')].some(i => {
  if (i.type === 'hidden' || i.disabled) return false;
  const r = i.getBoundingClientRect(), st = getComputedStyle(i);
  if (r.width === 0 || r.height === 0 || st.visibility === 'hidden' || st.display === 'none') return false;
  const about = [i.name, i.id, i.placeholder, i.getAttribute('aria-label'), (i.labels && i.labels[0] && i.labels[0].innerText) || ''].join(' ');
  return /code/i.test(about);
})`

func (a *codeOnce) Act(ctx context.Context, p *browser.Page, t browser.Task) (browser.Action, error) {
	if a.entered {
		t.UserCode = ""
	}
	did, err := a.Actor.Act(ctx, p, t)
	switch {
	case did == browser.ActUserCode:
		a.entered = true
	case did == browser.ActNone && err == nil && a.entered:
		var shown bool
		if p.Eval(codeFieldJS, &shown) == nil && shown {
			return browser.ActNone, fmt.Errorf("%w: %w", ErrUserCodeRefused, p.AsErrorPage())
		}
	}
	return did, err
}

// CodeForm is the verification page's form for the user code, as
// submitting it would send it, so that the harness can replay it over
// HTTP with the session's cookies.
type CodeForm struct {
	Action string `json:"action"`
	Method string `json:"method"` // get or post
	// Code is the name of the user code field; Fields the other fields
	// that submitting sends, the submit button's among them.
	Code   string      `json:"code"`
	Fields [][2]string `json:"fields"`
	// UA is the browser's User-Agent and Page the form's page.
	UA   string `json:"ua"`
	Page string `json:"page"`
}

// codeFormJS finds the user code form as the actors do (a visible field
// named like "code") and returns what submitting it sends.
const codeFormJS = `() => {
  const vis = el => { const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none' && !el.disabled; };
  const about = i => [i.name, i.id, i.placeholder, i.getAttribute('aria-label'), (i.labels && i.labels[0] && i.labels[0].innerText) || ''].join(' ');
  const code = [...document.querySelectorAll('input,textarea')].find(i => i.type !== 'hidden' && i.name && i.form && vis(i) && /code/i.test(about(i)));
  if (!code) return null;
  const f = code.form, fields = [];
  for (const el of f.elements) {
    if (!el.name || el === code || el.disabled) continue;
    if (['submit', 'button', 'image', 'reset', 'file'].includes(el.type)) continue;
    if ((el.type === 'checkbox' || el.type === 'radio') && !el.checked) continue;
    fields.push([el.name, el.value]);
  }
  const btn = [...f.querySelectorAll('button[name],input[type=submit][name]')].find(b => !/cancel|deny|back/i.test(b.innerText || b.value || ''));
  if (btn) fields.push([btn.name, btn.value]);
  return {action: f.action, method: (f.getAttribute('method') || 'get').toLowerCase(), code: code.name, fields: fields,
    ua: navigator.userAgent, page: location.href};
}`

// ReadCodeForm reads the page's user code form; it returns nil when the
// page has none.
func ReadCodeForm(p *browser.Page) (*CodeForm, error) {
	var f *CodeForm
	if err := p.Eval(codeFormJS, &f); err != nil {
		return nil, err
	}
	return f, nil
}
