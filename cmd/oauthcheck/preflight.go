package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/login"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/reports"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// preflightTimeout bounds the whole preflight: a login the actor cannot
// pass must cost seconds, not the run.
const preflightTimeout = 60 * time.Second

// preflight completes, before the flows start, one plain authorization and,
// when a device client is configured, one device authorization with the
// configured login, as the test user. It returns nil when both complete,
// else what the browser saw where it stopped. pages, when set, gets a
// screenshot of every page the browser acted on (oauthcheck login).
//
// keep, when set, is given the sessions that logged in, at rest, instead
// of their being closed: the run leaves them for its flows.
func preflight(ctx context.Context, env *check.Env, pages func(name string, png []byte), keep func(*browser.Session)) *reports.Preflight {
	if env.Browser == nil {
		return nil
	}
	t := env.Target
	u, why := t.User()
	if u == nil {
		return &reports.Preflight{Reason: "no test user: " + why}
	}
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	task := browser.Task{Username: u.Username, Password: u.Password}
	if pages != nil {
		// oauthcheck login: one after the other, its pages in order.
		if pf := preflightCode(ctx, env, task, pages, keep); pf != nil {
			return pf
		}
		return preflightDevice(ctx, env, task, pages, keep)
	}
	// Side by side, each in its own session; the code's failure first.
	var device *reports.Preflight
	done := make(chan struct{})
	go func() {
		defer close(done)
		device = preflightDevice(ctx, env, task, nil, keep)
	}()
	code := preflightCode(ctx, env, task, nil, keep)
	<-done
	if code != nil {
		return code
	}
	return device
}

// preflightCode runs one authorization code request as the first web
// client of the config, with PKCE, and wants a code back.
func preflightCode(ctx context.Context, env *check.Env, task browser.Task, pages func(string, []byte), keep func(*browser.Session)) *reports.Preflight {
	t := env.Target
	var cl *target.Client
	for _, role := range []string{target.RoleConfidential, target.RolePublic, target.RoleConfidential2, target.RolePublic2} {
		if c, _ := t.Client(role); c != nil {
			cl = c
			break
		}
	}
	if cl == nil || t.Metadata.AuthorizationEndpoint == "" {
		return nil // nothing in this run needs the browser for a code
	}
	conf := &oauth2.Config{ClientID: cl.ID, RedirectURL: t.Config.RedirectURI, Scopes: strings.Fields(t.Config.Scope),
		Endpoint: oauth2.Endpoint{AuthURL: t.Metadata.AuthorizationEndpoint}}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(oauth2.GenerateVerifier())}
	if strings.Contains(" "+t.Config.Scope+" ", " openid ") {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", random()))
	}
	sess, err := env.Browser.NewSession(ctx)
	if err != nil {
		return &reports.Preflight{Reason: "open a browser session: " + err.Error()}
	}
	passed := false
	defer func() { keepOrClose(sess, passed, keep) }()
	sess.SetRedact(t.HTTP.Redactor().URL)
	pageShots(sess, "authorization", pages)
	cb, err := sess.Authorize(ctx, conf.AuthCodeURL(random(), opts...), []string{t.Config.RedirectURI}, env.Actor, task)
	switch {
	case err != nil:
		return diagnose(ctx, sess, env, fmt.Sprintf("a plain authorization as %s did not complete: %v", cl.ID, err), err)
	case cb.Param("code") == "":
		return diagnose(ctx, sess, env, fmt.Sprintf("a plain authorization as %s was answered error=%s (%s): check the client's redirect URI %s and scope %q in the config",
			cl.ID, cb.Param("error"), cb.Param("error_description"), t.Config.RedirectURI, t.Config.Scope), nil)
	}
	passed = true
	return nil
}

// keepOrClose gives keep a session that passed, else closes it.
func keepOrClose(s *browser.Session, passed bool, keep func(*browser.Session)) {
	if passed && keep != nil {
		keep(s)
		return
	}
	s.Close()
}

