// Package suitetest is what the suites' own tests share: one browser per
// test process, the strict reference server that every check must pass,
// and weakened ones that the negative controls run single checks against.
package suitetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/reftarget"
	"github.com/oauthcheck/oauthcheck/suites/setup"
)

var (
	key     = sync.OnceValue(func() *rsa.PrivateKey { k, _ := rsa.GenerateKey(rand.Reader, 2048); return k })
	mu      sync.Mutex
	shared  *browser.Browser
	profile = check.BCP
)

// Browser returns the browser of this test process, launched on first use
// and closed after the suite.
func Browser(ctx context.Context) *browser.Browser {
	GinkgoHelper()
	mu.Lock()
	defer mu.Unlock()
	if shared == nil {
		b, err := browser.Launch(context.Background(), browser.Options{})
		Expect(err).NotTo(HaveOccurred(), "launch Chromium for the browser checks")
		shared = b
		DeferCleanup(func() {
			mu.Lock()
			defer mu.Unlock()
			shared.Close()
			shared = nil
		})
	}
	return shared
}

// Config changes the reference configuration of the suite's servers; the
// default shortens nothing.
type Config func(*reference.Config)

// Reference starts a reference server with the given weaknesses, stopped
// after the current node, and returns the environment of its checks.
func Reference(ctx context.Context, cfg Config, weaknesses ...string) *check.Env {
	GinkgoHelper()
	env, stop, err := setup.Reference(ctx, Browser(ctx), reftarget.Options{Weaknesses: weaknesses, Config: cfg, Key: key()})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(stop)
	env.Profile = profile
	return env
}

// Strict points the suite's checks at a strict reference server; call it
// from BeforeSuite.
func Strict(ctx context.Context, cfg Config) {
	GinkgoHelper()
	check.SetEnv(Reference(ctx, cfg))
}

// Control is one negative control: under Weakness, check ID must end with
// one of Want.
type Control struct {
	Weakness string
	ID       string
	Want     []check.Verdict
}

// ExpectFails runs check id against a reference server with the weakness
// and expects one of the verdicts (FAIL or WARN).
func ExpectFails(ctx context.Context, cfg Config, weakness, id string, want ...check.Verdict) *check.Result {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	env := Reference(ctx, cfg, weakness)
	res := check.Run(ctx, id, env)
	check.Attach(res)
	Expect(want).To(ContainElement(res.Verdict), "%s under weakness %s:\n%s", id, weakness, res.Message())
	return res
}

// Timeout is the time one negative control may take.
const Timeout = 60 * time.Second
