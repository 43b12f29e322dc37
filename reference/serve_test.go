package reference_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/oauthcheck/oauthcheck/reference"
)

// The one CA of the test binary, and its leaf for the loopback names.
var (
	caOnce sync.Once
	testCA *reference.CA
	leaf   tls.Certificate
	caErr  error
)

func ca(t testing.TB) (*reference.CA, tls.Certificate) {
	t.Helper()
	caOnce.Do(func() {
		if testCA, caErr = reference.NewCA(); caErr == nil {
			leaf, caErr = testCA.Leaf()
		}
	})
	if caErr != nil {
		t.Fatalf("test CA: %v", caErr)
	}
	return testCA, leaf
}

// serveTLS serves e's server over TLS on another loopback port, closed at
// the end of the test; it returns the https origin.
func serveTLS(t testing.TB, e *env) string {
	t.Helper()
	_, cert := ca(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	v := e.srv.Serve(ln, reference.ServeOptions{Certificate: &cert, ErrorLog: log.New(io.Discard, "", 0)})
	t.Cleanup(func() { _ = v.Close() })
	return v.URL()
}

// handshake reports whether a TLS handshake at exactly version succeeds.
func handshake(t testing.TB, origin string, version uint16) error {
	t.Helper()
	c, _ := ca(t)
	cfg := &tls.Config{RootCAs: c.Pool(), MinVersion: version, MaxVersion: version}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", strings.TrimPrefix(origin, "https://"), cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	if got := conn.ConnectionState().Version; got != version {
		return errors.New("negotiated " + tls.VersionName(got))
	}
	return nil
}

// plainGet sends a plain http GET of the metadata to an https origin.
func plainGet(t testing.TB, origin string) *response {
	t.Helper()
	resp, err := http.Get("http://" + strings.TrimPrefix(origin, "https://") + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatalf("plain http GET: %v", err)
	}
	return readResponse(t, resp)
}

func TestCA(t *testing.T) {
	c, err := reference.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	other, err := reference.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(c.PEM())
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("PEM: %q; want a CERTIFICATE block", c.PEM())
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ob, _ := pem.Decode(other.PEM())
	oc, _ := x509.ParseCertificate(ob.Bytes)
	if cert.Subject.CommonName != "oauthcheck reference CA" || !cert.IsCA || cert.SerialNumber.Cmp(oc.SerialNumber) == 0 {
		t.Errorf("CA: CN %q, IsCA %v, same serial as another CA %v", cert.Subject.CommonName, cert.IsCA, cert.SerialNumber.Cmp(oc.SerialNumber) == 0)
	}
	if d := cert.NotAfter.Sub(cert.NotBefore); d < 24*time.Hour || d > 25*time.Hour {
		t.Errorf("CA validity %v; want a day", d)
	}
	if _, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("CA key %T; want ECDSA", cert.PublicKey)
	}
	l, err := c.Leaf("idp.example.test", "10.1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "localhost", "idp.example.test", "10.1.2.3"} {
		if _, err := l.Leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: c.Pool()}); err != nil {
			t.Errorf("leaf for %s: %v", host, err)
		}
	}
	if _, err := l.Leaf.Verify(x509.VerifyOptions{DNSName: "other.test", Roots: c.Pool()}); err == nil {
		t.Errorf("the leaf verifies for other.test")
	}
	if _, err := l.Leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: other.Pool()}); err == nil {
		t.Errorf("the leaf verifies under another CA")
	}
}

