// Package client is the one HTTP client of oauthcheck's checks. It records
// every exchange with secrets redacted, bounds each request in time and each
// body in size, never follows a redirect by itself, and verifies TLS.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
)

// Options configure a [Client].
type Options struct {
	// Timeout bounds one request, from dial to the end of the body.
	// Default 15 s.
	Timeout time.Duration
	// MaxBody bounds a response body. Default 1 MiB.
	MaxBody int64
	// CAFile names a PEM file of extra roots, for lab servers.
	CAFile string
	// InsecureSkipVerify turns certificate verification off. It makes
	// TLS-CERTIFICATE-VALID meaningless; use only against lab servers.
	InsecureSkipVerify bool
	// Redactor hides secrets in the records. Default: one with the run's
	// key that knows no literal secrets yet.
	Redactor *evidence.Redactor
}

// Client sends requests and records them. Its zero value is not usable;
// call [New].
type Client struct {
	opts      Options
	transport *http.Transport
	rec       *Recorder
	// onSite tells the hosts that may receive secrets; nil allows all.
	onSite func(host string) bool
}

// ErrOffSite is returned for a request that would send a credential (a
// client secret, a password, a token, a cookie) to a host off the
// target's site.
var ErrOffSite = errors.New("not sent: it carries credentials and the host is not on the issuer's site")

// KeepSecretsOn makes the client refuse, with ErrOffSite, every request
// that carries a credential to a host for which onSite is false. Call it
// before the client is shared.
func (c *Client) KeepSecretsOn(onSite func(host string) bool) { c.onSite = onSite }

// carriesSecret reports whether a request holds a credential: an
// Authorization or Cookie header, or a secret parameter in its query or
// form body.
func carriesSecret(req *http.Request, body []byte) bool {
	if req.Header.Get("Authorization") != "" || req.Header.Get("Cookie") != "" {
		return true
	}
	for _, raw := range []string{req.URL.RawQuery, string(body)} {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			continue
		}
		for k, v := range vals {
			if evidence.IsSecretParam(k) && len(v) > 0 && v[0] != "" {
				return true
			}
		}
	}
	return false
}

// New returns a client for opts.
func New(opts Options) (*Client, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	if opts.Redactor == nil {
		opts.Redactor = evidence.NewRedactor(nil)
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.InsecureSkipVerify}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("client: read CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client: CA file %s holds no PEM certificate", opts.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second, Control: refuseLinkLocal}).DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       60 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Client{opts: opts, transport: tr, rec: &Recorder{}}, nil
}

// Redactor returns the client's redactor.
func (c *Client) Redactor() *evidence.Redactor { return c.opts.Redactor }

// WithRecorder returns a client that shares c's connections but records
// into rec.
func (c *Client) WithRecorder(rec *Recorder) *Client {
	cp := *c
	cp.rec = rec
	return &cp
}

// Recorder returns where c records.
func (c *Client) Recorder() *Recorder { return c.rec }

// HTTP returns an *http.Client that records through c and never follows
// redirects, for libraries such as golang.org/x/oauth2.
func (c *Client) HTTP() *http.Client {
	return &http.Client{
		Transport:     roundTripper{c},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type roundTripper struct{ c *Client }

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.c.Do(req.Context(), req)
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", resp.Status, http.StatusText(resp.Status)), StatusCode: resp.Status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: resp.Header.Clone(),
		Body: io.NopCloser(bytes.NewReader(resp.Body)), ContentLength: int64(len(resp.Body)), Request: req,
	}, nil
}

// Response is a complete HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Exchange is the redacted record of this request and response.
	Exchange *Exchange
}

// JSON decodes the body as a JSON object.
func (r *Response) JSON() (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		return nil, fmt.Errorf("client: response is not a JSON object: %w", err)
	}
	return m, nil
}

// Field returns a string member of a JSON object body, or "".
func (r *Response) Field(name string) string {
	m, err := r.JSON()
	if err != nil {
		return ""
	}
	s, _ := m[name].(string)
	return s
}

// OAuthError returns the RFC 6749 §5.2 error code of the body, or "".
func (r *Response) OAuthError() string { return r.Field("error") }