// preflightDevice runs one device authorization as the device client and
// approves it in the browser.
func preflightDevice(ctx context.Context, env *check.Env, task browser.Task, pages func(string, []byte), keep func(*browser.Session)) *reports.Preflight {
	t := env.Target
	cl, _ := t.Client(target.RoleDevice)
	if cl == nil || t.Metadata.DeviceAuthorizationEndpoint == "" {
		return nil
	}
	form := url.Values{"client_id": {cl.ID}}
	if s := t.Config.Scope; s != "" {
		form.Set("scope", s)
	}
	h := http.Header{}
	if cl.Secret != "" {
		form.Del("client_id")
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(cl.ID)+":"+url.QueryEscape(cl.Secret))))
	}
	resp, err := t.HTTP.PostForm(ctx, t.Metadata.DeviceAuthorizationEndpoint, form.Encode(), h)
	if err != nil {
		return &reports.Preflight{Reason: "a device authorization request as " + cl.ID + " failed: " + err.Error()}
	}
	uri, code := resp.Field("verification_uri"), resp.Field("user_code")
	if uri == "" || code == "" {
		return nil // the device checks judge this themselves
	}
	t.HTTP.Redactor().Add("user_code", code)
	sess, err := env.Browser.NewSession(ctx)
	if err != nil {
		return &reports.Preflight{Reason: "open a browser session: " + err.Error()}
	}
	passed := false
	defer func() { keepOrClose(sess, passed, keep) }()
	sess.SetRedact(t.HTTP.Redactor().URL)
	pageShots(sess, "device", pages)
	task.UserCode = code
	err = sess.VerifyDevice(ctx, uri, login.CodeOnce(env.Actor), task)
	if err != nil {
		return diagnose(ctx, sess, env, fmt.Sprintf("approving a device's user code at %s did not complete: %v", uri, err), err)
	}
	passed = true
	return nil
}

// diagnose is the preflight's report of the page where the browser
// stopped: the diagnosis of a stuck drive, else of the page as it is.
func diagnose(ctx context.Context, sess *browser.Session, env *check.Env, reason string, err error) *reports.Preflight {
	red := env.Target.HTTP.Redactor()
	pf := &reports.Preflight{Reason: red.String(reason)}
	var stuck *browser.StuckError
	var d browser.Diagnosis
	if errors.As(err, &stuck) {
		d = stuck.Diagnosis
	} else {
		d = sess.Diagnose(ctx)
	}
	pf.URL, pf.Title, pf.Screenshot = red.URL(d.URL), red.String(d.Title), d.Screenshot
	for _, f := range d.Fields {
		desc := f.Selector + " (" + f.Type
		if f.Label != "" {
			desc += ", label " + f.Label
		}
		pf.Fields = append(pf.Fields, red.String(desc+")"))
	}
	for _, b := range d.Buttons {
		pf.Buttons = append(pf.Buttons, red.String(b.Selector+": "+b.Text))
	}
	for _, a := range d.Actions {
		pf.Actions = append(pf.Actions, red.String(a))
	}
	pf.Script = d.Script
	if pf.Script == "" {
		pf.Script = login.StarterScript(d)
	}
	return pf
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// preflightResult returns the check.Env.Preflight of a flow's process: it
// waits for the file in which the run writes the login preflight's
// diagnosis, and keeps it once read. A caller whose context has ended
// learns the verdict if it is in, without waiting.
func preflightResult(path string) func(ctx context.Context) (string, error) {
	var (
		mu   sync.Mutex
		done bool
		why  string
	)
	return func(ctx context.Context) (string, error) {
		mu.Lock() // not held while waiting: callers wait side by side
		if done {
			defer mu.Unlock()
			return why, nil
		}
		mu.Unlock()
		if err := awaitFile(ctx, path); err != nil {
			return "", err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("suite: read the login preflight's diagnosis: %w", err)
		}
		mu.Lock()
		defer mu.Unlock()
		done, why = true, string(raw)
		return why, nil
	}
}
