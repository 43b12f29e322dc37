package reference

import "time"

// Expired state is swept on access rather than by a goroutine of its own,
// so that a server needs no Close and leaks nothing: every request counts,
// and one that comes sweepEvery after the last sweep, or sweepOps requests
// after it, sweeps under the store lock, where every other step runs too.
// Nothing is swept the moment it expires: expired codes, device codes and
// tokens are kept sweepGrace longer, so that a late request still gets the
// precise answer (expired_token, the revocation of a replayed code's
// tokens) rather than "unknown".
const (
	sweepEvery = 30 * time.Second
	sweepOps   = 1000
	sweepGrace = time.Minute
)

// maybeSweep counts a request and sweeps when it is time.
func (s *Server) maybeSweep() {
	now := s.now()
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	st.ops++
	if now.Sub(st.lastSweep) < sweepEvery && st.ops < sweepOps {
		return
	}
	st.ops, st.lastSweep = 0, now
	s.sweep(now)
}

// sweep removes what has expired: pending authorization requests,
// sessions, Continue pages, device authorizations (but under the
// device-no-expiry weakness), tokens, codes that were never redeemed (but
// under the code-no-expiry weakness), redeemed codes whose grant has no
// token left, grants without tokens or codes, and old failure counts. The
// caller holds the store lock.
func (s *Server) sweep(now time.Time) {
	st := s.store
	gone := func(expires time.Time) bool { return now.After(expires.Add(sweepGrace)) }
	for id, ar := range st.authRequests {
		if now.After(ar.expires) {
			delete(st.authRequests, id)
		}
	}
	for id, sess := range st.sessions {
		if now.After(sess.expires) {
			delete(st.sessions, id)
		}
	}
	for id, c := range st.continuations {
		if now.After(c.expires) {
			delete(st.continuations, id)
		}
	}
	if !s.weakened(DeviceNoExpiry) {
		for code, d := range st.devices {
			if gone(d.expires) {
				delete(st.devices, code)
				if st.userCodes[d.userCode] == d {
					delete(st.userCodes, d.userCode)
				}
			}
		}
	}
	for id, p := range st.clientPolls {
		if now.Sub(p.lastPoll) > s.cfg.DeviceTTL+sweepGrace {
			delete(st.clientPolls, id)
		}
	}
	live := map[string]bool{} // grants with a token
	for value, t := range st.tokens {
		if gone(t.expires) {
			delete(st.tokens, value)
			continue
		}
		live[t.grantID] = true
	}
	kept := map[string]bool{} // grants that a code still points to
	for value, c := range st.codes {
		switch {
		case !c.redeemed && s.weakened(CodeNoExpiry):
		case !gone(c.expires):
		case c.redeemed && live[c.grantID]:
			// A replay must still revoke the grant's tokens (RFC 6749
			// §4.1.2).
		default:
			delete(st.codes, value)
			continue
		}
		kept[c.grantID] = true
	}
	for id := range st.grants {
		if !live[id] && !kept[id] {
			delete(st.grants, id)
		}
	}
	for user, times := range st.failures {
		if st.failures[user] = recentTimes(times, now, failureWindow); len(st.failures[user]) == 0 {
			delete(st.failures, user)
		}
	}
	for id, times := range st.authFailures {
		if st.authFailures[id] = recentTimes(times, now, authFailureWindow); len(st.authFailures[id]) == 0 {
			delete(st.authFailures, id)
		}
	}
}
