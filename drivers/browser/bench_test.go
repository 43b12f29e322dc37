package browser_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/login"
	"github.com/oauthcheck/oauthcheck/reference"
)

// benchAuthorize measures one authorization in the browser against the
// reference server, up to the code caught at the redirect URI: in a fresh
// incognito session (login and consent), or in one reused (consent only).
func benchAuthorize(b *testing.B, fresh bool) {
	ref, err := reference.New(reference.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(ref)
	defer srv.Close()
	if err := ref.SetIssuer(srv.URL); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	br, err := browser.Launch(ctx, browser.Options{})
	if err != nil {
		b.Skipf("no browser: %v", err)
	}
	defer br.Close()
	actor, err := login.Load("builtin:reference")
	if err != nil {
		b.Fatal(err)
	}
	u := ref.Config().Users[0]
	task := browser.Task{Username: u.Username, Password: u.Password}
	var sess *browser.Session
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if sess == nil || fresh {
			if sess != nil {
				sess.Close()
			}
			if sess, err = br.NewSession(ctx); err != nil {
				b.Fatal(err)
			}
		}
		a := newAuthRequest("oauthcheck-p")
		cb, err := sess.Authorize(ctx, a.url(srv.URL), []string{redirectURI}, actor, task)
		if err != nil || cb.Param("code") == "" {
			b.Fatalf("authorize: %v", err)
		}
	}
	b.StopTimer()
	sess.Close()
}

func BenchmarkAuthorizeFreshSession(b *testing.B)  { benchAuthorize(b, true) }
func BenchmarkAuthorizeReusedSession(b *testing.B) { benchAuthorize(b, false) }
