package browser

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-rod/rod/lib/proto"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
)

// SetDirect lets the session's authorizations go over plain HTTP with hc
// while no person has to act: once the session has logged in, an
// authorization that the server answers with redirects only (consent
// remembered) reaches the redirect URI without the browser. The requests
// carry the session's cookies, and the cookies the server sets go back to
// the session. At the first answer that is not a redirect to the
// authorization endpoint's origin or to the redirect URI (a page to act
// on, an error page, another site) the browser takes over from the
// request that got it. Nil keeps every authorization in the browser.
func (s *Session) SetDirect(hc *http.Client) {
	s.mu.Lock()
	s.direct = hc
	s.mu.Unlock()
}

// maxDirectHops bounds the redirects that one direct authorization
// follows before the browser takes over.
const maxDirectHops = 10

// authorizeDirect tries authURL over plain HTTP. It returns the callback
// when the redirects reached a URL that starts with one of catch; else the
// URL from which the browser takes over (authURL when nothing was
// followed). The redirects it followed are recorded as the browser's.
func (s *Session) authorizeDirect(ctx context.Context, authURL string, catch []string) (*Callback, string) {
	s.mu.Lock()
	hc, rest := s.direct, s.atRest
	s.mu.Unlock()
	if hc == nil || !rest {
		return nil, authURL
	}
	start, err := url.Parse(authURL)
	if err != nil {
		return nil, authURL
	}
	client := *hc
	client.Jar = nil
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	ua := s.userAgent(ctx)
	cur := start
	for range maxDirectHops {
		resp, err := s.directGet(ctx, &client, cur, ua)
		if err != nil {
			return nil, cur.String()
		}
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 399 || loc == "" {
			return nil, cur.String() // a page: the browser asks for it again
		}
		next, err := cur.Parse(loc)
		if err != nil {
			return nil, cur.String()
		}
		for _, p := range catch {
			if strings.HasPrefix(next.String(), p) {
				s.record(evidence.Step{Kind: evidence.StepRedirect, URL: cur.String(), Status: resp.StatusCode, Header: redirectHeader(resp.Header), Direct: true})
				frag, _ := url.ParseQuery(next.EscapedFragment())
				s.record(evidence.Step{Kind: evidence.StepCallback, URL: next.String(), Direct: true})
				return &Callback{URL: next, Query: next.Query(), Fragment: frag}, ""
			}
		}
		if next.Scheme != start.Scheme || next.Host != start.Host {
			return nil, cur.String() // another site: the browser follows the redirect itself
		}
		s.record(evidence.Step{Kind: evidence.StepRedirect, URL: cur.String(), Status: resp.StatusCode, Header: redirectHeader(resp.Header), Direct: true})
		cur = next
	}
	return nil, cur.String()
}

// directGet sends the GET of a top-level navigation to u with the
// session's cookies, as the browser would, and gives the cookies that the
// answer sets to the session.
func (s *Session) directGet(ctx context.Context, hc *http.Client, u *url.URL, ua string) (*http.Response, error) {
	rp, cancel := bound(s.page.Context(ctx), actionTimeout)
	defer cancel()
	cs, err := rp.Cookies([]string{u.String()})
	if err != nil {
		return nil, fmt.Errorf("browser: read cookies: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	req.Header.Set("Upgrade-Insecure-Requests", "1")
	req.Header.Set("Sec-Fetch-Dest", "document")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Sec-Fetch-Site", "none")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if set := resp.Cookies(); len(set) > 0 {
		params := make([]*proto.NetworkCookieParam, 0, len(set))
		for _, c := range set {
			p := &proto.NetworkCookieParam{Name: c.Name, Value: c.Value, URL: u.String(), Domain: c.Domain,
				Path: c.Path, Secure: c.Secure, HTTPOnly: c.HttpOnly}
			switch {
			case c.MaxAge < 0:
				p.Expires = 1 // in the past: the cookie is deleted
			case c.MaxAge > 0:
				p.Expires = proto.TimeSinceEpoch(float64(time.Now().Unix() + int64(c.MaxAge)))
			case !c.Expires.IsZero():
				// 0 would make it a session cookie; 1 s is in the past.
				p.Expires = proto.TimeSinceEpoch(max(1, c.Expires.Unix()))
			}
			switch c.SameSite {
			case http.SameSiteLaxMode:
				p.SameSite = proto.NetworkCookieSameSiteLax
			case http.SameSiteStrictMode:
				p.SameSite = proto.NetworkCookieSameSiteStrict
			case http.SameSiteNoneMode:
				p.SameSite = proto.NetworkCookieSameSiteNone
			}
			params = append(params, p)
		}
		if err := rp.SetCookies(params); err != nil {
			return nil, fmt.Errorf("browser: keep the cookies of %s: %w", s.redact(u.String()), err)
		}
	}
	return resp, nil
}

// redirectHeader is what a redirect step records of a response's header,
// as the browser's steps do: no credentials.
func redirectHeader(h http.Header) http.Header { return noCredentials(h.Clone()) }

// userAgent is the User-Agent that the session's page sends (go-rod's
// pages present a desktop Chrome's, not the headless browser's own),
// which the direct requests send too: a server may answer a client it
// does not take for a browser otherwise, or tie its session to the
// User-Agent that logged in.
func (s *Session) userAgent(ctx context.Context) string {
	b := s.b
	b.uaMu.Lock()
	defer b.uaMu.Unlock()
	if b.ua == "" {
		rp, cancel := bound(s.page.Context(ctx), actionTimeout)
		defer cancel()
		res, err := (proto.RuntimeEvaluate{Expression: "navigator.userAgent", ReturnByValue: true}).Call(rp)
		if err != nil || res.ExceptionDetails != nil || res.Result.Value.Str() == "" {
			return "Mozilla/5.0" // read again next time
		}
		b.ua = res.Result.Value.Str()
	}
	return b.ua
}
