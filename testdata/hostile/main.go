// Command hostile is an authorization server that serves real metadata and
// then misbehaves on every endpoint at once, for oauthcheck's robustness
// test (cmd/oauthcheck TestHostileServer): the harness must end in bounded
// time, report every check of every flow, print no secret and stay within
// its memory.
//
//	go run ./testdata/hostile -addr 127.0.0.1:0 -ready ready.txt
//
// It writes its base URL to the -ready file once it listens. Its clients'
// secrets and the tokens it issues are fixed (Secrets), so that the test
// can look for them in every report.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// The values a report must never show.
const (
	SecretA      = "hostile-secret-a-0123456789"
	SecretB      = "hostile-secret-b-0123456789"
	Password     = "hostile-password-0123456789"
	AccessToken  = "hostile-access-token-0123456789abcdef"
	RefreshToken = "hostile-refresh-token-0123456789abcdef"
	DeviceCode   = "hostile-device-code-0123456789abcdef"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	ready := flag.String("ready", "", "file to write the base URL to once listening")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("hostile: listen: %v", err)
	}
	base := "http://" + ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		metadata(w, base)
	})
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		metadata(w, base)
	})
	// The authorization endpoint never answers.
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	// The token endpoint issues tokens, as text/plain.
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600,"refresh_token":%q}`, AccessToken, RefreshToken)
	})
	// The device endpoint asks for a poll every 15 minutes.
	mux.HandleFunc("/device_authorization", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"device_code":%q,"user_code":"HOST-ILE1","verification_uri":%q,"expires_in":1800,"interval":900}`, DeviceCode, base+"/device")
	})
	mux.HandleFunc("/device", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	// Introspection sends 5 MB.
	mux.HandleFunc("/introspect", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"active":true,"pad":"%s","token":%q}`, strings.Repeat("x", 5<<20), AccessToken)
	})
	// Revocation closes the connection in the middle of its answer.
	mux.HandleFunc("/revoke", func(w http.ResponseWriter, r *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			return
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			return
		}
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"revo")
		buf.Flush()
		conn.Close()
	})
	// The JWK Set and userinfo drip one byte a second.
	drip := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		body := fmt.Sprintf(`{"keys":[],"sub":"alice","access_token":%q}`, AccessToken)
		for i := 0; i < len(body); i++ {
			if _, err := w.Write([]byte{body[i]}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
				return
			}
		}
	}
	mux.HandleFunc("/jwks", drip)
	mux.HandleFunc("/userinfo", drip)
	if *ready != "" {
		if err := os.WriteFile(*ready, []byte(base), 0o600); err != nil {
			log.Fatalf("hostile: %v", err)
		}
	}
	log.Fatal((&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln))
}

func metadata(w http.ResponseWriter, base string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                base,
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"device_authorization_endpoint":         base + "/device_authorization",
		"introspection_endpoint":                base + "/introspect",
		"revocation_endpoint":                   base + "/revoke",
		"userinfo_endpoint":                     base + "/userinfo",
		"jwks_uri":                              base + "/jwks",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      []string{"openid", "profile", "email"},
	})
}
