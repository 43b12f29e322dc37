package reference

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// ServeOptions shape how [Server.Serve] serves.
type ServeOptions struct {
	// Certificate, when set, makes the server speak https only, TLS 1.2 or
	// newer (RFC 9325 §3.1.1, through RFC 9700 §2.6); nil serves plain
	// http. A plain http request on the https port gets Go's 400 "Client
	// sent an HTTP request to an HTTPS server" and no OAuth processing.
	// The tls-legacy-versions weakness also accepts TLS 1.0 and 1.1; the
	// http-endpoints-too weakness answers plain http on the same port.
	Certificate *tls.Certificate
	// ErrorLog receives what the HTTP server logs, such as failed TLS
	// handshakes; nil logs to the standard logger, as [http.Server] does.
	ErrorLog *log.Logger
}

// The limits of the HTTP server of [Server.Serve].
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 60 * time.Second
	MaxHeaderBytes    = 64 << 10
)

// Serving is a reference server answering on a listener, as started by
// [Server.Serve].
type Serving struct {
	url  string
	hs   *http.Server
	done chan struct{}
	err  error
}

// Serve serves s on ln, in a goroutine of its own, until the returned
// [Serving] is closed or shut down: with the timeouts and header limit of
// a server facing the network, and over TLS when opts has a certificate.
// The issuer is not set: call [Server.SetIssuer] with [Serving.URL] (or
// the name that the certificate carries) before the first request.
func (s *Server) Serve(ln net.Listener, opts ServeOptions) *Serving {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          opts.ErrorLog,
	}
	v := &Serving{url: "http://" + ln.Addr().String(), hs: hs, done: make(chan struct{})}
	serve := func() error { return hs.Serve(ln) }
	if opts.Certificate != nil {
		v.url = "https://" + ln.Addr().String()
		cert := *opts.Certificate
		if s.weakened(TLSUntrustedCert) {
			if self, err := selfSigned(cert); err == nil {
				cert = self
			}
		}
		hs.TLSConfig = s.tlsConfig(cert)
		serve = func() error { return hs.ServeTLS(ln, "", "") }
		if s.weakened(HTTPEndpointsToo) {
			hs.TLSConfig.NextProtos = []string{"http/1.1"}
			serve = func() error { return hs.Serve(newSniffListener(ln, hs.TLSConfig)) }
		}
	}
	go func() {
		defer close(v.done)
		if err := serve(); !errors.Is(err, http.ErrServerClosed) {
			v.err = err
		}
	}()
	return v
}

// tlsConfig is the server's TLS configuration: TLS 1.2 and 1.3, with Go's
// default cipher suites (all AEAD with forward secrecy at 1.2, as RFC 9325
// §4.2 recommends); TLS 1.0 and 1.1 too under the tls-legacy-versions
// weakness (which RFC 8996 forbids), with the CBC suites that they need.
func (s *Server) tlsConfig(cert tls.Certificate) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if s.weakened(TLSLegacyVersions) {
		cfg.MinVersion = tls.VersionTLS10
		cfg.CipherSuites = []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		}
	}
	return cfg
}

// URL is the origin the listener answers at: http://host:port, or https.
func (v *Serving) URL() string { return v.url }

// Close stops serving at once: the listener and every connection.
func (v *Serving) Close() error {
	err := v.hs.Close()
	<-v.done
	return err
}

// Shutdown stops serving gracefully, as [http.Server.Shutdown].
func (v *Serving) Shutdown(ctx context.Context) error {
	err := v.hs.Shutdown(ctx)
	if err == nil {
		<-v.done
	}
	return err
}

// Done is closed when serving has stopped.
func (v *Serving) Done() <-chan struct{} { return v.done }

// Err is why serving stopped, once [Serving.Done] is closed: nil after
// Close or Shutdown, else the listener's error.
func (v *Serving) Err() error {
	select {
	case <-v.done:
		return v.err
	default:
		return nil
	}
}

// sniffListener serves TLS and plain HTTP on one port, for the
// http-endpoints-too weakness: it reads the first byte of each connection,
// 0x16 (a TLS handshake record) for TLS, anything else for plain HTTP.
// Connections are classified off the accept loop, so a silent client holds
// up no other.
type sniffListener struct {
	net.Listener
	tls   *tls.Config
	conns chan net.Conn
	errc  chan error
	done  chan struct{}
	once  sync.Once
}

const sniffTimeout = 10 * time.Second

func newSniffListener(ln net.Listener, cfg *tls.Config) *sniffListener {
	l := &sniffListener{Listener: ln, tls: cfg, conns: make(chan net.Conn), errc: make(chan error, 1), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

func (l *sniffListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			l.errc <- err
			return
		}
		go l.classify(c)
	}
}

func (l *sniffListener) classify(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(sniffTimeout))
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	var conn net.Conn = &peekedConn{Conn: c, r: br}
	if first[0] == 0x16 {
		conn = tls.Server(conn, l.tls)
	}
	select {
	case l.conns <- conn:
	case <-l.done:
		conn.Close()
	}
}

// Accept implements [net.Listener].
func (l *sniffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case err := <-l.errc:
		l.errc <- err // for the next caller
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close implements [net.Listener].
func (l *sniffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// peekedConn is a connection whose first bytes were read ahead.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
