package check

import (
	"context"
	"sync"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/drivers/login"
	"github.com/oauthcheck/oauthcheck/drivers/target"
)

// Env is what checks run against: the target, the browser and the
// profile. One Env serves every check of a suite process.
type Env struct {
	Target *target.Target
	// Browser is nil when the run has none; checks that need it skip.
	Browser *browser.Browser
	// Actor logs in and decides in the browser.
	Actor   browser.Actor
	Profile Profile
	// Samples collects the codes and tokens the run obtains, for
	// TOKEN-ENTROPY. It may be nil.
	Samples *Samples
	// Slow lets checks wait as long as the protocol needs (code expiry
	// with an unknown lifetime, device expires_in); without it, a check
	// whose wait would exceed MaxQuickWait is skipped with the reason.
	Slow bool
	// BrowserSlots, when set, bound the checks that use the browser at
	// once, across the run's processes.
	BrowserSlots *browser.Slots
	// BrowserBroken is why the browser cannot be used against this target
	// (the preflight could not log in): the checks that need the browser
	// end as ERROR with this reason instead of running.
	BrowserBroken string
	// Preflight, when set, waits for the run's login preflight, which runs
	// beside the first checks, and returns its diagnosis: "" when the
	// browser can log in, else why it cannot (as BrowserBroken). A check
	// asks before its first use of the browser (C.BrowserBroken).
	Preflight func(ctx context.Context) (string, error)
	// CheckTimeout is the time a check may take besides the waits the
	// protocol forces on it; DefaultCheckTimeout when zero.
	CheckTimeout time.Duration
	// Sessions keeps the browser sessions that checks have finished with,
	// logged in, for the checks after them (C.Session). Nil keeps none.
	Sessions *browser.Pool
	// OthersDone, when set, returns once no other flow of the run is
	// running (see C.AwaitOtherFlows). Nil when the flow runs by itself.
	OthersDone func(ctx context.Context) error
	// Turns, when set, are the resources that the checks of the run's
	// flows take turns at (UsesInRun). Nil leaves them to each flow.
	Turns *Turns
}

// DefaultCheckTimeout is the time a check may take besides its forced
// waits.
const DefaultCheckTimeout = 60 * time.Second

// Open opens the target at issuer with cfg and returns the environment of
// its checks. b may be nil for a run without a browser.
func Open(ctx context.Context, issuer string, cfg *target.Config, b *browser.Browser, httpOpts client.Options) (*Env, error) {
	if httpOpts.Redactor == nil {
		httpOpts.Redactor = evidence.NewRedactor(nil)
	}
	if cfg != nil && httpOpts.CAFile == "" {
		httpOpts.CAFile = cfg.CAFile
	}
	hc, err := client.New(httpOpts)
	if err != nil {
		return nil, err
	}
	t, err := target.Open(ctx, hc, issuer, cfg)
	if err != nil {
		return nil, err
	}
	profile, err := ParseProfile(t.Config.Profile)
	if err != nil {
		return nil, err
	}
	actor, err := login.Load(t.Config.Login)
	if err != nil {
		return nil, err
	}
	return &Env{Target: t, Browser: b, Actor: actor, Profile: profile, Samples: &Samples{}}, nil
}

// Samples are values the server issued, by kind (code, access_token,
// refresh_token, device_code); safe for concurrent use.
type Samples struct {
	mu sync.Mutex
	m  map[string][]string
}

// Add records a value of a kind; the first 200 of each kind are kept.
func (s *Samples) Add(kind, v string) {
	if s == nil || v == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]string{}
	}
	if len(s.m[kind]) < 200 {
		s.m[kind] = append(s.m[kind], v)
	}
}

// Get returns the values of a kind, distinct and in order.
func (s *Samples) Get(kind string) []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, v := range s.m[kind] {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// MaxQuickWait is the longest a check waits in a run without --slow.
const MaxQuickWait = 30 * time.Second
