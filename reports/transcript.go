package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// maxBody is how much of a body a report shows.
const maxBody = 16 << 10

// Transcript renders the exchange as an HTTP transcript: "> " for the
// request, "< " for the response, "! " for a transport error, and its note
// as a "# " comment. JSON bodies are indented; bodies longer than 16 KiB
// are cut.
func (e *Exchange) Transcript() string {
	var b strings.Builder
	if e.Note != "" {
		fmt.Fprintf(&b, "# %s\n", e.Note)
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
	if len(body) > maxBody {
		cut := maxBody
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
	line := s.Kind
	if s.Method != "" && s.Method != "GET" {
		line += " " + s.Method
	}
	line += " " + s.URL
	if s.Status != 0 {
		line += fmt.Sprintf(" -> %d", s.Status)
	}
	if s.FromPost {
		line += " (answering a form POST)"
	}
	if s.Action != "" {
		line += " [" + s.Action + "]"
	}
	return line
}

// Evidence is the result's evidence as text: the HTTP transcripts, the
// browser steps, the screenshots' notes and the output of a failed spec.
func (r *Result) Evidence() string {
	var parts []string
	if len(r.Exchanges) > 0 {
		xs := make([]string, len(r.Exchanges))
		for i := range r.Exchanges {
			xs[i] = r.Exchanges[i].Transcript()
		}
		parts = append(parts, fmt.Sprintf("HTTP exchanges (%d):\n\n%s", len(xs), strings.Join(xs, "\n\n")))
	}
	if len(r.Browser) > 0 {
		ls := make([]string, len(r.Browser))
		for i := range r.Browser {
			ls[i] = r.Browser[i].Line()
		}
		parts = append(parts, fmt.Sprintf("Browser steps (%d):\n%s", len(ls), strings.Join(ls, "\n")))
	}
	for _, s := range r.Screenshots {
		parts = append(parts, fmt.Sprintf("Screenshot (in the HTML report): %s", s.Note))
	}
	if r.Output != "" {
		parts = append(parts, "Output:\n"+r.Output)
	}
	return strings.Join(parts, "\n\n")
}
