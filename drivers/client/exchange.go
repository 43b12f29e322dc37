package client

import (
	"sync"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
)

// Exchange is the redacted record of one HTTP request and its response.
type Exchange = evidence.Exchange

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
