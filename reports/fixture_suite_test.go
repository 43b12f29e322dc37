package reports

// A tiny ginkgo suite, run in a child process of the test binary, whose
// JSON report shows what the oauthcheck binary's reports rarely do: a
// screenshot, an INFO verdict, a panic, a failure without a verdict, a
// crashed flow's stand-in, a failed BeforeSuite and a suite timeout. Its
// checks attach their results with check.Attach, as check.It does.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

var update = flag.Bool("update", false, "rewrite the golden files and the fixture suite's report under testdata")

const (
	fixtureModeEnv = "OAUTHCHECK_REPORTS_FIXTURE"
	fixtureJSONEnv = "OAUTHCHECK_REPORTS_FIXTURE_JSON"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(fixtureModeEnv); mode != "" {
		os.Exit(runFixtureSuite(mode, os.Getenv(fixtureJSONEnv)))
	}
	code := m.Run()
	removeFixtureRuns()
	os.Exit(code)
}

type fixtureT struct{ failed bool }

func (t *fixtureT) Fail() { t.failed = true }

// fixtureIssuer is the issuer the fixture suite's meta entry names.
const fixtureIssuer = "https://idp.example.test/realms/fixture"

func runFixtureSuite(mode, jsonPath string) int {
	suiteCfg, repCfg := ginkgo.GinkgoConfiguration()
	suiteCfg.RandomizeAllSpecs = false
	suiteCfg.LabelFilter = "!excluded"
	repCfg.JSONReport = jsonPath
	repCfg.NoColor = true
	repCfg.Succinct = true
	switch mode {
	case "checks":
		ginkgo.BeforeSuite(func() {
			ginkgo.AddReportEntry(EntryMeta, Meta{Issuer: fixtureIssuer, Profile: "oauth2.1", Version: "v0.0.0-fixture"},
				ginkgo.ReportEntryVisibilityNever)
		})
		defineFixtureChecks()
	case "beforesuite":
		ginkgo.BeforeSuite(func() { ginkgo.Fail("setup: discovery failed: the target answered 503") })
		fixtureCheck("TOKEN-POST-ONLY", &check.Result{ID: "TOKEN-POST-ONLY", Verdict: catalogue.Pass,
			Findings: catalogue.Findings{{Verdict: catalogue.Pass, Message: "never reached"}}})
		fixtureCheck("TOKEN-ENTROPY", nil, ginkgo.Label("excluded"))
	case "timeout":
		suiteCfg.Timeout = time.Second
		suiteCfg.GracePeriod = time.Second
		ginkgo.Describe("in order", ginkgo.Ordered, ginkgo.ContinueOnFailure, func() {
			chk, _ := catalogue.Lookup("TOKEN-AT-LIFETIME")
			ginkgo.It(chk.ID+": "+chk.Requirement, ginkgo.Label(chk.Labels()...), func(ctx ginkgo.SpecContext) {
				<-ctx.Done()
			})
			fixtureCheck("TOKEN-POST-ONLY", &check.Result{ID: "TOKEN-POST-ONLY", Verdict: catalogue.Pass,
				Findings: catalogue.Findings{{Verdict: catalogue.Pass, Message: "never reached"}}})
			fixtureCheck("TOKEN-ENTROPY", nil, ginkgo.Label("excluded"))
		})
	default:
		return 2
	}
	ginkgo.RunSpecs(&fixtureT{}, "oauthcheck "+fixtureIssuer, suiteCfg, repCfg)
	return 0
}

// fixtureCheck registers a spec as check.It does: the catalogue's text and
// labels, the result attached, FAIL failing and SKIP skipping the spec.
// A nil result attaches nothing.
func fixtureCheck(id string, res *check.Result, decorators ...any) {
	chk, ok := catalogue.Lookup(id)
	if !ok {
		panic("fixture: no check " + id)
	}
	args := append([]any{ginkgo.Label(chk.Labels()...)}, decorators...)
	args = append(args, func(ginkgo.SpecContext) {
		if res == nil {
			return
		}
		check.Attach(res)
		switch res.Verdict {
		case catalogue.Fail:
			ginkgo.Fail(res.Message())
		case catalogue.Skip:
			ginkgo.Skip(res.Message())
		}
	})
	ginkgo.It(chk.ID+": "+chk.Requirement, args...)
}

