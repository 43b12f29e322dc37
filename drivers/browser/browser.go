// Package browser drives the system Chromium through go-rod for the steps
// a person takes: logging in, consenting, entering a device's user code.
// It never downloads a browser, keeps Chromium off the network but for
// loopback and the target's hosts, and catches the navigation to the
// redirect URI, so nothing has to listen there.
//
// An actor reads each page once it has settled (loaded, the network idle
// and the DOM still for a moment, within a few seconds), and every browser
// call has its own timeout. A drive through the pages of one flow is
// capped in time, actions and documents. Its outcomes tell apart what the
// verdicts need:
//
//   - completed: a [Callback] with a code or a token, or VerifyDevice's nil;
//   - refused, and seen: a Callback with error=, or an [*ErrorPage];
//   - not reached by the harness: a [*StuckError] (errors.Is [ErrStuck]),
//     with a [Diagnosis] of the page; never the server's fault;
//   - not testable: [ErrNoDeny] when the task was to deny and the page
//     offers approval only.
package browser

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/launcher"
	"github.com/go-rod/rod/lib/proto"
)

// Options configure [Launch].
type Options struct {
	// Bin is the Chromium binary; empty looks it up on PATH and in the
	// usual places (launcher.LookPath).
	Bin string
	// AllowHosts are the hosts Chromium may reach besides localhost and
	// 127.0.0.1: the target's names and addresses.
	AllowHosts []string
	// Headful shows the window, for debugging a login script.
	Headful bool
	// TrustSPKI are base64 SHA-256 hashes of the public keys of
	// certificates Chromium accepts although no root it knows signed
	// them: the leaves that verified against the run's CA file in Go. No
	// other certificate error is let through.
	TrustSPKI []string
	// IgnoreCertErrors accepts every certificate, as
	// --insecure-skip-tls-verify asks (lab servers only).
	IgnoreCertErrors bool
}

// lighter are the Chromium builds tried first, lightest first: Debian's
// headless shell does what the checks need at a fraction of the CPU.
var lighter = []string{"/usr/bin/chromium-headless-shell", "/usr/lib/chromium/chromium-headless-shell"}

// Browser is one running Chromium, shared by every check of a run.
type Browser struct {
	launcher   *launcher.Launcher
	rod        *rod.Browser
	controlURL string
	closeOnce  sync.Once
	uaMu       sync.Mutex
	ua         string // the pages' User-Agent, for direct requests, once read
}

// ErrNoChromium is returned when no Chromium binary can be found.
var ErrNoChromium = errors.New("browser: no Chromium found; install it (Debian: apt-get install -y chromium) or pass --browser PATH")

// Find returns the Chromium binary to use: bin if set, else the headless
// shell where it is installed, else the first Chromium found on the
// system.
func Find(bin string) (string, error) {
	if bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("browser: --browser %s: %w", bin, err)
		}
		return bin, nil
	}
	for _, p := range lighter {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, ok := launcher.LookPath(); ok {
		return p, nil
	}
	return "", ErrNoChromium
}

// HostResolverRules keeps Chromium off the network: every host fails to
// resolve except localhost, 127.0.0.1 and the allowed hosts, IP literals
// among them (an issuer such as http://172.17.0.2:8080 or http://[::1]:9443).
func HostResolverRules(allow []string) string {
	rules := []string{"MAP * ~NOTFOUND", "EXCLUDE localhost", "EXCLUDE 127.0.0.1"}
	seen := map[string]bool{"localhost": true, "127.0.0.1": true}
	for _, h := range allow {
		h = strings.Trim(h, "[]")
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
			h = "[" + h + "]"
		}
		rules = append(rules, "EXCLUDE "+h)
	}
	return strings.Join(rules, " , ")
}

// renderers is how many renderer processes Chromium may run: the cores of
// the machine, so that the browser's work does not starve the checks that
// time the server.
func renderers() string { return fmt.Sprint(max(2, runtime.NumCPU())) }

