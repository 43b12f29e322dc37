package main

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/target"
)

func TestOthersDone(t *testing.T) {
	exists := func(o *othersDone, flow string) bool {
		_, err := os.Stat(o.path(flow))
		return err == nil
	}
	t.Run("side by side: the last flow running is told", func(t *testing.T) {
		o := newOthersDone(t.TempDir(), []string{"authcode", "device", "refresh"}, 3, nil)
		for _, f := range []string{"authcode", "device", "refresh"} {
			if exists(o, f) {
				t.Fatalf("%s told before any flow ended", f)
			}
		}
		o.ended("device")
		if exists(o, "refresh") || exists(o, "authcode") {
			t.Fatal("told with two flows still running")
		}
		o.ended("authcode")
		if !exists(o, "refresh") {
			t.Fatal("refresh not told after every other flow ended")
		}
	})
	t.Run("the refresh flow does not wait for the device flow when their clients differ", func(t *testing.T) {
		cfg := &target.Config{Clients: map[string]*target.Client{
			target.RolePublic: {ID: "p"}, target.RoleConfidential: {ID: "c"},
			target.RoleDevice: {ID: "d"}, target.RoleDevice2: {ID: "d2"},
		}}
		o := newOthersDone(t.TempDir(), []string{"authcode", "device", "refresh"}, 3, flowsApart(cfg))
		o.ended("authcode")
		if !exists(o, "refresh") {
			t.Fatal("refresh waits for the device flow, whose clients it cannot disturb")
		}
		if exists(o, "device") {
			t.Fatal("device told while refresh runs")
		}
		cfg.Clients[target.RoleDevice2].ID = "p" // a client of both
		o = newOthersDone(t.TempDir(), []string{"authcode", "device", "refresh"}, 3, flowsApart(cfg))
		o.ended("authcode")
		if exists(o, "refresh") {
			t.Fatal("refresh told while the device flow, which uses its public client, runs")
		}
		o.ended("device")
		if !exists(o, "refresh") {
			t.Fatal("refresh not told after every other flow ended")
		}
	})
	t.Run("one flow: told at once", func(t *testing.T) {
		o := newOthersDone(t.TempDir(), []string{"refresh"}, 4, nil)
		if !exists(o, "refresh") {
			t.Fatal("a flow by itself waits")
		}
	})
	t.Run("one at a time: every flow told at once", func(t *testing.T) {
		o := newOthersDone(t.TempDir(), []string{"authcode", "refresh"}, 1, nil)
		if !exists(o, "authcode") || !exists(o, "refresh") {
			t.Fatal("with --parallel 1 a flow would wait for flows that cannot start before it ends")
		}
	})
}

func TestAwaitFile(t *testing.T) {
	o := newOthersDone(t.TempDir(), []string{"a", "b"}, 2, nil)
	go func() {
		time.Sleep(150 * time.Millisecond)
		o.ended("a")
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := awaitFile(ctx, o.path("b")); err != nil {
		t.Fatalf("awaitFile: %v, want the file seen", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := awaitFile(ctx, o.path("a")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("awaitFile of a file never made: %v, want the context's deadline", err)
	}
}