func defineFixtureChecks() {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	fixtureCheck("IMPLICIT-DISABLED", &check.Result{
		ID: "IMPLICIT-DISABLED", Verdict: catalogue.Fail,
		Findings: catalogue.Findings{
			{Verdict: catalogue.Pass, Message: "response_type=code id_token token was refused"},
			{Verdict: catalogue.Fail, Ref: "OAuth 2.1 §10.1", Message: "response_type=token returned an access_token in the fragment"},
		},
		Exchanges: []*evidence.Exchange{{
			Note: "authorize with response_type=token", Method: "GET",
			URL:           "https://idp.example.test/authorize?client_id=oauthcheck-p&response_type=token&state=s1",
			RequestHeader: http.Header{"User-Agent": {"oauthcheck"}, "Cookie": {"sid=" + fixtureMask("cookie", "abc")}},
			Status:        http.StatusFound,
			ResponseHeader: http.Header{"Location": {"https://client.oauthcheck.test/cb#access_token=" + fixtureMask("access_token", "t") + "&state=s1"},
				"Content-Type": {"application/json"}},
			ResponseBody: `{"note":"a \"quoted\" body with <markup> & ]]> in it","x":[1,2]}`,
			Started:      at, Duration: 12 * time.Millisecond,
		}},
		Steps: []evidence.Step{
			{Kind: evidence.StepDocument, URL: "https://idp.example.test/authorize?response_type=token", Status: 200, At: at},
			{Kind: evidence.StepAction, URL: "https://idp.example.test/login", Action: "login", At: at},
			{Kind: evidence.StepRedirect, Method: "POST", URL: "https://idp.example.test/login", Status: 303, FromPost: true, At: at},
			{Kind: evidence.StepCallback, URL: "https://client.oauthcheck.test/cb#access_token=" + fixtureMask("access_token", "t"), At: at},
		},
		Shots: []check.Screenshot{{Note: "the page after the authorization", PNG: fixturePNG()}},
	})
	fixtureCheck("IMPLICIT-NO-REFRESH-TOKEN", &check.Result{ID: "IMPLICIT-NO-REFRESH-TOKEN", Verdict: catalogue.Info,
		Findings: catalogue.Findings{{Verdict: catalogue.Info, Message: "the fragment held no refresh_token; the implicit grant is off for confidential clients"}}})
	fixtureCheck("IMPLICIT-FRAGMENT-ONLY", &check.Result{ID: "IMPLICIT-FRAGMENT-ONLY", Verdict: catalogue.Skip,
		Findings: catalogue.Findings{{Verdict: catalogue.Skip, Message: "the server does not offer the implicit grant (response_types_supported has no token)"}}})
	fixtureCheck("CC-NO-REFRESH-TOKEN", &check.Result{ID: "CC-NO-REFRESH-TOKEN", Verdict: catalogue.Warn,
		Findings: catalogue.Findings{
			{Verdict: catalogue.Pass, Message: "the response has an access_token"},
			{Verdict: catalogue.Warn, Ref: "RFC 6749 §4.4.3", Message: "the client-credentials response has a refresh_token"},
			{Verdict: catalogue.Info, Message: "expires_in is 3600"},
		}})
	chk, _ := catalogue.Lookup("CC-CLIENT-AUTH-REQUIRED")
	ginkgo.It(chk.ID+": panics", ginkgo.Label(chk.Labels()...), func() {
		var m map[string]int
		m["boom"]++ // a harness bug: a panic outside check.Run
	})
	chk, _ = catalogue.Lookup("CC-PUBLIC-CLIENT-REJECTED")
	ginkgo.It(chk.ID+": "+chk.Requirement, ginkgo.Label(chk.Labels()...), func() {
		ginkgo.GinkgoWriter.Println("check: looking up the environment")
		ginkgo.Fail("check: no environment: the suite must call check.SetEnv in BeforeSuite")
	})
	fixtureCheck("TOKEN-POST-ONLY", &check.Result{ID: "TOKEN-POST-ONLY", Verdict: catalogue.Pass,
		Findings: catalogue.Findings{{Verdict: catalogue.Pass, Message: "GET to the token endpoint: 405"}}}, ginkgo.SpecTimeout(time.Minute))
	ginkgo.It("flow introspection crashed", ginkgo.Label("flow:introspection"), func() {
		ginkgo.GinkgoWriter.Println("panic: runtime error: invalid memory address\ngoroutine 1 [running]:")
		ginkgo.Fail("oauthcheck: the flow's process ended without a report: exit status 2; the other flows went on")
	})
	fixtureCheck("INTROSPECT-AUTH-REQUIRED", &check.Result{ID: "INTROSPECT-AUTH-REQUIRED", Verdict: catalogue.Pass,
		Findings: catalogue.Findings{{Verdict: catalogue.Pass, Message: "left out by the label filter"}}}, ginkgo.Label("excluded"))
	ginkgo.It("a helper spec that is no check", func() {})
}

