package client

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Exchange is the redacted record of one HTTP request and its response,
// the evidence behind a verdict.
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

// String renders the exchange as an HTTP transcript.
func (e *Exchange) String() string {
	var b strings.Builder
	if e.Note != "" {
		fmt.Fprintf(&b, "# %s\n", e.Note)
	}
	fmt.Fprintf(&b, "> %s %s\n", e.Method, e.URL)
	writeHeader(&b, "> ", e.RequestHeader)
	if e.RequestBody != "" {
		fmt.Fprintf(&b, ">\n> %s\n", e.RequestBody)
	}
	if e.Error != "" {
		fmt.Fprintf(&b, "! %s\n", e.Error)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, "< %d %s (%s)\n", e.Status, http.StatusText(e.Status), e.Duration)
		writeHeader(&b, "< ", e.ResponseHeader)
		if e.ResponseBody != "" {
			body := e.ResponseBody
			if len(body) > 4096 {
				body = body[:4096] + "…"
			}
			fmt.Fprintf(&b, "<\n< %s\n", strings.ReplaceAll(body, "\n", "\n< "))
		}
	}
	return b.String()
}

func writeHeader(b *strings.Builder, prefix string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, v)
		}
	}
}

// Recorder collects exchanges; it is safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	list []*Exchange
	note string
}

func (r *Recorder) add(e *Exchange) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Note == "" {
		e.Note = r.note
	}
	r.list = append(r.list, e)
}

// Note labels the exchanges recorded from now on, such as "replay the code".
func (r *Recorder) Note(s string) {
	r.mu.Lock()
	r.note = s
	r.mu.Unlock()
}

// Exchanges returns what was recorded, in order.
func (r *Recorder) Exchanges() []*Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Exchange, len(r.list))
	copy(out, r.list)
	return out
}
