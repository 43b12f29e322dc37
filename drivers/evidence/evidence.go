// Package evidence is what a verdict rests on: the HTTP exchanges and
// browser steps a check saw, the redactor that keeps secrets out of them,
// and their rendering as text. The drivers record it and the reports read
// it; it uses the standard library only, so the reports reach nothing that
// talks to a target.
package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Exchange is the redacted record of one HTTP request and its response.
type Exchange struct {
	Note           string        `json:"note,omitempty"`
	Method         string        `json:"method"`
	URL            string        `json:"url"`
	RequestHeader  http.Header   `json:"request_header,omitempty"`
	RequestBody    string        `json:"request_body,omitempty"`
	Status         int           `json:"status,omitempty"`
	ResponseHeader http.Header   `json:"response_header,omitempty"`
	ResponseBody   string        `json:"response_body,omitempty"`
	Error          string        `json:"error,omitempty"`
	Started        time.Time     `json:"started"`
	Duration       time.Duration `json:"duration_ns"`
}

// StepKind is what happened in the browser.
type StepKind string

// The kinds of browser steps.
const (
	StepDocument StepKind = "document" // a document loaded
	StepRedirect StepKind = "redirect" // an HTTP redirect was followed
	StepAction   StepKind = "action"   // the person acted on a page
	StepCallback StepKind = "callback" // the authorization response was caught
)

// Step is one thing that happened in the browser, recorded as evidence.
type Step struct {
	Kind   StepKind    `json:"kind"`
	Method string      `json:"method,omitempty"`
	URL    string      `json:"url"`
	Status int         `json:"status,omitempty"`
	Header http.Header `json:"header,omitempty"`
	// FromPost is set on a redirect that answers a form POST.
	FromPost bool `json:"from_post,omitempty"`
	// Direct is set on a step that the harness took over plain HTTP with
	// the session's cookies, not in the browser: an authorization that
	// needed no page.
	Direct bool `json:"direct,omitempty"`
	// Action is what the person did, for an action step.
	Action string    `json:"action,omitempty"`
	At     time.Time `json:"at"`
}

// MaxShownBody is how much of a body a transcript shows.
const MaxShownBody = 16 << 10

// String renders the exchange as a transcript.
func (e *Exchange) String() string { return e.Transcript() }

// Transcript renders the exchange as an HTTP transcript: "> " for the
// request, "< " for the response, "! " for a transport error, and its note
// as a "# " comment. JSON bodies are indented; long bodies are cut.
func (e *Exchange) Transcript() string {
	var b strings.Builder
	if e.Note != "" {
		fmt.Fprintf(&b, "# %s\n", oneLine(e.Note))
	}
	fmt.Fprintf(&b, "> %s %s\n", e.Method, e.URL)
	writeHeader(&b, "> ", e.RequestHeader)
	if e.RequestBody != "" {
		writeBody(&b, "> ", e.RequestHeader.Get("Content-Type"), e.RequestBody)
	}
	if e.Error != "" {
		fmt.Fprintf(&b, "! %s\n", oneLine(e.Error))
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, "< %d %s (%s)\n", e.Status, http.StatusText(e.Status), e.Duration.Round(time.Millisecond))
		writeHeader(&b, "< ", e.ResponseHeader)
		if e.ResponseBody != "" {
			writeBody(&b, "< ", e.ResponseHeader.Get("Content-Type"), e.ResponseBody)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func writeHeader(b *strings.Builder, prefix string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, oneLine(v))
		}
	}
}

func writeBody(b *strings.Builder, prefix, contentType, body string) {
	if strings.Contains(contentType, "json") && json.Valid([]byte(body)) {
		var out bytes.Buffer
		if json.Indent(&out, []byte(body), "", "  ") == nil {
			body = out.String()
		}
	}
	more := ""
	if len(body) > MaxShownBody {
		cut := MaxShownBody
		for cut > 0 && !utf8Start(body[cut]) {
			cut--
		}
		more = fmt.Sprintf("… (%d more bytes)", len(body)-cut)
		body = body[:cut]
	}
	fmt.Fprintf(b, "%s\n", strings.TrimRight(prefix, " "))
	for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		fmt.Fprintf(b, "%s%s\n", prefix, strings.TrimRight(line, "\r"))
	}
	if more != "" {
		fmt.Fprintf(b, "%s%s\n", prefix, more)
	}
}

func utf8Start(c byte) bool { return c&0xC0 != 0x80 }

// Line renders a browser step on one line.
func (s *Step) Line() string {
	line := string(s.Kind)
	if s.Method != "" && s.Method != http.MethodGet {
		line += " " + s.Method
	}
	line += " " + s.URL
	if s.Status != 0 {
		line += fmt.Sprintf(" -> %d", s.Status)
	}
	if s.FromPost {
		line += " (answering a form POST)"
	}
	if s.Direct {
		line += " (over HTTP with the session's cookies)"
	}
	if s.Action != "" {
		line += " [" + s.Action + "]"
	}
	return line
}

// oneLine collapses white space, newlines among it, so that one value
// reads as one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