// Do sends req and reads the whole response, recording the exchange.
func (c *Client) Do(ctx context.Context, req *http.Request) (*Response, error) {
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(io.LimitReader(req.Body, c.opts.MaxBody))
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("client: read request body: %w", err)
		}
		reqBody = b
	}
	out := req.Clone(ctx)
	out.Body = io.NopCloser(bytes.NewReader(reqBody))
	out.ContentLength = int64(len(reqBody))
	if out.Header.Get("User-Agent") == "" {
		out.Header.Set("User-Agent", "oauthcheck")
	}
	if c.onSite != nil && !c.onSite(out.URL.Hostname()) && carriesSecret(out, reqBody) {
		return nil, fmt.Errorf("client: %s %s: %w; list %s under allowed_hosts in the config to allow it", out.Method,
			redactedURL(c.opts.Redactor, out.URL), ErrOffSite, out.URL.Hostname())
	}
	red := c.opts.Redactor
	ex := &Exchange{
		Method:        out.Method,
		URL:           red.URL(out.URL.String()),
		RequestHeader: red.Header(out.Header),
		RequestBody:   recordBody(red, out.Header.Get("Content-Type"), reqBody),
		Started:       time.Now(),
	}
	defer func() { ex.Duration = time.Since(ex.Started).Round(time.Millisecond); c.rec.add(ex) }()
	resp, err := c.transport.RoundTrip(out)
	if err != nil {
		ex.Error = red.String(err.Error())
		return nil, fmt.Errorf("client: %s %s: %w", out.Method, redactedURL(red, out.URL), describe(err, c.opts.Timeout, caller))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBody+1))
	ex.Status = resp.StatusCode
	ex.ResponseHeader = red.Header(resp.Header)
	if err != nil {
		ex.Error = red.String(err.Error())
		return nil, fmt.Errorf("client: %s %s: read body: %w", out.Method, redactedURL(red, out.URL), describe(err, c.opts.Timeout, caller))
	}
	if int64(len(body)) > c.opts.MaxBody {
		ex.Error = fmt.Sprintf("response body over %d bytes", c.opts.MaxBody)
		ex.ResponseBody = recordBody(red, resp.Header.Get("Content-Type"), body)
		return nil, fmt.Errorf("client: %s %s: response body over %d bytes", out.Method, redactedURL(red, out.URL), c.opts.MaxBody)
	}
	ex.ResponseBody = recordBody(red, resp.Header.Get("Content-Type"), body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Exchange: ex}, nil
}

func redactedURL(r *evidence.Redactor, u *url.URL) string { return r.URL(u.String()) }

// MaxRecordedBody is how much of a body an exchange keeps as evidence.
const MaxRecordedBody = 64 << 10

// recordBody redacts a body for the record, whole, so that every secret
// in it is seen and remembered, and keeps at most MaxRecordedBody of it.
func recordBody(red *evidence.Redactor, contentType string, body []byte) string {
	s := red.Body(contentType, body)
	if len(s) <= MaxRecordedBody {
		return s
	}
	cut := MaxRecordedBody
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes, cut)", len(body))
}

// describe says why a request got no answer: the server's silence for the
// client's timeout, or the end of the caller's time (a check's or the
// run's), which says nothing of the server.
func describe(err error, timeout time.Duration, caller context.Context) error {
	var ne net.Error
	if caller.Err() != nil {
		return fmt.Errorf("stopped before an answer came, as the check's or the run's time ran out: %w", err)
	}
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("no answer within %s: %w", timeout, err)
	}
	return err
}

// Get sends a GET.
func (c *Client) Get(ctx context.Context, rawURL string, header http.Header) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return c.Do(ctx, req)
}

// PostForm sends a form POST. The body is encoded as given, so repeated
// parameters stay repeated. Header adds to or replaces the defaults.
func (c *Client) PostForm(ctx context.Context, rawURL string, body string, header http.Header) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	return c.Do(ctx, req)
}

// Warm opens n connections to rawURL's host and leaves them idle in the
// pool, so that n requests released together do not wait for handshakes.
func (c *Client) Warm(ctx context.Context, rawURL string, n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequestWithContext(ctx, http.MethodHead, rawURL, nil)
			if err != nil {
				return
			}
			if resp, err := c.transport.RoundTrip(req); err == nil {
				io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
}

// CloseIdle closes idle connections.
func (c *Client) CloseIdle() { c.transport.CloseIdleConnections() }

// refuseLinkLocal refuses connections to link-local addresses, where cloud
// metadata services answer: a target's metadata that points there must not
// make the harness fetch, or send credentials to, them.
func refuseLinkLocal(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()) {
		return fmt.Errorf("client: refusing to connect to the link-local address %s", host)
	}
	return nil
}
