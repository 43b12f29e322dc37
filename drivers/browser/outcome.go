package browser

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-rod/rod/lib/proto"
)

// ErrStuck means the harness could not drive the page to its end: the
// actor found nothing to do on a page that is no error page, an action
// changed nothing, a budget ran out, or the pages looped. Errors that wrap
// it are [*StuckError]s, which carry a [Diagnosis].
var ErrStuck = errors.New("browser: could not get through the pages")

// ErrNoCallback is the former name of [ErrStuck].
//
// Deprecated: an error page is now an [*ErrorPage], and a page the harness
// could not get through a [*StuckError]; use errors.As or ErrStuck.
var ErrNoCallback = ErrStuck

// ErrNoDeny means the task was to deny but the page offers approval and no
// way to deny: the check that needs a denial cannot run against this
// server (a SKIP, not a FAIL).
var ErrNoDeny = errors.New("browser: the page offers approval but no way to deny")

// ErrorPage is an error page that the server answered with: a refusal that
// was seen. The actor had nothing to do on it, and either its HTTP status
// was 400 or more, or it has no form controls and its text reads like an
// error.
type ErrorPage struct {
	URL    string `json:"url"`
	Status int    `json:"status,omitempty"`
	Title  string `json:"title,omitempty"`
	// Text is the page's visible text on one line, cut to about 300
	// characters.
	Text string `json:"text,omitempty"`
}

func (e *ErrorPage) Error() string {
	var b strings.Builder
	b.WriteString("browser: the server answered with an error page at ")
	b.WriteString(e.URL)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (%d %s)", e.Status, http.StatusText(e.Status))
	}
	what := e.Text
	if e.Title != "" && !strings.HasPrefix(e.Text, e.Title) {
		what = strings.TrimSpace(e.Title + ": " + e.Text)
	}
	if what != "" {
		fmt.Fprintf(&b, ": %s", what)
	}
	return b.String()
}

// StuckError means the harness could not drive the pages to their end; it
// wraps [ErrStuck], and the context's error when the context ended.
type StuckError struct {
	// Diagnosis is the page it stayed at, for writing a login script.
	Diagnosis Diagnosis
	// Reason says why it stopped.
	Reason string
	// Err is the cause beyond the page, if any: the context's error.
	Err error
}

func (e *StuckError) Error() string {
	return fmt.Sprintf("browser: stuck at %s: %s", e.Diagnosis.URL, e.Reason)
}

// Unwrap returns ErrStuck and the cause.
func (e *StuckError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrStuck, e.Err}
	}
	return []error{ErrStuck}
}

// Diagnosis is what a person needs to see why the harness stopped at a page
// and to write a login script for it.
type Diagnosis struct {
	URL    string `json:"url"`
	Title  string `json:"title,omitempty"`
	Status int    `json:"status,omitempty"`
	// Text is the page's visible text on one line, cut to about 300
	// characters.
	Text string `json:"text,omitempty"`
	// Fields are the visible form fields, Buttons the visible controls
	// that look clickable.
	Fields  []Field  `json:"fields,omitempty"`
	Buttons []Button `json:"buttons,omitempty"`
	// Actions are what the actor did so far in this drive, such as
	// "login at https://idp.example.com/login".
	Actions []string `json:"actions,omitempty"`
	// Screenshot is a PNG of the page, at most about 300 KB.
	Screenshot []byte `json:"-"`
	// Script is a starter login script for the page, in the format of
	// drivers/login, when [DiagnosisScript] is set.
	Script string `json:"script,omitempty"`
}

// Field is a visible form field of a page.
type Field struct {
	// Selector is a stable CSS selector: #id, else [name=…], else a path.
	Selector    string `json:"selector"`
	Type        string `json:"type"`
	Name        string `json:"name,omitempty"`
	ID          string `json:"id,omitempty"`
	Label       string `json:"label,omitempty"`
	Placeholder string `json:"placeholder,omitempty"`
}

// Button is a visible control that looks clickable: a button, a submit
// input or a link.
type Button struct {
	Selector string `json:"selector"`
	Text     string `json:"text"`
	// Type is submit, button, reset or link.
	Type string `json:"type,omitempty"`
}

