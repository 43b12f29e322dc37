package security

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/suitetest"
)

// A TLS fault the reference cannot show of itself: a small server of the
// test's own on loopback, serving metadata over https with one fault.
type tlsFault struct {
	notAfter   time.Time // of the leaf
	host       string    // the leaf's name
	selfSigned bool      // the leaf is its own issuer, not the CA's
	minVersion uint16    // of the server
}

// startFaulty serves metadata over TLS with the fault, and returns the
// environment of the checks: a client that does not verify (so that
// discovery works) and a config whose ca_file names the test's CA.
func startFaulty(ctx SpecContext, f tlsFault) *check.Env {
	GinkgoHelper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "oauthcheck test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	Expect(err).NotTo(HaveOccurred())
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: f.host},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: f.notAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	if ip := net.ParseIP(f.host); ip != nil {
		leafTmpl.IPAddresses = []net.IP{ip}
	} else {
		leafTmpl.DNSNames = []string{f.host}
	}
	parent, signer := caCert, any(caKey)
	if f.selfSigned {
		parent, signer = leafTmpl, leafKey
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, parent, &leafKey.PublicKey, signer)
	Expect(err).NotTo(HaveOccurred())

	var base string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": base, "authorization_endpoint": base + "/authorize",
			"token_endpoint": base + "/token", "response_types_supported": []string{"code"}})
	}))
	srv.TLS = &tls.Config{MinVersion: f.minVersion, Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}}
	srv.StartTLS()
	DeferCleanup(srv.Close)
	base = srv.URL
	ca := filepath.Join(GinkgoT().TempDir(), "ca.pem")
	Expect(os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600)).To(Succeed())
	cfg := &target.Config{Issuer: base, CAFile: ca, Clients: map[string]*target.Client{"confidential": {ID: "c", Secret: "s-0123456789"}}}
	env, err := check.Open(ctx, base, cfg, nil, client.Options{InsecureSkipVerify: true})
	Expect(err).NotTo(HaveOccurred())
	return env
}

var _ = DescribeTable("TLS faults that only a server of the test's own can show",
	func(ctx SpecContext, f tlsFault, id string, want check.Verdict) {
		if f.host == "" {
			f.host = "127.0.0.1"
		}
		if f.notAfter.IsZero() {
			f.notAfter = time.Now().Add(24 * time.Hour)
		}
		if f.minVersion == 0 {
			f.minVersion = tls.VersionTLS12
		}
		res := check.Run(ctx, id, startFaulty(ctx, f))
		Expect(res.Verdict).To(Equal(want), res.Message())
	},
	Entry("a sound certificate", tlsFault{}, "TLS-CERTIFICATE-VALID", check.Pass),
	Entry("an expired certificate", tlsFault{notAfter: time.Now().Add(-time.Hour)}, "TLS-CERTIFICATE-VALID", check.Fail),
	Entry("a certificate for another host", tlsFault{host: "other.oauthcheck.test"}, "TLS-CERTIFICATE-VALID", check.Fail),
	Entry("a self-signed certificate", tlsFault{selfSigned: true}, "TLS-CERTIFICATE-VALID", check.Fail),
	Entry("TLS 1.0 enabled", tlsFault{minVersion: tls.VersionTLS10}, "TLS-MODERN-VERSIONS", check.Fail),
	Entry("TLS 1.2 and 1.3 only", tlsFault{}, "TLS-MODERN-VERSIONS", check.Pass),
)

// The strict reference over https passes the TLS checks, and its https
// requirements are judged for real.
var _ = It("passes the TLS checks against the strict reference over https", func(ctx SpecContext) {
	env := suitetest.ReferenceWith(ctx, reftarget.Options{TLS: true})
	for _, id := range []string{"TLS-MODERN-VERSIONS", "TLS-CERTIFICATE-VALID", "TLS-HTTPS-ENFORCED"} {
		res := check.Run(ctx, id, env)
		Expect(res.Verdict).To(Equal(check.Pass), res.Message())
	}
}, SpecTimeout(suitetest.Timeout))

// A handshake that could not be made, or that a deadline cut off, is no
// refusal of a TLS version; an alert or a closed connection is.
var _ = It("tells a refused handshake from one that got no answer", func(ctx SpecContext) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := ln.Addr().String()
	Expect(ln.Close()).To(Succeed())
	u := &url.URL{Scheme: "https", Host: addr}
	_, err = handshake(ctx, u, &tls.Config{InsecureSkipVerify: true})
	Expect(err).To(HaveOccurred())
	Expect(refusedHandshake(err)).To(BeFalse(), "nothing listens: %v", err)

	// A server that takes the connection and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(silent.Close)
	go func() {
		for {
			conn, err := silent.Accept()
			if err != nil {
				return
			}
			DeferCleanup(conn.Close)
		}
	}()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = handshake(short, &url.URL{Scheme: "https", Host: silent.Addr().String()}, &tls.Config{InsecureSkipVerify: true})
	Expect(err).To(HaveOccurred())
	Expect(refusedHandshake(err)).To(BeFalse(), "no answer within the deadline: %v", err)

	// A server that speaks TLS 1.3 only refuses a TLS 1.2 handshake.
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
	srv.StartTLS()
	DeferCleanup(srv.Close)
	_, err = handshake(ctx, &url.URL{Scheme: "https", Host: srv.Listener.Addr().String()}, &tls.Config{MaxVersion: tls.VersionTLS12, InsecureSkipVerify: true})
	Expect(err).To(HaveOccurred())
	Expect(refusedHandshake(err)).To(BeTrue(), "a protocol_version alert: %v", err)
}, SpecTimeout(10*time.Second))
