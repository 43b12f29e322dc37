package reports

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/launcher"
	"github.com/go-rod/rod/lib/proto"
	"github.com/google/go-cmp/cmp"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
)

// shotsEnv names a folder where TestHTMLInChromium saves what it saw, for
// a human to look at.
const shotsEnv = "OAUTHCHECK_REPORTS_SHOTS"

// chromium launches the system's headless Chromium, with every host name
// but the loopback unresolvable, or skips the test.
func chromium(t *testing.T, ctx context.Context) *rod.Browser {
	t.Helper()
	bin, ok := launcher.LookPath()
	if !ok {
		t.Skip("no Chromium on this machine (Debian: apt-get install chromium)")
	}
	l := launcher.New().Context(ctx).Bin(bin).NoSandbox(os.Geteuid() == 0).Headless(true).Leakless(false).
		Set("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1").
		Set("disable-background-networking").
		Set("disable-component-update").
		Set("no-first-run").
		Set("disable-gpu").
		Set("disable-dev-shm-usage")
	u, err := l.Launch()
	if err != nil {
		t.Fatalf("launch chromium at %s: %v", bin, err)
	}
	t.Cleanup(func() { l.Kill(); l.Cleanup() })
	b := rod.New().ControlURL(u).Context(ctx)
	if err := b.Connect(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// requestLog records every request a page sends, from the browser's side.
type requestLog struct {
	mu   sync.Mutex
	urls []string
}

func (l *requestLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.urls...)
}

func openRecorded(t *testing.T, b *rod.Browser, url string) (*rod.Page, *requestLog) {
	t.Helper()
	page, err := b.Page(proto.TargetCreateTarget{})
	if err != nil {
		t.Fatal(err)
	}
	log := &requestLog{}
	wait := page.EachEvent(func(e *proto.NetworkRequestWillBeSent) {
		log.mu.Lock()
		log.urls = append(log.urls, e.Request.URL)
		log.mu.Unlock()
	})
	go wait()
	if err := (proto.NetworkEnable{}).Call(page); err != nil {
		t.Fatal(err)
	}
	if err := page.Navigate(url); err != nil {
		t.Fatal(err)
	}
	if err := page.WaitLoad(); err != nil {
		t.Fatal(err)
	}
	// Let late requests (images, fonts, prefetches) show up.
	time.Sleep(300 * time.Millisecond)
	return page, log
}

// networkRequests are the requests other than the page's own file.
func networkRequests(l *requestLog, self string) []string {
	var out []string
	for _, u := range l.list() {
		if u != self && !strings.HasPrefix(u, "data:") {
			out = append(out, u)
		}
	}
	return out
}

func TestHTMLInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b := chromium(t, ctx)
	results, meta := goldenInput(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(f, results, meta); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	self := "file://" + path

	// The request log sees a page that loads something.
	probe := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(probe, []byte(`<!DOCTYPE html><img src="http://cdn.example.test/x.png">`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, plog := openRecorded(t, b, "file://"+probe)
	if got := networkRequests(plog, "file://"+probe); len(got) != 1 {
		t.Fatalf("the request log saw %q for a page with one remote image; it cannot be trusted", got)
	}

	page, log := openRecorded(t, b, self)
	page = page.Context(ctx)
	if got := networkRequests(log, self); len(got) != 0 {
		t.Errorf("the report made network requests: %q", got)
	}

	// The counts it shows are the results'.
	want := Count(results)
	shown := map[string]int{}
	wantShown := map[string]int{"total": want.Total, "expected": want.Expected, "stale": want.Stale}
	for _, v := range Verdicts {
		wantShown[string(v)] = want.ByVerdict[v]
	}
	for key := range wantShown {
		el, err := page.Element("#count-" + key)
		if err != nil {
			t.Fatalf("#count-%s: %v", key, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(el.MustText()))
		if err != nil {
			t.Fatalf("#count-%s: %v", key, err)
		}
		shown[key] = n
	}
	if diff := cmp.Diff(wantShown, shown); diff != "" {
		t.Errorf("counts shown mismatch (-want +got):\n%s", diff)
	}

	// visible counts the elements a reader sees: checkVisibility also
	// knows the content of a closed <details>.
	visible := func(selector string) int {
		t.Helper()
		return page.MustEval(`sel => [...document.querySelectorAll(sel)]
			.filter(e => e.checkVisibility({visibilityProperty: true})).length`, selector).Int()
	}
	// The style and the script ran under the page's content security
	// policy: the buttons only the script shows are there.
	if visible("#only-problems") != 1 {
		t.Error("the script did not run: its buttons are hidden")
	}
	if got := visible(".check"); got != want.Total {
		t.Errorf("%d checks visible, want all %d", got, want.Total)
	}
	if color := page.MustEval(`() => getComputedStyle(document.querySelector(".check.v-FAIL:not(.expected)")).borderLeftStyle`).Str(); color != "solid" {
		t.Errorf("the style did not apply: a FAIL's border is %q", color)
	}
	if got := visible("details.evidence pre"); got != 0 {
		t.Errorf("%d evidence blocks open before asked", got)
	}

	// The filter by verdict: hide PASS with its checkbox, then show only
	// problems, then all.
	page.MustElement("#show-PASS").MustClick()
	if got, want := visible(".check"), want.Total-want.ByVerdict[catalogue.Pass]; got != want {
		t.Errorf("after unchecking PASS: %d checks visible, want %d", got, want)
	}
	if visible(".check.v-PASS") != 0 {
		t.Error("PASS checks still visible")
	}
	page.MustElement("#show-all").MustClick()
	page.MustElement("#only-problems").MustClick()
	if got := visible(".check.v-PASS"); got != 0 || visible(".check.v-FAIL") != want.ByVerdict[catalogue.Fail] {
		t.Errorf("only problems: %d PASS and %d FAIL visible", got, visible(".check.v-FAIL"))
	}
	page.MustElement("#show-all").MustClick()
	page.MustElement("#toggle-evidence").MustClick()
	if visible("details.evidence pre") == 0 {
		t.Error("expand evidence opened nothing")
	}
	if visible(`img[src^="data:image/png;base64,"]`) != 1 {
		t.Error("the screenshot does not show")
	}
	page.MustElement("#toggle-evidence").MustClick()
	page.MustElement("#show-PASS").MustClick() // hide PASS again, for print

	saveShot(t, page, "desktop.png")

	// On a phone: nothing wider than the screen.
	if err := (proto.EmulationSetDeviceMetricsOverride{Width: 375, Height: 812, DeviceScaleFactor: 2, Mobile: true}).Call(page); err != nil {
		t.Fatal(err)
	}
	if w := page.MustEval(`() => [document.documentElement.scrollWidth, window.innerWidth]`).Arr(); w[0].Int() > w[1].Int() {
		t.Errorf("on a phone the page is %dpx wide in a %dpx screen", w[0].Int(), w[1].Int())
	}
	saveShot(t, page, "phone.png")
	if err := (proto.EmulationClearDeviceMetricsOverride{}).Call(page); err != nil {
		t.Fatal(err)
	}

	// Printed: no filter, every check (even the ones filtered out), and
	// the evidence unfolded.
	if err := (proto.EmulationSetEmulatedMedia{Media: "print"}).Call(page); err != nil {
		t.Fatal(err)
	}
	if visible("#filter") != 0 {
		t.Error("the filter is printed")
	}
	if got := visible(".check"); got != want.Total {
		t.Errorf("%d checks printed, want all %d", got, want.Total)
	}
	if got, want := visible("details.evidence pre"), countTranscripts(results); got < want {
		t.Errorf("%d evidence blocks printed, want at least %d (all transcripts)", got, want)
	}
	saveShot(t, page, "print.png")
	if got := networkRequests(log, self); len(got) != 0 {
		t.Errorf("the report made network requests: %q", got)
	}
}

func countTranscripts(rs []Result) int {
	n := 0
	for _, r := range rs {
		n += len(r.Exchanges)
	}
	return n
}

func saveShot(t *testing.T, page *rod.Page, name string) {
	dir := os.Getenv(shotsEnv)
	if dir == "" {
		return
	}
	png, err := page.Screenshot(true, nil)
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.WriteFile(filepath.Join(dir, name), png, 0o644)
}
