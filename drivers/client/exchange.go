package client

import (
	"fmt"
	"sync"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
)

// Exchange is the redacted record of one HTTP request and its response.
type Exchange = evidence.Exchange

// KeepExchanges is how many exchanges a recorder keeps at each end: the
// first and the last, with a count of those dropped between them, so that
// a check that sends thousands of requests keeps bounded evidence.
const KeepExchanges = 50

// Recorder collects exchanges; it is safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	first   []*Exchange
	last    []*Exchange // a ring of the latest, once first is full
	next    int         // where the ring writes next
	dropped int
	note    string
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
	switch {
	case len(r.first) < KeepExchanges:
		r.first = append(r.first, e)
	case len(r.last) < KeepExchanges:
		r.last = append(r.last, e)
	default:
		r.last[r.next] = e
		r.next = (r.next + 1) % KeepExchanges
		r.dropped++
	}
}

// Note labels the exchanges recorded from now on, such as "replay the code".
func (r *Recorder) Note(s string) {
	r.mu.Lock()
	r.note = s
	r.mu.Unlock()
}

// Exchanges returns what was recorded, in order: the first and the last
// KeepExchanges, and between them, when some were dropped, a stand-in
// that says how many.
func (r *Recorder) Exchanges() []*Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Exchange, 0, len(r.first)+len(r.last)+1)
	out = append(out, r.first...)
	if r.dropped > 0 {
		out = append(out, &Exchange{Note: fmt.Sprintf("%d exchanges between these were not kept", r.dropped), Method: "…", URL: "…", Started: time.Now()})
	}
	out = append(out, r.last[r.next:]...)
	out = append(out, r.last[:r.next]...)
	return out
}