// String is the diagnosis for a person: the page, its fields and buttons,
// and what was done.
func (d Diagnosis) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "page %s", d.URL)
	if d.Status != 0 {
		fmt.Fprintf(&b, " (%d)", d.Status)
	}
	if d.Title != "" {
		fmt.Fprintf(&b, " %q", d.Title)
	}
	for _, f := range d.Fields {
		fmt.Fprintf(&b, "\n  field %s type=%s", f.Selector, f.Type)
		if f.Label != "" {
			fmt.Fprintf(&b, " label=%q", f.Label)
		}
	}
	for _, x := range d.Buttons {
		fmt.Fprintf(&b, "\n  %s %s %q", x.Type, x.Selector, x.Text)
	}
	if len(d.Actions) > 0 {
		fmt.Fprintf(&b, "\n  done: %s", strings.Join(d.Actions, "; "))
	}
	return b.String()
}

// DiagnosisScript, when set, writes a starter login script from a
// diagnosis into [Diagnosis.Script]. Package drivers/login sets it, so
// that a program whose actors come from there gets starter scripts
// without this package importing it.
var DiagnosisScript func(Diagnosis) string

// errorTextRE is the text of a page that reads like an error.
var errorTextRE = regexp.MustCompile(`(?i)error|invalid|not (allowed|permitted|registered|found)|unauthori[sz]ed|denied|refused|unknown|mismatch|expired|bad request`)

// ReadsLikeError reports whether a page's text reads like an error.
func ReadsLikeError(text string) bool { return errorTextRE.MatchString(text) }

// oneLine folds s's white space and cuts it to about n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// pageLookJS reads what tells an error page: the title, the visible text,
// and the number of visible form controls.
const pageLookJS = `() => {
  const vis = el => { const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none'; };
  const controls = [...document.querySelectorAll('input:not([type=hidden]),button,select,textarea,[role=button]')].filter(vis).length;
  return {title: document.title || '', text: document.body ? document.body.innerText : '', controls: controls};
}`

type pageLook struct {
	Title    string `json:"title"`
	Text     string `json:"text"`
	Controls int    `json:"controls"`
}

// ErrorPage returns the page as an error page when it looks like one: its
// document's HTTP status is 400 or more, or it has no form controls and
// its text reads like an error. It returns nil otherwise. Whether the
// person has anything left to do on it is for the actor to tell.
func (p *Page) ErrorPage() *ErrorPage {
	var look pageLook
	if err := p.Eval(pageLookJS, &look); err != nil {
		return nil
	}
	status := p.Status()
	if status < 400 && (look.Controls > 0 || !ReadsLikeError(look.Title+"\n"+look.Text)) {
		return nil
	}
	return p.errorPage(status, look)
}

// AsErrorPage returns the page as an error page, whatever it looks like:
// for an actor that knows that the page refuses, such as a verification
// page that asks for the user code again. An actor's error that wraps it
// ends the drive as a refusal.
func (p *Page) AsErrorPage() *ErrorPage {
	var look pageLook
	_ = p.Eval(pageLookJS, &look)
	return p.errorPage(p.Status(), look)
}

func (p *Page) errorPage(status int, look pageLook) *ErrorPage {
	u := p.URL()
	if p.s != nil {
		u = p.s.redact(u)
	}
	return &ErrorPage{URL: u, Status: status, Title: oneLine(look.Title, 120), Text: oneLine(look.Text, 300)}
}

// Status is the HTTP status of the page's document, 0 when unknown.
func (p *Page) Status() int {
	if p.s == nil {
		return 0
	}
	return p.s.docStatus()
}

// Text is the page's visible text.
func (p *Page) Text() string {
	var text string
	_ = p.Eval(`() => document.body ? document.body.innerText : ""`, &text)
	return text
}