// fixturePNG is a small deterministic picture: a login page's outline.
func fixturePNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 120, 72))
	for y := range 72 {
		for x := range 120 {
			c := color.RGBA{0xf6, 0xf8, 0xfa, 0xff}
			switch {
			case y < 12:
				c = color.RGBA{0x0a, 0x58, 0xca, 0xff}
			case x > 20 && x < 100 && (y > 24 && y < 32 || y > 40 && y < 48):
				c = color.RGBA{0xd0, 0xd7, 0xde, 0xff}
			case x > 40 && x < 80 && y > 56 && y < 64:
				c = color.RGBA{0x1a, 0x7f, 0x37, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// fixtureModes are the ways the fixture suite runs.
var fixtureModes = []string{"checks", "beforesuite", "timeout"}

var fixtureRuns struct {
	once    sync.Once
	dir     string
	reports map[string]types.Report
	errs    map[string]error
}

// runFixture returns the report of the fixture suite in the given mode. On
// first use it runs every mode at once, each in a child process of the test
// binary; callers must not change the reports.
func runFixture(t *testing.T, mode string) types.Report {
	t.Helper()
	fixtureRuns.once.Do(func() {
		fixtureRuns.reports, fixtureRuns.errs = map[string]types.Report{}, map[string]error{}
		dir, err := os.MkdirTemp("", "oauthcheck-reports-")
		if err != nil {
			for _, m := range fixtureModes {
				fixtureRuns.errs[m] = err
			}
			return
		}
		fixtureRuns.dir = dir
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, m := range fixtureModes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := runFixtureProcess(m)
				mu.Lock()
				fixtureRuns.reports[m], fixtureRuns.errs[m] = r, err
				mu.Unlock()
			}()
		}
		wg.Wait()
	})
	if err := fixtureRuns.errs[mode]; err != nil {
		t.Fatal(err)
	}
	r, ok := fixtureRuns.reports[mode]
	if !ok {
		t.Fatalf("no fixture mode %q", mode)
	}
	return r
}

func runFixtureProcess(mode string) (types.Report, error) {
	path := filepath.Join(fixtureRuns.dir, mode+".json")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fixtureModeEnv+"="+mode, fixtureJSONEnv+"="+path, "NO_COLOR=1")
	out, _ := cmd.CombinedOutput() // the suite fails on purpose
	reps, err := Load(path)
	if err != nil {
		return types.Report{}, fmt.Errorf("fixture suite %s: %v\n%s", mode, err, out)
	}
	if len(reps) != 1 {
		return types.Report{}, fmt.Errorf("fixture suite %s: %d reports, want 1", mode, len(reps))
	}
	return reps[0], nil
}

func removeFixtureRuns() {
	if fixtureRuns.dir != "" {
		_ = os.RemoveAll(fixtureRuns.dir)
	}
}

// fixtureMask masks as the recorder does, with a fixed key, so that the
// golden reports do not change from run to run.
func fixtureMask(kind, v string) string {
	return evidence.NewRedactor([]byte("oauthcheck fixture masking key!!")).Mask(kind, v)
}
