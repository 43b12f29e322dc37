// Package suitetest is what the suites' own tests share: one browser per
// test process, the strict reference server that every check must pass,
// and weakened ones that the negative controls run single checks against.
package suitetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/oauthcheck/oauthcheck/suites/check"
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
		// The second loopback origin frames pages (CLICKJACK-IFRAME-BLOCKED).
		b, err := browser.Launch(context.Background(), browser.Options{AllowHosts: []string{"127.0.0.2"}})
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
	return ReferenceWith(ctx, reftarget.Options{Config: cfg, Weaknesses: weaknesses})
}

// ReferenceWith starts a reference server shaped by opts, stopped after
// the current node, and returns the environment of its checks.
func ReferenceWith(ctx context.Context, opts reftarget.Options) *check.Env {
	GinkgoHelper()
	return referenceWith(ctx, opts, client.Options{})
}

func referenceWith(ctx context.Context, opts reftarget.Options, co client.Options) *check.Env {
	GinkgoHelper()
	opts.Key = key()
	srv, err := reftarget.Start(opts)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(srv.Close)
	env, err := check.Open(ctx, srv.URL, srv.Config(), Browser(ctx), co)
	Expect(err).NotTo(HaveOccurred(), "open the reference with weaknesses %v, quirks %v", opts.Weaknesses, opts.Quirks)
	env.Profile = profile
	env.Sessions = browser.NewPool(2)
	DeferCleanup(env.Sessions.Close)
	return env
}

// Behind serves a strict reference server behind wrap, which changes some
// of its answers as a real server might, stopped after the current node,
// and returns the environment of its checks, with the config that tests
// the reference.
func Behind(ctx context.Context, wrap func(http.Handler) http.Handler) *check.Env {
	GinkgoHelper()
	cfg := reference.DefaultConfig()
	reftarget.Quick(&cfg)
	ref, err := reference.New(cfg)
	Expect(err).NotTo(HaveOccurred())
	srv := httptest.NewServer(wrap(ref))
	DeferCleanup(srv.Close)
	Expect(ref.SetIssuer(srv.URL)).To(Succeed())
	env, err := check.Open(ctx, srv.URL, reftarget.TargetConfig(ref), Browser(ctx), client.Options{})
	Expect(err).NotTo(HaveOccurred())
	env.Profile = profile
	env.Sessions = browser.NewPool(2)
	DeferCleanup(env.Sessions.Close)
	return env
}

// Fronted serves a strict reference server behind front, which sees each
// request first, with its form when it is a POST, and may answer it itself
// (it returns true then); it returns the environment of its checks.
func Fronted(ctx context.Context, front func(w http.ResponseWriter, r *http.Request, form url.Values) bool) *check.Env {
	GinkgoHelper()
	return Behind(ctx, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var form url.Values
			if r.Method == http.MethodPost {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				form, _ = url.ParseQuery(string(body))
			}
			if !front(w, r, form) {
				next.ServeHTTP(w, r)
			}
		})
	})
}

// Answering serves a strict reference server behind a front that answers
// the requests that match with status and its text alone, as a gateway or
// a rate limiter would, and returns the environment of its checks.
func Answering(ctx context.Context, status int, match func(r *http.Request, form url.Values) bool) *check.Env {
	GinkgoHelper()
	return Fronted(ctx, func(w http.ResponseWriter, r *http.Request, form url.Values) bool {
		if !match(r, form) {
			return false
		}
		http.Error(w, http.StatusText(status), status)
		return true
	})
}

// Strict points the suite's checks at a strict reference server; call it
// from BeforeSuite.
func Strict(ctx context.Context, cfg Config) {
	GinkgoHelper()
	check.SetEnv(Reference(ctx, cfg))
}

// ExpectCase runs check id against a reference server with the case's
// weakness or quirk, shaped by cfg and the case's options, and expects one
// of the case's verdicts.
func ExpectCase(ctx context.Context, cfg Config, id string, rc check.RefCase) *check.Result {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	opts := reftarget.Options{Config: shaped(cfg, rc.Ref), TLS: rc.Ref.TLS}
	if rc.Weakness != "" {
		opts.Weaknesses = []string{rc.Weakness}
	}
	if rc.Quirk != "" {
		opts.Quirks = []string{rc.Quirk}
	}
	env := referenceWith(ctx, opts, client.Options{InsecureSkipVerify: rc.Ref.Insecure})
	res := check.Run(ctx, id, env)
	check.Attach(res)
	Expect(rc.Want).To(ContainElement(res.Verdict), "%s under %s:\n%s", id, rc.Name(), res.Message())
	return res
}

// shaped is cfg followed by what a case's options change.
func shaped(cfg Config, o check.RefOptions) Config {
	return func(c *reference.Config) {
		if cfg != nil {
			cfg(c)
		}
		if o.Implicit {
			c.Implicit = true
		}
		for _, d := range []struct {
			to *time.Duration
			v  time.Duration
		}{
			{&c.CodeTTL, o.CodeTTL}, {&c.DeviceTTL, o.DeviceTTL}, {&c.RefreshTTL, o.RefreshTTL},
		} {
			if d.v > 0 {
				*d.to = d.v
			}
		}
	}
}

// Timeout is the time one negative control may take.
const Timeout = 60 * time.Second

// NotBuilt are the catalogue checks with no body yet; `oauthcheck list`
// shows them as not built. Every other check of a flow must be registered.
var NotBuilt = map[string]bool{}

// Run runs a suite package's specs: its checks against the strict
// reference, and its negative controls. A WARN fails a check's spec, as
// --fail-on should has it: the strict reference gives none.
func Run(t GinkgoTestingT, flow string) {
	check.FailOnShould(true)
	RegisterFailHandler(Fail)
	RunSpecs(t, flow, Label("flow:"+flow))
}

// Suite declares what every suite's test asserts: in BeforeSuite the
// suite's checks are pointed at a strict reference (with cfg), where each
// must pass; each check's reference cases, declared in its check.It, give
// their verdicts (a negative control FAILs or WARNs under its weakness);
// and every catalogue check of the flow is registered.
func Suite(flow string, cfg Config) bool {
	BeforeSuite(func(ctx SpecContext) { Strict(ctx, cfg) })
	Describe("reference cases", Label("negative"), func() {
		// Built when ginkgo builds the tree, once every check.It of the
		// package has registered its cases.
		args := []any{func(ctx SpecContext, id string, rc check.RefCase) { ExpectCase(ctx, cfg, id, rc) }}
		for _, c := range catalogue.All() {
			if string(c.Flow) != flow {
				continue
			}
			for _, rc := range check.Cases(c.ID) {
				args = append(args, Entry(fmt.Sprintf("%s under %s: %v", c.ID, rc.Name(), rc.Want), c.ID, rc))
			}
		}
		DescribeTable("the check under a weakness or quirk of the reference", args...)
	})
	It("registers every check of the flow "+flow+", each with a negative control", func() {
		Expect(check.RegistrationErrors()).To(BeEmpty())
		for _, c := range catalogue.All() {
			if string(c.Flow) != flow || NotBuilt[c.ID] {
				continue
			}
			Expect(check.Registered()).To(ContainElement(c.ID))
			Expect(check.Cases(c.ID)).To(ContainElement(HaveField("Weakness", Not(BeEmpty()))), "%s has no negative control", c.ID)
		}
	})
	return true
}