// diagnoseJS lists a page's visible fields and clickable controls with
// stable selectors: #id when the id is unique and does not look generated,
// else tag[name=…] when unique, else a path of tags from the nearest
// ancestor with such an id.
const diagnoseJS = `() => {
  const vis = el => { const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && st.visibility !== 'hidden' && st.display !== 'none'; };
  const uniq = s => { try { return document.querySelectorAll(s).length === 1; } catch (e) { return false; } };
  const generated = id => /\d{4,}|[0-9a-f]{8,}|^:|^(ember|mui|react|ext-gen)[-_:]?\d/i.test(id);
  const idSel = el => el.id && !generated(el.id) && uniq('#' + CSS.escape(el.id)) ? '#' + CSS.escape(el.id) : '';
  const attr = (tag, k, v) => tag + '[' + k + '="' + v.replace(/["\\]/g, '\\$&') + '"]';
  const sel = el => {
    const tag = el.tagName.toLowerCase();
    let s = idSel(el);
    if (s) return s;
    const name = el.getAttribute('name');
    if (name) {
      if (uniq(s = attr(tag, 'name', name))) return s;
      const v = el.getAttribute('value');
      if (v && uniq(s = attr(tag, 'name', name) + attr('', 'value', v))) return s;
    }
    const parts = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      if (n !== el && (s = idSel(n))) { parts.unshift(s); break; }
      const t = n.tagName.toLowerCase(), p = n.parentElement;
      if (!p || t === 'body') { parts.unshift(t); break; }
      const same = [...p.children].filter(c => c.tagName === n.tagName);
      parts.unshift(same.length > 1 ? t + ':nth-of-type(' + (same.indexOf(n) + 1) + ')' : t);
    }
    return parts.join(' > ');
  };
  const line = (s, n) => { s = (s || '').replace(/\s+/g, ' ').trim(); return s.length > n ? s.slice(0, n) + '…' : s; };
  const labelOf = el => line((el.labels && el.labels[0] && el.labels[0].innerText) || el.getAttribute('aria-label') ||
    ((el.getAttribute('aria-labelledby') || '').split(/\s+/).map(id => { const l = document.getElementById(id); return l ? l.innerText : ''; }).join(' ')), 80);
  const fields = [...document.querySelectorAll('input,select,textarea')]
    .filter(el => el.type !== 'hidden' && !['submit', 'button', 'image', 'reset'].includes(el.type) && vis(el)).slice(0, 40)
    .map(el => ({selector: sel(el), type: el.tagName === 'INPUT' ? (el.type || 'text') : el.tagName.toLowerCase(),
      name: el.getAttribute('name') || '', id: el.id || '', label: labelOf(el), placeholder: el.getAttribute('placeholder') || ''}));
  const buttons = [...document.querySelectorAll('button,input[type=submit],input[type=button],input[type=image],input[type=reset],[role=button],a[href]')]
    .filter(el => vis(el) && !el.disabled).map(el => {
      const text = line(el.innerText || el.value || el.getAttribute('aria-label') || el.getAttribute('title') || el.getAttribute('alt') || '', 80);
      const type = el.tagName === 'A' ? 'link' : el.tagName === 'BUTTON' || el.tagName === 'INPUT' ? (el.type || 'submit') : 'button';
      return {selector: sel(el), text: text, type: type};
    }).filter(b => b.text).slice(0, 40);
  return {url: location.href, title: line(document.title, 120), text: line(document.body ? document.body.innerText : '', 300),
    fields: fields, buttons: buttons};
}`

// diagnoseTimeout bounds taking a diagnosis.
const diagnoseTimeout = 5 * time.Second

// maxScreenshot is the size a diagnosis's screenshot is kept under.
const maxScreenshot = 300 << 10

// Diagnose describes the page as it is now, for a person writing a login
// script: its fields and buttons with stable selectors, what the actor did
// in the last drive, a screenshot and a starter script. What cannot be
// read is left out.
func (s *Session) Diagnose(ctx context.Context) Diagnosis {
	ctx, cancel := context.WithTimeout(ctx, diagnoseTimeout)
	defer cancel()
	var d Diagnosis
	p := s.Page(ctx)
	if err := p.Eval(diagnoseJS, &d); err != nil || d.URL == "" || strings.HasPrefix(d.URL, "chrome-error:") {
		d.URL = p.URL() // the address it failed to load
	}
	d.URL = s.redact(d.URL)
	d.Status = s.docStatus()
	s.mu.Lock()
	d.Actions = append([]string(nil), s.driveActions...)
	s.mu.Unlock()
	d.Screenshot = s.smallScreenshot(ctx)
	if DiagnosisScript != nil {
		d.Script = DiagnosisScript(d)
	}
	return d
}

// smallScreenshot is a PNG of the viewport under maxScreenshot, scaled
// down if need be; nil if none can be taken.
func (s *Session) smallScreenshot(ctx context.Context) []byte {
	png, err := s.Screenshot(ctx)
	if err != nil {
		return nil
	}
	if len(png) <= maxScreenshot {
		return png
	}
	var vp struct{ W, H float64 }
	if err := s.Page(ctx).Eval(`() => ({w: innerWidth, h: innerHeight})`, &vp); err != nil || vp.W == 0 || vp.H == 0 {
		return nil
	}
	for _, scale := range []float64{0.5, 0.25} {
		rp, cancel := bound(s.page.Context(ctx), actionTimeout)
		png, err = rp.Screenshot(false, &proto.PageCaptureScreenshot{Format: proto.PageCaptureScreenshotFormatPng,
			Clip: &proto.PageViewport{Width: vp.W, Height: vp.H, Scale: scale}})
		cancel()
		if err == nil && len(png) <= maxScreenshot {
			return png
		}
	}
	return nil
}
