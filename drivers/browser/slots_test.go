package browser_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
)

// While an AcquireFirst waits, a plain Acquire that came earlier does not
// take the slot that frees: the first one does.
func TestSlotsAcquireFirstGoesFirst(t *testing.T) {
	dir := t.TempDir()
	s := browser.NewSlots(dir, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	held, err := s.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 2)
	take := func(name string, acquire func(context.Context) (func(), error)) {
		release, err := acquire(ctx)
		if err != nil {
			got <- name + ": " + err.Error()
			return
		}
		got <- name
		time.Sleep(100 * time.Millisecond)
		release()
	}
	go take("plain", s.Acquire)
	time.Sleep(100 * time.Millisecond) // the plain one waits first
	go take("first", s.AcquireFirst)
	time.Sleep(100 * time.Millisecond)
	held()
	if a, b := <-got, <-got; a != "first" || b != "plain" {
		t.Errorf("the slot went to %q, then %q; want first, then plain", a, b)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "first-*")); len(m) != 0 {
		t.Errorf("markers left behind: %v", m)
	}
}

// A marker of a process that died waiting does not hold the others back.
func TestSlotsStaleMarker(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "first-dead")
	if err := os.WriteFile(stale, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	release, err := browser.NewSlots(dir, 1).Acquire(ctx)
	if err != nil {
		t.Fatalf("Acquire beside a dead waiter's marker: %v", err)
	}
	release()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale marker is still there: %v", err)
	}
}