// Launch starts a headless Chromium.
func Launch(ctx context.Context, opts Options) (*Browser, error) {
	bin, err := Find(opts.Bin)
	if err != nil {
		return nil, err
	}
	l := launcher.New().Context(ctx).Bin(bin).Headless(!opts.Headful).Leakless(false).
		NoSandbox(os.Geteuid() == 0).
		Set("host-resolver-rules", HostResolverRules(opts.AllowHosts)).
		Set("disable-background-networking").
		Set("disable-component-update").
		Set("disable-sync").
		Set("no-first-run").
		Set("disable-gpu").
		Set("disable-quic").
		Set("disable-dev-shm-usage").
		Set("disable-features", "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,MediaRouter,OptimizationHints,Translate").
		// Login pages need no images, fonts or media, and no extensions.
		Set("blink-settings", "imagesEnabled=false").
		Set("disable-remote-fonts").
		Set("disable-extensions").
		Set("mute-audio").
		Set("renderer-process-limit", renderers()).
		// The compositor's software GPU work runs as a thread of the
		// browser process: about 0.5 CPU-seconds less per run against
		// the reference (make bench, 2026-12-05).
		Set("in-process-gpu")
	switch {
	case opts.IgnoreCertErrors:
		l = l.Set("ignore-certificate-errors")
	case len(opts.TrustSPKI) > 0:
		l = l.Set("ignore-certificate-errors-spki-list", strings.Join(opts.TrustSPKI, ","))
	}
	u, err := l.Launch()
	if err != nil {
		l.Kill()
		l.Cleanup()
		return nil, fmt.Errorf("browser: launch chromium at %s: %w", bin, err)
	}
	b, err := Connect(ctx, u)
	if err != nil {
		l.Kill()
		l.Cleanup()
		return nil, err
	}
	b.launcher = l
	return b, nil
}

// Connect attaches to a running Chromium by its DevTools URL, as the flow
// processes of a run do.
func Connect(ctx context.Context, controlURL string) (*Browser, error) {
	rb := rod.New().ControlURL(controlURL)
	if err := rb.Connect(); err != nil {
		return nil, fmt.Errorf("browser: connect to %s: %w", controlURL, err)
	}
	// go-rod asks for every target's changes, which Chromium then sends
	// to every process of the run at every navigation of any page: most
	// of the DevTools traffic. Nothing here reads them.
	if err := (proto.TargetSetDiscoverTargets{Discover: false}).Call(rb); err != nil {
		return nil, fmt.Errorf("browser: connect to %s: %w", controlURL, err)
	}
	return &Browser{rod: rb, controlURL: controlURL}, nil
}

// ControlURL is the DevTools URL other processes connect to.
func (b *Browser) ControlURL() string { return b.controlURL }

// closeGrace is how long Close waits for a launched browser to quit.
const closeGrace = 3 * time.Second

// Close ends the connection and, for a launched browser, the process and
// its profile directory.
func (b *Browser) Close() {
	b.closeOnce.Do(func() {
		if b.launcher != nil {
			// Asked to quit, Chromium ends its own processes; it is killed
			// when it does not within closeGrace. (rod's Launcher.Kill
			// sleeps a second first, whatever the browser does.)
			_ = b.rod.Close()
			exited := make(chan struct{})
			go func() {
				b.launcher.Cleanup() // waits for the exit, removes the profile
				close(exited)
			}()
			select {
			case <-exited:
			case <-time.After(closeGrace):
				if pid := b.launcher.PID(); pid > 0 {
					_ = syscall.Kill(-pid, syscall.SIGKILL) // its process group
				}
				<-exited
			}
			return
		}
		// A connected browser belongs to another process: leave it running.
		_ = b.rod.Context(context.Background())
	})
}

// hostsOf returns the host names of the given URLs, for AllowHosts.
func HostsOf(urls ...string) []string {
	var out []string
	for _, s := range urls {
		if u, err := url.Parse(s); err == nil && u.Hostname() != "" {
			out = append(out, u.Hostname())
		}
	}
	return out
}
