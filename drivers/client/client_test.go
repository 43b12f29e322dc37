package client_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
)

func newClient(t *testing.T, opts client.Options) *client.Client {
	t.Helper()
	c, err := client.New(opts)
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	t.Cleanup(c.CloseIdle)
	return c
}

// recorded renders every exchange as a reader of the report sees it: the
// JSON entry and the console transcript.
func recorded(t *testing.T, rec *client.Recorder) string {
	t.Helper()
	var b strings.Builder
	for _, ex := range rec.Exchanges() {
		raw, err := json.Marshal(ex)
		if err != nil {
			t.Fatalf("marshal exchange: %v", err)
		}
		b.Write(raw)
		b.WriteString("\n")
		b.WriteString(ex.String())
		b.WriteString("\n")
	}
	return b.String()
}

// A JWT as servers issue them: three base64url parts.
const testJWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHA6Ly8xMjcuMC4wLjEifQ.c2lnbmF0dXJlLWJ5dGVz"

func secretRedactor(secret string) *evidence.Redactor {
	r := evidence.NewRedactor(nil)
	r.Add("client_secret", secret)
	return r
}

// TestSecretsNeverReachAnExchange sends and receives every kind of secret
// the checks handle and asserts that none is in the record, while the
// caller still gets the real values.
func TestSecretsNeverReachAnExchange(t *testing.T) {
	const (
		clientSecret = "cs/with+reserved&chars=1"
		password     = "pw-alice-S3cret"
		code         = "SplxlOBeZQQYbYS6WxSbIA"
		verifier     = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
		refreshIn    = "tGzv3JOkF0XG5Qx2TlKWIA"
		deviceCode   = "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS"
		tokenParam   = "45ghiukldjahdnhzdauz"
		accessOut    = "2YotnFZFEjr1zCsicMWpAA"
		refreshOut   = "8xLOxBtZp8-refresh-out"
		cookieVal    = "session-31d4d96e407aad42"
		fragToken    = "fragment-token-qwerty"
	)
	idToken := testJWT
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("server: parse form: %v", err)
		}
		if got := r.PostForm.Get("code"); got != code {
			t.Errorf("server got code %q, want %q: redaction must not touch what is sent", got, code)
		}
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: cookieVal, Path: "/", HttpOnly: true})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", "your secret was "+clientSecret)
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","refresh_token":%q,"id_token":%q,"note":"%s"}`,
			accessOut, refreshOut, idToken, url.QueryEscape(clientSecret))
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://client.oauthcheck.test/cb?code="+code+"&state=st", http.StatusFound)
	})
	mux.HandleFunc("GET /implicit", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://client.oauthcheck.test/cb#access_token="+fragToken+"&code="+code+"&state=st", http.StatusFound)
	})
	mux.HandleFunc("GET /echo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "secret %s and escaped %s and jwt %s", clientSecret, url.QueryEscape(clientSecret), idToken)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	red := evidence.NewRedactor(nil)
	red.Add("client_secret", clientSecret)
	red.Add("password", password)
	c := newClient(t, client.Options{Redactor: red})
	ctx := context.Background()

	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"client_secret": {clientSecret}, "password": {password}, "refresh_token": {refreshIn},
		"device_code": {deviceCode}, "token": {tokenParam}, "access_token": {accessOut},
		"redirect_uri": {"https://client.oauthcheck.test/cb"},
	}
	header := http.Header{
		"Authorization": {"Basic " + basic("oauthcheck-a", clientSecret)},
		"Cookie":        {"sid=" + cookieVal + "; other=" + password},
	}
	resp, err := c.PostForm(ctx, srv.URL+"/token?client_secret="+url.QueryEscape(clientSecret), form.Encode(), header)
	if err != nil {
		t.Fatalf("PostForm: %v", err)
	}
	if got := resp.Field("access_token"); got != accessOut {
		t.Errorf("Response.Field(access_token) = %q, want the real token %q", got, accessOut)
	}
	if resp.Exchange == nil || resp.Exchange.Status != 200 {
		t.Errorf("Response.Exchange = %+v, want the record of a 200", resp.Exchange)
	}
	for _, path := range []string{"/authorize", "/implicit", "/echo", "/echo?x=" + url.QueryEscape(clientSecret)} {
		if _, err := c.Get(ctx, srv.URL+path, nil); err != nil {
			t.Fatalf("Get %s: %v", path, err)
		}
	}
	// A failed request is recorded too, with its error.
	if _, err := c.Get(ctx, closedURL(t)+"/cb?code="+code, nil); err == nil {
		t.Fatalf("Get on a closed port succeeded")
	} else if strings.Contains(err.Error(), code) {
		t.Errorf("the error holds the code: %v", err)
	}

	got := recorded(t, c.Recorder())
	if n := len(c.Recorder().Exchanges()); n != 6 {
		t.Errorf("recorded %d exchanges, want 6", n)
	}
	secrets := map[string]string{
		"client secret": clientSecret, "client secret, form-encoded": url.QueryEscape(clientSecret),
		"client secret, path-escaped": url.PathEscape(clientSecret), "password": password, "code": code,
		"code_verifier": verifier, "refresh token sent": refreshIn, "device_code": deviceCode,
		"token parameter": tokenParam, "access token": accessOut, "refresh token received": refreshOut,
		"ID token": idToken, "ID token payload": strings.Split(idToken, ".")[1], "cookie": cookieVal,
		"token in fragment": fragToken, "Basic credentials": basic("oauthcheck-a", clientSecret),
	}
	for what, s := range secrets {
		if strings.Contains(got, s) {
			t.Errorf("the %s %q reached the record:\n%s", what, s, got)
		}
	}
	// A replay must stay visible: the same code has the same mask in the
	// request body, the Location and the failed request's URL.
	if want := red.Mask("code", code); strings.Count(got, want) < 4 {
		t.Errorf("the code's mask %s appears %d times, want it in every place the code was:\n%s", want, strings.Count(got, want), got)
	}
}

