package reference_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

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
