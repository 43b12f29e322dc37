package security

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// tlsEndpoints are the distinct https origins of the target's endpoints,
// the issuer's first; it skips the check when the target is not served
// over https, as a loopback lab server may be (INFO first).
func tlsEndpoints(c *check.C) []*url.URL {
	md := steps.Metadata(c)
	iss := c.Env.Target.Issuer
	if !strings.HasPrefix(iss, "https://") {
		if steps.LoopbackHTTP(iss) {
			c.Info("the issuer %s is http on a loopback address: a lab server, not served over TLS", iss)
		}
		c.Skipf("the target is not served over https (issuer %s); TLS-HTTPS-ENFORCED judges an http issuer", iss)
	}
	seen := map[string]bool{}
	var out []*url.URL
	for _, raw := range []string{iss, md.AuthorizationEndpoint, md.TokenEndpoint, md.DeviceAuthorizationEndpoint,
		md.RevocationEndpoint, md.IntrospectionEndpoint, md.UserinfoEndpoint, md.JWKSURI} {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || seen[u.Host] || !c.Env.Target.OnSite(u.Hostname()) {
			continue
		}
		seen[u.Host] = true
		out = append(out, u)
	}
	return out
}

// hostPort is the address to dial for an https URL.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "443")
}

// handshake runs a TLS handshake with cfg and returns the connection's
// state; the certificate is not verified unless cfg asks for it.
func handshake(ctx context.Context, u *url.URL, cfg *tls.Config) (tls.ConnectionState, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", hostPort(u))
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState(), nil
}

// refusedHandshake reports whether err is the server's answer to a
// handshake, an alert or the connection closed during it; not a
// connection that could not be made, or a handshake cut off by a deadline.
func refusedHandshake(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	var ne net.Error
	timeout := errors.As(err, &ne) && ne.Timeout()
	return !timeout && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
}

// RFC 8996: TLS 1.0 and 1.1 "MUST NOT be used"; RFC 9325 §3.1.1 (BCP 195,
// through RFC 9700 §2.6): implementations MUST support TLS 1.2 and SHOULD
// support TLS 1.3.
var _ = check.It("TLS-MODERN-VERSIONS", func(c *check.C) {
	for _, u := range tlsEndpoints(c) {
		c.Note("TLS handshakes with %s", u.Host)
		for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
			// Go offers 1.0 and 1.1 only when asked for them by name.
			st, err := handshake(c, u, &tls.Config{MinVersion: v, MaxVersion: v, ServerName: u.Hostname(), InsecureSkipVerify: true})
			if err == nil {
				c.Fail("RFC 8996", "%s accepted a %s handshake (%s)", u.Host, tls.VersionName(v), tls.CipherSuiteName(st.CipherSuite))
			}
		}
		st, err := handshake(c, u, &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, ServerName: u.Hostname(), InsecureSkipVerify: true})
		if err != nil && !refusedHandshake(err) {
			c.Fatalf("a TLS 1.2 handshake with %s got no answer: %v", u.Host, err)
		}
		if err != nil {
			c.Fail("RFC 9325 §3.1.1", "%s refused a TLS 1.2 handshake: %v", u.Host, err)
			continue
		}
		var weak []string
		for _, cs := range tls.CipherSuites() {
			if cs.ID == st.CipherSuite || !slices.Contains(cs.SupportedVersions, tls.VersionTLS12) {
				continue
			}
			if _, err := handshake(c, u, &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{cs.ID},
				ServerName: u.Hostname(), InsecureSkipVerify: true}); err == nil && !recommended(cs.Name) {
				weak = append(weak, cs.Name)
			}
		}
		if !recommended(tls.CipherSuiteName(st.CipherSuite)) {
			weak = append([]string{tls.CipherSuiteName(st.CipherSuite)}, weak...)
		}
		if len(weak) > 0 {
			c.Info("%s accepts TLS 1.2 cipher suites that RFC 9325 §4.2 does not recommend (no AEAD): %s", u.Host, strings.Join(weak, ", "))
		}
		_, err = handshake(c, u, &tls.Config{MinVersion: tls.VersionTLS13, ServerName: u.Hostname(), InsecureSkipVerify: true})
		if err != nil && !refusedHandshake(err) {
			c.Fatalf("a TLS 1.3 handshake with %s got no answer: %v", u.Host, err)
		}
		if err != nil {
			c.Warn("RFC 9325 §3.1.1", "%s refused a TLS 1.3 handshake: %v", u.Host, err)
		} else {
			c.Pass("%s refuses TLS 1.0 and 1.1 and speaks TLS 1.2 (%s) and 1.3", u.Host, tls.CipherSuiteName(st.CipherSuite))
		}
	}
}, check.Control("tls-legacy-versions", check.Fail).With(check.RefOptions{TLS: true}))

// recommended tells the TLS 1.2 suites of RFC 9325 §4.2: ECDHE with an
// AEAD cipher.
func recommended(name string) bool {
	return strings.HasPrefix(name, "TLS_ECDHE_") && (strings.Contains(name, "_GCM_") || strings.Contains(name, "CHACHA20_POLY1305"))
}

