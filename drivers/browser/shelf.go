package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-rod/rod/lib/proto"
)

// Shelf keeps logged-in sessions at rest for the run's other processes,
// which share one browser: a flow that has more than it keeps, or ends,
// leaves them there, and a flow that needs one takes it instead of
// logging in again in a new context (a new renderer process, and a
// login). A session on the shelf is a file in the shelf's directory,
// named for its page and holding its browser context; a process takes it
// by renaming the file away, and the browser holds the page meanwhile.
type Shelf struct {
	dir string
	max int
}

// NewShelf returns a shelf of at most max sessions, kept in dir.
func NewShelf(dir string, max int) *Shelf { return &Shelf{dir: dir, max: max} }

// shelved is the prefix of the files of sessions on the shelf.
const shelved = "shelved-"

// Put leaves s on the shelf, detached from this process, when it is at
// rest (as Pool.Put keeps a session), and reports whether it took s: on
// the shelf, or closed when it could not be detached. It returns false,
// with s as it was, when s is not at rest or the shelf is full. The
// caller does not use s after Put took it.
func (sh *Shelf) Put(s *Session) bool {
	s.mu.Lock()
	rest := s.atRest
	s.mu.Unlock()
	if sh == nil || !rest {
		return false
	}
	if names, _ := filepath.Glob(filepath.Join(sh.dir, shelved+"*")); len(names) >= sh.max {
		return false
	}
	if s.router != nil {
		_ = s.router.Stop()
	}
	if err := (proto.TargetDetachFromTarget{SessionID: s.page.SessionID}).Call(s.b.rod); err != nil {
		s.Close()
		return true
	}
	s.b.rod.RemoveState(s.page.TargetID)
	name := filepath.Join(sh.dir, shelved+string(s.page.TargetID))
	tmp := name + ".tmp"
	if os.WriteFile(tmp, []byte(s.context), 0o600) != nil || os.Rename(tmp, name) != nil {
		_ = os.Remove(tmp)
		_, _ = proto.TargetCloseTarget{TargetID: s.page.TargetID}.Call(s.b.rod)
		_ = proto.TargetDisposeBrowserContext{BrowserContextID: s.context}.Call(s.b.rod)
	}
	return true
}

// take attaches a session from the shelf to b, or returns nil when there
// is none (or none that still works, which it closes).
func (sh *Shelf) take(ctx context.Context, b *Browser) *Session {
	if sh == nil || b == nil {
		return nil
	}
	names, _ := filepath.Glob(filepath.Join(sh.dir, shelved+"*"))
	for _, name := range names {
		if strings.Contains(filepath.Base(name), ".") {
			continue // being written, or being taken by another process
		}
		mine := fmt.Sprintf("%s.taken-%d", name, os.Getpid())
		if os.Rename(name, mine) != nil {
			continue // another process took it
		}
		raw, err := os.ReadFile(mine)
		_ = os.Remove(mine)
		if err != nil {
			continue
		}
		target := proto.TargetTargetID(strings.TrimPrefix(filepath.Base(name), shelved))
		id := proto.BrowserBrowserContextID(raw)
		if s, err := b.adopt(ctx, id, target); err == nil {
			return s
		}
		_, _ = proto.TargetCloseTarget{TargetID: target}.Call(b.rod)
		_ = proto.TargetDisposeBrowserContext{BrowserContextID: id}.Call(b.rod)
	}
	return nil
}

// adopt attaches to the page target of a session that another process
// left on the shelf; it is at rest, as it was left.
func (b *Browser) adopt(ctx context.Context, id proto.BrowserBrowserContextID, target proto.TargetTargetID) (*Session, error) {
	// Made with the browser's own context, as NewSession's pages are.
	page, err := b.rod.PageFromTarget(target)
	if err != nil {
		return nil, fmt.Errorf("browser: attach to a shelved session: %w", err)
	}
	s, err := b.attach(ctx, id, page)
	if err != nil {
		return nil, err
	}
	s.atRest = true
	return s, nil
}
