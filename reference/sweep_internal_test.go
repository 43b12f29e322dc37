package reference

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// After every lifetime has passed, one request sweeps the store empty but
// for the clients: nothing that a server keeps per request outlives it.
func TestSweepEmptiesStore(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	cfg := DefaultConfig()
	s, err := New(cfg, WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	if err := s.SetIssuer(ts.URL); err != nil {
		t.Fatal(err)
	}
	post := func(path, body, id, secret string) {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	a := cfg.Clients[0]
	post("/token", "grant_type=client_credentials", a.ID, a.Secret)
	post("/token", "grant_type=client_credentials", a.ID, "wrong")
	q := url.Values{"response_type": {"code"}, "client_id": {"oauthcheck-p"}, "redirect_uri": {DefaultRedirectURI},
		"code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
	resp, err := http.Get(ts.URL + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/device_authorization", strings.NewReader("client_id=oauthcheck-d"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.store.mu.Lock()
	s.store.sessions["sid"] = &session{username: "alice", expires: now.Add(cfg.SessionTTL)}
	s.store.codes["code"] = &authCode{clientID: a.ID, expires: now.Add(cfg.CodeTTL)}
	s.store.failures["alice"] = []time.Time{now}
	s.store.continuations["c"] = &continuation{sid: "sid", expires: now.Add(continuationTTL)}
	sizes := []int{len(s.store.authRequests), len(s.store.tokens), len(s.store.grants), len(s.store.devices), len(s.store.authFailures)}
	s.store.mu.Unlock()
	for i, n := range sizes {
		if n == 0 {
			t.Fatalf("setup: store map %d is empty; the test would prove nothing", i)
		}
	}

	mu.Lock()
	now = now.Add(cfg.RefreshTTL + cfg.SessionTTL + time.Hour)
	mu.Unlock()
	if resp, err = http.Get(ts.URL + "/jwks"); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	st := s.store
	for name, n := range map[string]int{
		"authRequests": len(st.authRequests), "sessions": len(st.sessions), "codes": len(st.codes),
		"grants": len(st.grants), "tokens": len(st.tokens), "devices": len(st.devices), "userCodes": len(st.userCodes),
		"failures": len(st.failures), "authFailures": len(st.authFailures), "continuations": len(st.continuations),
		"clientPolls": len(st.clientPolls),
	} {
		if n != 0 {
			t.Errorf("after the sweep, store.%s has %d entries; want none", name, n)
		}
	}
	if len(st.clients) != len(cfg.Clients) {
		t.Errorf("the sweep removed clients: %d left of %d", len(st.clients), len(cfg.Clients))
	}
}