// RFC 6749 §10.9: "The client MUST validate the TLS certificate chain"; a
// server's certificate that does not verify leaves every client with the
// choice of failing or not validating.
var _ = check.It("TLS-CERTIFICATE-VALID", func(c *check.C) {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	lab := ""
	if f := c.Env.Target.Config.CAFile; f != "" {
		pem, err := os.ReadFile(f)
		c.Require(err, "read the config's ca_file")
		if !roots.AppendCertsFromPEM(pem) {
			c.Fatalf("the config's ca_file %s holds no PEM certificate", f)
		}
		lab = " or the config's ca_file"
	}
	for _, u := range tlsEndpoints(c) {
		c.Note("verify the certificate of %s", u.Host)
		st, err := handshake(c, u, &tls.Config{MinVersion: tls.VersionTLS12, ServerName: u.Hostname(), RootCAs: roots})
		var ce *tls.CertificateVerificationError
		switch {
		case errors.As(err, &ce):
			c.Fail("RFC 6749 §10.9", "the certificate of %s does not verify against the system's roots%s: %v", u.Host, lab, ce.Err)
		case err != nil:
			c.Fatalf("a TLS handshake with %s failed: %v", u.Host, err)
		default:
			leaf := st.PeerCertificates[0]
			c.Pass("the certificate of %s verifies (issuer %q, valid until %s)", u.Host, leaf.Issuer.CommonName, leaf.NotAfter.UTC().Format(time.DateOnly))
			if left := time.Until(leaf.NotAfter); left < 14*24*time.Hour {
				c.Info("the certificate of %s expires in %s", u.Host, left.Round(time.Hour))
			}
		}
	}
}, check.Control("tls-untrusted-certificate", check.Fail).With(check.RefOptions{TLS: true, Insecure: true}))

// RFC 6749 §3.1 and §3.2: the authorization and token endpoints MUST use
// TLS; RFC 8414 §3: metadata is retrieved over TLS. A plaintext request
// must not be acted upon.
var _ = check.It("TLS-HTTPS-ENFORCED", func(c *check.C) {
	md := steps.Metadata(c)
	iss := c.Env.Target.Issuer
	if !strings.HasPrefix(iss, "https://") {
		if steps.LoopbackHTTP(iss) {
			c.Info("the issuer %s is http on a loopback address: a lab server", iss)
			c.Skipf("the target is a lab server served over http: there is no https to enforce")
		}
		c.Fail("RFC 6749 §3.1", "the issuer %s is served over http", iss)
		return
	}
	cl := steps.Client(c, "confidential")
	probes := []struct {
		what, url, method string
		form              url.Values
	}{
		{"the metadata", md.Source, http.MethodGet, nil},
		{"the authorization endpoint", authURL(c), http.MethodGet, nil},
		// A wrong secret: a real one must never cross in clear.
		{"the token endpoint", md.TokenEndpoint, http.MethodPost, url.Values{"grant_type": {"client_credentials"}, "client_id": {cl.ID}, "client_secret": {"oauthcheck-wrong-" + steps.Random(8)}}},
	}
	acted := false
	for _, p := range probes {
		if p.url == "" {
			continue
		}
		plain := plainURL(p.url)
		c.Note("send %s's request to %s", p.what, plain)
		var resp *client.Response
		var err error
		if p.method == http.MethodPost {
			resp, err = c.HTTP.PostForm(c, plain, p.form.Encode(), nil)
		} else {
			resp, err = c.HTTP.Get(c, plain, nil)
		}
		loc := ""
		if resp != nil {
			loc = resp.Header.Get("Location")
		}
		switch {
		case err != nil && c.Err() != nil:
			c.Fatalf("%s over http: %v", p.what, err)
		case err != nil:
			c.Pass("%s over http got no answer: %v", p.what, err)
		case resp.Status/100 == 3 && strings.HasPrefix(loc, "https://") && p.method == http.MethodPost:
			c.Warn("RFC 6749 §3.2", "a token POST to %s was answered %d to https: a client that follows it has already sent its secret in clear", plain, resp.Status)
		case resp.Status/100 == 3 && strings.HasPrefix(loc, "https://"):
			c.Pass("%s over http is redirected to https (%d)", p.what, resp.Status)
		case actedUpon(resp):
			acted = true
			c.Fail("RFC 6749 §3.1", "%s answered a plaintext request: %s", p.what, steps.Describe(resp))
		default:
			c.Pass("%s over http was not acted upon: %d %s", p.what, resp.Status, http.StatusText(resp.Status))
		}
	}
	if !acted {
		c.Pass("no endpoint acted on a plaintext request")
	}
}, check.Control("http-endpoints-too", check.Fail).With(check.RefOptions{TLS: true}))

// actedUpon tells an answer of the server's own endpoint to a plaintext
// request: metadata or an OAuth answer (tokens, or an error the endpoint
// gave after reading the request), a page (a login form), or a redirect
// to the client. A TLS server's refusal of plain http (Go's "Client sent
// an HTTP request to an HTTPS server") is none of these.
func actedUpon(r *client.Response) bool {
	m, err := r.JSON()
	switch {
	case err == nil && (m["issuer"] != nil || m["access_token"] != nil || m["error"] != nil):
		return true
	case r.Status/100 == 3:
		return true // a redirect that is not to https: the authorization went on
	case r.Status == http.StatusOK:
		return true // a page: a login form served in clear
	}
	return false
}

// plainURL is the http:// form of an https URL: the same host, and the
// same port when one is given (port 80 otherwise).
func plainURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Scheme = "http"
	return u.String()
}

// authURL is a plain authorization request of the public or confidential
// client, whose answer over http would be a login page or a redirect.
func authURL(c *check.C) string {
	r := steps.NewAuthRequest(c, steps.PublicOr(c))
	return r.URL(c)
}
