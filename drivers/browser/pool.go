package browser

import "sync"

// Pool keeps browser sessions that checks have finished with, logged in
// and at rest, for the next check that needs one: a login serves many
// checks, and the browser opens fewer contexts and pages. It is safe for
// concurrent use.
type Pool struct {
	mu   sync.Mutex
	idle []*Session
	max  int
}

// NewPool returns a pool that keeps up to max idle sessions.
func NewPool(max int) *Pool { return &Pool{max: max} }

// Get returns an idle session, or nil when there is none. A nil pool has
// none.
func (p *Pool) Get() *Session {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) == 0 {
		return nil
	}
	s := p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	return s
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
	if p != nil && rest {
		p.mu.Lock()
		if len(p.idle) < p.max {
			p.idle = append(p.idle, s)
			s = nil
		}
		p.mu.Unlock()
	}
	if s != nil {
		s.Close()
	}
}

// Close closes the idle sessions. A closed pool keeps nothing more.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	idle := p.idle
	p.idle, p.max = nil, 0
	p.mu.Unlock()
	for _, s := range idle {
		s.Close()
	}
}

// unrest marks the session as in use by a step other than an
// authorization: it no longer goes back to a pool.
func (s *Session) unrest() {
	s.mu.Lock()
	s.atRest = false
	s.mu.Unlock()
}
