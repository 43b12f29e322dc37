package browser

import (
	"context"
	"sync"
)

// Pool keeps browser sessions that checks have finished with, logged in
// and at rest, for the next check that needs one: a login serves many
// checks, and the browser opens fewer contexts and pages. It is safe for
// concurrent use.
type Pool struct {
	mu   sync.Mutex
	idle []*Session
	max  int
	// shelf, when set, takes the sessions the pool has no room for, and
	// gives sessions of the run's other processes (of browser b) when the
	// pool has none.
	shelf *Shelf
	b     *Browser
}

// NewPool returns a pool that keeps up to max idle sessions.
func NewPool(max int) *Pool { return &Pool{max: max} }

// Share makes the pool leave the sessions it has no room for on sh, for
// the run's other processes, and take theirs from it, attached to b.
func (p *Pool) Share(sh *Shelf, b *Browser) {
	p.mu.Lock()
	p.shelf, p.b = sh, b
	p.mu.Unlock()
}

// Get returns an idle session, from the shelf when the pool has none, or
// nil when there is none. A nil pool has none.
func (p *Pool) Get(ctx context.Context) *Session {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		s := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return s
	}
	sh, b := p.shelf, p.b
	p.mu.Unlock()
	return sh.take(ctx, b)
}

// Put keeps s for a later Get when its last step was an authorization
// that reached the redirect URI, or a decision on a device's user code,
// and the pool has room; otherwise it closes s. What s recorded is dropped: take Steps first.
func (p *Pool) Put(s *Session) {
	s.mu.Lock()
	rest := s.atRest
	if rest {
		s.steps, s.driveActions = nil, nil
	}
	s.mu.Unlock()
	var sh *Shelf
	if p != nil && rest {
		p.mu.Lock()
		if len(p.idle) < p.max {
			p.idle = append(p.idle, s)
			s = nil
		}
		sh = p.shelf
		p.mu.Unlock()
	}
	if s != nil && (!rest || !sh.Put(s)) {
		s.Close()
	}
}

// Close leaves the idle sessions on the shelf, or closes them. A closed
// pool keeps nothing more.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	idle, sh := p.idle, p.shelf
	p.idle, p.max, p.shelf = nil, 0, nil
	p.mu.Unlock()
	for _, s := range idle {
		if !sh.Put(s) {
			s.Close()
		}
	}
}

// unrest marks the session as in use by a step other than an
// authorization: it no longer goes back to a pool.
func (s *Session) unrest() {
	s.mu.Lock()
	s.atRest = false
	s.mu.Unlock()
}
