package reference_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/reference"
)

// race sends n copies of one token request at once: each goroutine builds
// its request, then all wait behind one barrier. It returns the statuses.
func race(t *testing.T, e *env, n int, form url.Values, auth clientAuth) []int {
	t.Helper()
	reqs := make([]*http.Request, n)
	for i := range reqs {
		f := cloneValues(form)
		h := http.Header{}
		auth(h, f)
		req, err := http.NewRequest(http.MethodPost, e.url+"/token", strings.NewReader(f.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = h
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		reqs[i] = req
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	defer client.CloseIdleConnections()
	statuses := make([]int, n)
	errs := make([]error, n)
	barrier := make(chan struct{})
	var ready, done sync.WaitGroup
	for i := range reqs {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-barrier
			resp, err := client.Do(reqs[i])
			if err != nil {
				errs[i] = err
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	ready.Wait()
	close(barrier)
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	return statuses
}

func count(statuses []int, want int) int {
	n := 0
	for _, s := range statuses {
		if s == want {
			n++
		}
	}
	return n
}

// RFC 6749 §4.1.2: a code redeemed by 20 requests at once yields one token
// response.
func TestConcurrentCodeRedemption(t *testing.T) {
	e := start(t, nil)
	code, verifier := e.code(t, reference.RoleConfidential)
	statuses := race(t, e, 20, e.exchangeForm(code, verifier), e.as(t, reference.RoleConfidential))
	if got := count(statuses, http.StatusOK); got != 1 {
		t.Errorf("successful redemptions: got %d; want 1 (statuses %v)", got, statuses)
	}
	if got := count(statuses, http.StatusBadRequest); got != 19 {
		t.Errorf("refused redemptions: got %d; want 19 (statuses %v)", got, statuses)
	}
}

// RFC 9700 §4.14.2: a refresh token used by 10 requests at once is
// exchanged once.
func TestConcurrentRefresh(t *testing.T) {
	e := start(t, nil)
	tok := e.tokens(t, reference.RoleConfidential)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
	statuses := race(t, e, 10, form, e.as(t, reference.RoleConfidential))
	if got := count(statuses, http.StatusOK); got != 1 {
		t.Errorf("successful refreshes: got %d; want 1 (statuses %v)", got, statuses)
	}
}

// A device_code polled by 10 requests at once after approval yields one
// token response.
func TestConcurrentDevicePoll(t *testing.T) {
	e := start(t, nil)
	d := e.startDevice(t, reference.RoleDevice)
	e.decideDevice(t, d, "approve")
	form := url.Values{"grant_type": {reference.GrantDeviceCode}, "device_code": {d.DeviceCode}}
	statuses := race(t, e, 10, form, e.as(t, reference.RoleDevice))
	if got := count(statuses, http.StatusOK); got != 1 {
		t.Errorf("successful polls: got %d; want 1 (statuses %v)", got, statuses)
	}
}

// burst runs n requests at once behind one barrier and returns their
// statuses.
func burst(t *testing.T, n int, do func(i int) *response) []int {
	t.Helper()
	statuses := make([]int, n)
	barrier := make(chan struct{})
	var ready, done sync.WaitGroup
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-barrier
			statuses[i] = do(i).Status
		}()
	}
	ready.Wait()
	close(barrier)
	done.Wait()
	return statuses
}

// RFC 6749 §10.10: 40 wrong secrets at once get exactly 20 refusals and
// 20 lockouts; the throttle checks and counts in one critical section.
func TestConcurrentClientAuthThrottle(t *testing.T) {
	e := start(t, nil)
	c := e.client(t, reference.RoleConfidential)
	statuses := race(t, e, 40, ccForm(""), basicAuth(c.ID, "wrong"))
	if got := count(statuses, http.StatusUnauthorized); got != 20 {
		t.Errorf("401s: got %d; want 20 (statuses %v)", got, statuses)
	}
	if got := count(statuses, http.StatusTooManyRequests); got != 20 {
		t.Errorf("429s: got %d; want 20 (statuses %v)", got, statuses)
	}
}

// RFC 8628 §5.1: 12 wrong user codes at once from one user get exactly 5
// answers and 7 refusals.
func TestConcurrentUserCodeRateLimit(t *testing.T) {
	e := start(t, nil)
	b, page := e.deviceLogin(t)
	statuses := burst(t, 12, func(int) *response { return b.submitUserCode(t, page, "BBBB-BBBB") })
	if got := count(statuses, http.StatusBadRequest); got != 5 {
		t.Errorf("400s: got %d; want 5 (statuses %v)", got, statuses)
	}
	if got := count(statuses, http.StatusTooManyRequests); got != 7 {
		t.Errorf("429s: got %d; want 7 (statuses %v)", got, statuses)
	}
}

// A device authorization approved from two sessions at once, and polled
// meanwhile, ends approved once; sweeps and registrations run alongside.
func TestConcurrentMixed(t *testing.T) {
	e := start(t, nil)
	d := e.startDevice(t, reference.RoleDevice)
	var sessions []*browser
	var pages []*response
	for range 4 {
		b, page := e.deviceLogin(t)
		sessions, pages = append(sessions, b), append(pages, b.submitUserCode(t, page, d.UserCode))
	}
	statuses := burst(t, 12, func(i int) *response {
		switch i % 3 {
		case 0:
			form := hidden(pages[i%4])
			form.Set("action", "approve")
			return sessions[i%4].post(t, "/device/decide", form)
		case 1:
			e.clock.Advance(time.Second)
			return e.pollDevice(t, reference.RoleDevice, d)
		default:
			return e.register(t, "application/json", `{"grant_types":["client_credentials"]}`)
		}
	})
	if got := count(statuses, http.StatusInternalServerError); got != 0 {
		t.Errorf("500s: %v", statuses)
	}
	e.clock.Advance(5 * time.Second)
	polls := race(t, e, 5, url.Values{"grant_type": {reference.GrantDeviceCode}, "device_code": {d.DeviceCode}}, e.as(t, reference.RoleDevice))
	if got := count(polls, http.StatusOK) + count(statuses, http.StatusOK); got > 1 {
		t.Errorf("tokens for one device code: %d; want at most 1", got)
	}
}
