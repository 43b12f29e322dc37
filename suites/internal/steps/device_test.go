package steps

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
)

// ParseDevice takes no value of a response as it comes when it would hang
// or overflow the checks' waits: no positive number is no value, and
// beyond a day is a day, named in Odd.
func TestParseDeviceDurations(t *testing.T) {
	tests := []struct {
		name         string
		body         string
		wantExpires  time.Duration
		wantInterval time.Duration
		wantGiven    bool
		wantOdd      int
		reason       string
	}{
		{"plain", `{"expires_in":1800,"interval":5}`, 30 * time.Minute, 5 * time.Second, true, 0, "RFC 8628 §3.2's example"},
		{"no interval", `{"expires_in":600}`, 10 * time.Minute, DefaultInterval, false, 0, "clients MUST use 5 as the default"},
		{"zero and negative", `{"expires_in":0,"interval":-3}`, 0, DefaultInterval, false, 0, "not a positive number: as if missing"},
		{"strings", `{"expires_in":"600","interval":"5"}`, 0, DefaultInterval, false, 0, "the wrong type: as if missing"},
		{"huge", `{"expires_in":1e300,"interval":1e19}`, 24 * time.Hour, 24 * time.Hour, true, 2, "capped at a day, never overflowing a Duration"},
		{"fraction", `{"expires_in":0.5,"interval":0.25}`, 500 * time.Millisecond, 250 * time.Millisecond, true, 0, "fractions are kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ParseDevice(nil, &client.Response{Status: 200, Body: []byte(tt.body)}, time.Now())
			got := []any{d.ExpiresIn, d.Interval, d.IntervalGiven, len(d.Odd)}
			want := []any{tt.wantExpires, tt.wantInterval, tt.wantGiven, tt.wantOdd}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("expires_in, interval, given, odd mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
		})
	}
}

// A poller never schedules a poll after the codes expire: a slow_down
// that pushes the next poll past expires_in leaves it unsent.
func TestPollerFits(t *testing.T) {
	now := time.Now()
	d := &Device{ExpiresIn: 20 * time.Second, Interval: time.Second, Received: now.Add(-10 * time.Second)}
	p := &Poller{Device: d, Interval: d.Interval}
	if !p.Fits() {
		t.Errorf("the first poll, 10 s into a 20 s lifetime, does not fit")
	}
	p.Last = now
	if !p.Fits() {
		t.Errorf("a poll 1 s after the last, 9 s before the expiry, does not fit")
	}
	p.Interval += 2 * SlowDownStep
	if p.Fits() {
		t.Errorf("after two slow_down the next poll is due 11 s on, after the expiry 10 s on, yet it fits")
	}
	forever := &Poller{Device: &Device{Interval: time.Second, Received: now}, Interval: time.Hour}
	if !forever.Fits() {
		t.Errorf("with no expires_in, a poll an hour on does not fit")
	}
}

// A verification page refuses a user code when it asks for it again, or
// when, right after the code was entered, it shows an error page or has
// nothing left to do; a page the harness could not get past before the
// code was entered (a login) is no refusal, and neither is a server error.
func TestCodeRefused(t *testing.T) {
	act := func(a browser.Action) evidence.Step {
		return evidence.Step{Kind: evidence.StepAction, Action: string(a)}
	}
	doc := evidence.Step{Kind: evidence.StepDocument}
	stuck := fmt.Errorf("browser: nothing to do on the page: %w", browser.ErrStuck)
	tests := []struct {
		name  string
		err   error
		steps []evidence.Step
		want  bool
	}{
		{"asked again", fmt.Errorf("verify: %w", ErrUserCodeRefused), []evidence.Step{act(browser.ActUserCode)}, true},
		{"nothing to do after the code", stuck, []evidence.Step{doc, act(browser.ActLogin), doc, act(browser.ActUserCode), doc}, true},
		{"an error page after the code", &browser.ErrorPage{Status: 400}, []evidence.Step{act(browser.ActUserCode), doc}, true},
		{"stuck at the login", stuck, []evidence.Step{doc, act(browser.ActLogin), doc}, false},
		{"stuck before anything", stuck, nil, false},
		{"stuck after the approval", stuck, []evidence.Step{act(browser.ActUserCode), act(browser.ActApprove)}, false},
		{"a server error after the code", &browser.ErrorPage{Status: 500}, []evidence.Step{act(browser.ActUserCode)}, false},
		{"a gateway's page after the code", &browser.ErrorPage{Status: 503}, []evidence.Step{act(browser.ActUserCode)}, false},
		{"no error", nil, []evidence.Step{act(browser.ActUserCode)}, false},
	}
	for _, tt := range tests {
		if got := CodeRefused(tt.err, tt.steps); got != tt.want {
			t.Errorf("%s: CodeRefused = %v, want %v", tt.name, got, tt.want)
		}
	}
}