func basic(id, secret string) string {
	req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// closedURL is the URL of a loopback port that nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestBodyOverMaxBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 2048
		if r.URL.Path == "/small" {
			n = 100
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"at-over-the-limit","pad":"%s"}`, strings.Repeat("x", n-len(`{"access_token":"at-over-the-limit","pad":""}`)))
	}))
	defer srv.Close()
	for _, max := range []int64{100, 1500} {
		t.Run(fmt.Sprint("MaxBody=", max), func(t *testing.T) {
			c := newClient(t, client.Options{MaxBody: max})
			_, err := c.Get(context.Background(), srv.URL+"/big", nil)
			want := fmt.Sprintf("response body over %d bytes", max)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Get of a 2048-byte body with MaxBody %d: err = %v, want one that says %q", max, err, want)
			}
			xs := c.Recorder().Exchanges()
			if len(xs) != 1 || !strings.Contains(xs[0].Error, want) || xs[0].Status != 200 {
				t.Fatalf("the exchange was not recorded with the error: %+v", xs)
			}
			if strings.Contains(recorded(t, c.Recorder()), "at-over-the-limit") {
				t.Errorf("the truncated body leaks the access token:\n%s", recorded(t, c.Recorder()))
			}
		})
	}
	c := newClient(t, client.Options{MaxBody: 100})
	if resp, err := c.Get(context.Background(), srv.URL+"/small", nil); err != nil || len(resp.Body) != 100 {
		t.Errorf("Get of a body of exactly MaxBody: err = %v, want the whole body", err)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/mid-body" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"partial":`)
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	const timeout = 300 * time.Millisecond
	for _, path := range []string{"/before-headers", "/mid-body"} {
		t.Run(path, func(t *testing.T) {
			c := newClient(t, client.Options{Timeout: timeout})
			start := time.Now()
			_, err := c.Get(context.Background(), srv.URL+path, nil)
			took := time.Since(start)
			if err == nil || !strings.Contains(err.Error(), "no answer within 300ms") {
				t.Fatalf("Get of a server that hangs: err = %v, want one that says \"no answer within 300ms\"", err)
			}
			if took > timeout+2*time.Second {
				t.Errorf("Get took %s, want it cut near the timeout of %s", took, timeout)
			}
			if xs := c.Recorder().Exchanges(); len(xs) != 1 || xs[0].Error == "" {
				t.Errorf("the exchange was not recorded with its error: %+v", xs)
			}
		})
	}
	// The caller's time running out first says nothing of the server: the
	// error does not blame it for a silence of the client's timeout.
	c := newClient(t, client.Options{Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err := c.Get(ctx, srv.URL+"/before-headers", nil)
	if err == nil || strings.Contains(err.Error(), "no answer within") || !strings.Contains(err.Error(), "time ran out") {
		t.Errorf("Get with the caller's deadline first: err = %v, want one that says the time ran out", err)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var followed atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/from", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/to", http.StatusFound) })
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) { followed.Store(true) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newClient(t, client.Options{})

	resp, err := c.Get(context.Background(), srv.URL+"/from", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusFound || resp.Header.Get("Location") != "/to" {
		t.Errorf("Get on a 302 returned %d Location %q, want the 302 itself", resp.Status, resp.Header.Get("Location"))
	}
	hresp, err := c.HTTP().Get(srv.URL + "/from")
	if err != nil {
		t.Fatal(err)
	}
	hresp.Body.Close()
	if hresp.StatusCode != http.StatusFound {
		t.Errorf("HTTP().Get on a 302 returned %d, want the 302 itself", hresp.StatusCode)
	}
	if followed.Load() {
		t.Errorf("a redirect was followed")
	}
	if n := len(c.Recorder().Exchanges()); n != 2 {
		t.Errorf("recorded %d exchanges, want 2", n)
	}
}

func TestWarmOpensConnections(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond) // keep the warming requests overlapping
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	count := func() int { mu.Lock(); defer mu.Unlock(); return conns }
	c := newClient(t, client.Options{})

	c.Warm(context.Background(), srv.URL+"/", 4)
	if got := count(); got != 4 {
		t.Fatalf("Warm(4) opened %d connections, want 4", got)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Get(context.Background(), srv.URL+"/", nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := count(); got != 4 {
		t.Errorf("4 requests after Warm(4) made %d connections in all, want the 4 warm ones reused", got)
	}
}

func TestHTTPWorksWithOAuth2(t *testing.T) {
	const secret = "x-oauth2-client-secret"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/token" {
			http.NotFound(w, r)
			return
		}
		id, sec, ok := r.BasicAuth()
		if !ok || id != "oauthcheck-a" || sec != secret {
			t.Errorf("token request: basic auth %q %q %v", id, sec, ok)
		}
		if r.FormValue("code") != "the-code-123" || r.FormValue("code_verifier") == "" {
			t.Errorf("token request form: %v", r.Form)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"oauth2-access-token","token_type":"Bearer","expires_in":60,"refresh_token":"oauth2-refresh-token"}`)
	}))
	defer srv.Close()
	c := newClient(t, client.Options{Redactor: secretRedactor(secret)})
	conf := &oauth2.Config{
		ClientID: "oauthcheck-a", ClientSecret: secret, RedirectURL: "https://client.oauthcheck.test/cb",
		Endpoint: oauth2.Endpoint{TokenURL: srv.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader},
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, c.HTTP())
	c.Recorder().Note("exchange the code")
	verifier := oauth2.GenerateVerifier()
	tok, err := conf.Exchange(ctx, "the-code-123", oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("oauth2 Exchange through HTTP(): %v", err)
	}
	if tok.AccessToken != "oauth2-access-token" || tok.RefreshToken != "oauth2-refresh-token" {
		t.Errorf("token = %+v, want the server's", tok)
	}
	xs := c.Recorder().Exchanges()
	if len(xs) != 1 {
		t.Fatalf("recorded %d exchanges, want 1", len(xs))
	}
	if xs[0].Method != http.MethodPost || xs[0].Status != 200 || xs[0].Note != "exchange the code" {
		t.Errorf("exchange = %s %s %d note %q, want POST … 200 note \"exchange the code\"", xs[0].Method, xs[0].URL, xs[0].Status, xs[0].Note)
	}
	rec := recorded(t, c.Recorder())
	for _, s := range []string{secret, "the-code-123", "oauth2-access-token", "oauth2-refresh-token", verifier} {
		if strings.Contains(rec, s) {
			t.Errorf("%q reached the record:\n%s", s, rec)
		}
	}
}

func TestRecorderNote(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	c := newClient(t, client.Options{})
	get := func() {
		t.Helper()
		if _, err := c.Get(context.Background(), srv.URL, nil); err != nil {
			t.Fatal(err)
		}
	}
	get()
	c.Recorder().Note("first exchange")
	get()
	get()
	c.Recorder().Note("replay the code")
	get()
	c.Recorder().Note("")
	get()

	other := &client.Recorder{}
	c2 := c.WithRecorder(other)
	other.Note("elsewhere")
	if _, err := c2.Get(context.Background(), srv.URL, nil); err != nil {
		t.Fatal(err)
	}

	var notes []string
	for _, ex := range c.Recorder().Exchanges() {
		notes = append(notes, ex.Note)
	}
	if diff := cmp.Diff([]string{"", "first exchange", "first exchange", "replay the code", ""}, notes); diff != "" {
		t.Errorf("notes mismatch (-want +got):\n%s", diff)
	}
	if xs := other.Exchanges(); len(xs) != 1 || xs[0].Note != "elsewhere" {
		t.Errorf("WithRecorder: the other recorder holds %+v, want the one exchange noted \"elsewhere\"", xs)
	}
	if s := c.Recorder().Exchanges()[1].String(); !strings.HasPrefix(s, "# first exchange\n> GET ") {
		t.Errorf("Exchange.String() = %q, want the note first", s)
	}
}

func TestCAFileErrors(t *testing.T) {
	dir := t.TempDir()
	noPEM := filepath.Join(dir, "not-a-cert.pem")
	if err := os.WriteFile(noPEM, []byte("this is not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file string
		want       []string
	}{
		{"missing file", filepath.Join(dir, "missing.pem"), []string{"client: read CA file", "missing.pem", "no such file"}},
		{"no PEM", noPEM, []string{"client: CA file", "not-a-cert.pem", "holds no PEM certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.New(client.Options{CAFile: tt.file})
			if err == nil {
				t.Fatalf("New with CAFile %s succeeded", tt.file)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestTLSVerification(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    client.Options
		wantErr bool
		reason  string
	}{
		{"default", client.Options{}, true, "verification is on by default; httptest's certificate chains to no system root"},
		{"CAFile", client.Options{CAFile: caFile}, false, "a lab CA file makes the certificate trusted"},
		{"InsecureSkipVerify", client.Options{InsecureSkipVerify: true}, false, "verification can be switched off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.opts)
			resp, err := c.Get(context.Background(), srv.URL, nil)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Get succeeded, want a certificate error (%s)", tt.reason)
				}
				if !strings.Contains(err.Error(), "certificate") {
					t.Errorf("err = %v, want a certificate error (%s)", err, tt.reason)
				}
				return
			}
			if err != nil || string(resp.Body) != "ok" {
				t.Fatalf("Get: %v (%s)", err, tt.reason)
			}
		})
	}
}

func TestResponseJSON(t *testing.T) {
	r := &client.Response{Body: []byte(`{"error":"invalid_grant","error_description":"used","n":1}`)}
	if got := r.OAuthError(); got != "invalid_grant" {
		t.Errorf("OAuthError() = %q, want invalid_grant", got)
	}
	if got := r.Field("n"); got != "" {
		t.Errorf("Field of a number = %q, want \"\"", got)
	}
	bad := &client.Response{Body: []byte(`<html>`)}
	if _, err := bad.JSON(); err == nil || !strings.Contains(err.Error(), "not a JSON object") {
		t.Errorf("JSON() of HTML: err = %v, want \"not a JSON object\"", err)
	}
	if got := bad.OAuthError(); got != "" {
		t.Errorf("OAuthError() of HTML = %q, want \"\"", got)
	}
}

// A recorder keeps the first and the last KeepExchanges exchanges, and
// says how many it dropped between them.
func TestRecorderIsBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := newClient(t, client.Options{})
	const n = 3*client.KeepExchanges + 7
	for i := 0; i < n; i++ {
		if _, err := c.Get(context.Background(), fmt.Sprintf("%s/%d", srv.URL, i), nil); err != nil {
			t.Fatal(err)
		}
	}
	xs := c.Recorder().Exchanges()
	if len(xs) != 2*client.KeepExchanges+1 {
		t.Fatalf("%d exchanges kept, want %d", len(xs), 2*client.KeepExchanges+1)
	}
	if !strings.HasSuffix(xs[0].URL, "/0") || !strings.HasSuffix(xs[client.KeepExchanges-1].URL, fmt.Sprintf("/%d", client.KeepExchanges-1)) {
		t.Errorf("the first kept are %s … %s", xs[0].URL, xs[client.KeepExchanges-1].URL)
	}
	if want := fmt.Sprintf("%d exchanges between these were not kept", n-2*client.KeepExchanges); xs[client.KeepExchanges].Note != want {
		t.Errorf("stand-in note %q, want %q", xs[client.KeepExchanges].Note, want)
	}
	if last := xs[len(xs)-1].URL; !strings.HasSuffix(last, fmt.Sprintf("/%d", n-1)) {
		t.Errorf("the last kept is %s, want /%d", last, n-1)
	}
}

// Credentials go only to hosts on the site; requests without any go
// anywhere; link-local addresses are refused at dial time.
func TestKeepSecretsOn(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := newClient(t, client.Options{})
	c.KeepSecretsOn(func(host string) bool { return host == "on.site.test" })
	ctx := context.Background()
	if _, err := c.Get(ctx, srv.URL+"/jwks", nil); err != nil {
		t.Errorf("a request without credentials was refused: %v", err)
	}
	for name, send := range map[string]func() error{
		"Basic":  func() error { _, err := c.Get(ctx, srv.URL, http.Header{"Authorization": {"Basic eDp5"}}); return err },
		"secret": func() error { _, err := c.PostForm(ctx, srv.URL, "client_id=a&client_secret=s3cr3t", nil); return err },
		"token":  func() error { _, err := c.PostForm(ctx, srv.URL, "token=t0k3n", nil); return err },
		"query":  func() error { _, err := c.Get(ctx, srv.URL+"?access_token=t0k3n", nil); return err },
	} {
		if err := send(); !errors.Is(err, client.ErrOffSite) || !strings.Contains(err.Error(), "allowed_hosts") {
			t.Errorf("%s to a host off the site: err = %v, want ErrOffSite naming allowed_hosts", name, err)
		}
	}
	if n := len(c.Recorder().Exchanges()); n != 1 {
		t.Errorf("%d exchanges recorded; a refused request is never sent", n)
	}
	_, err := newClient(t, client.Options{Timeout: 2 * time.Second}).Get(ctx, "http://169.254.169.254/latest/meta-data/", nil)
	if err == nil || !strings.Contains(err.Error(), "link-local") {
		t.Errorf("GET of a link-local address: err = %v, want a refusal that says link-local", err)
	}
}