// RFC 8996, RFC 9325 §3.1.1: TLS 1.2 and 1.3 only; RFC 6749 §1.6: plain
// http gets no OAuth processing on the https port.
func TestServeTLS(t *testing.T) {
	e := start(t, nil)
	origin := serveTLS(t, e)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		if err := handshake(t, origin, v); err != nil {
			t.Errorf("%s handshake: %v; want success", tls.VersionName(v), err)
		}
	}
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		if err := handshake(t, origin, v); err == nil {
			t.Errorf("%s handshake succeeded; want it refused", tls.VersionName(v))
		}
	}
	r := plainGet(t, origin)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "HTTP request to an HTTPS server") {
		t.Errorf("plain http on the https port: got %d %q; want Go's 400", r.Status, r.Body)
	}

	// A whole client credentials grant over https, with x/oauth2.
	c, _ := ca(t)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.Pool()}}}
	defer client.CloseIdleConnections()
	a := e.client(t, reference.RoleConfidential)
	cc := clientcredentials.Config{ClientID: a.ID, ClientSecret: a.Secret, TokenURL: origin + "/token"}
	tok, err := cc.Token(context.WithValue(t.Context(), oauth2.HTTPClient, client))
	if err != nil || tok.AccessToken == "" {
		t.Errorf("client credentials over https: %v", err)
	}

	// A request header beyond MaxHeaderBytes is refused.
	req, _ := http.NewRequest(http.MethodGet, origin+"/.well-known/oauth-authorization-server", nil)
	req.Header.Set("X-Big", strings.Repeat("x", reference.MaxHeaderBytes+8<<10))
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("a %d KiB header: got %d; want 431", reference.MaxHeaderBytes>>10+8, resp.StatusCode)
		}
	}
}

// Under tls-legacy-versions, TLS 1.0 and 1.1 handshakes succeed (and 1.2,
// 1.3 still do).
func TestServeLegacyTLS(t *testing.T) {
	origin := serveTLS(t, startWeak(t, reference.TLSLegacyVersions))
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13} {
		if err := handshake(t, origin, v); err != nil {
			t.Errorf("%s handshake: %v; want success", tls.VersionName(v), err)
		}
	}
}

// Under http-endpoints-too, the https port answers plain http too, with
// the same handler; https still works there.
func TestServeHTTPToo(t *testing.T) {
	e := startWeak(t, reference.HTTPEndpointsToo)
	origin := serveTLS(t, e)
	if r := plainGet(t, origin); r.Status != http.StatusOK || r.JSON(t)["issuer"] != e.url {
		t.Errorf("plain http on the https port: got %d; want the metadata\n%s", r.Status, r)
	}
	c, _ := ca(t)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.Pool()}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(origin + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatalf("https on the same port: %v", err)
	}
	if r := readResponse(t, resp); r.Status != http.StatusOK || r.req.URL.Scheme != "https" {
		t.Errorf("https on the same port: got %d", r.Status)
	}
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		if err := handshake(t, origin, v); err == nil {
			t.Errorf("%s handshake succeeded; the sniffing listener must keep the TLS versions", tls.VersionName(v))
		}
	}
}

// A Serving stops at Close: its port refuses, Done is closed, Err is nil,
// and no goroutine of it is left, whichever listener it used.
func TestServingClose(t *testing.T) {
	_, cert := ca(t)
	for _, tt := range []struct {
		name string
		weak []reference.Weakness
		cert *tls.Certificate
	}{{"http", nil, nil}, {"https", nil, &cert}, {"sniffing", []reference.Weakness{reference.HTTPEndpointsToo}, &cert}} {
		t.Run(tt.name, func(t *testing.T) {
			e := startWeak(t, tt.weak...)
			before := runtime.NumGoroutine()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			v := e.srv.Serve(ln, reference.ServeOptions{Certificate: tt.cert, ErrorLog: log.New(io.Discard, "", 0)})
			// A connection that never speaks, held open over the close.
			idle, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer idle.Close()
			if err := plainGetErr(v.URL()); err != nil && tt.cert == nil {
				t.Fatalf("GET: %v", err)
			}
			if err := v.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			select {
			case <-v.Done():
			default:
				t.Errorf("Done is open after Close")
			}
			if v.Err() != nil {
				t.Errorf("Err after Close: %v; want nil", v.Err())
			}
			if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
				c.Close()
				t.Errorf("the port still accepts after Close")
			}
			idle.Close()
			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > before {
				t.Errorf("goroutines: %d after Close; %d before Serve", n, before)
			}
		})
	}
}

func plainGetErr(origin string) error {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://") + "/.well-known/oauth-authorization-server")
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}
