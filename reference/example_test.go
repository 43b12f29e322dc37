package reference_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"

	"github.com/oauthcheck/oauthcheck/reference"
)

// A reference server over https, with a quirk, as `oauthcheck reference
// --tls --quirk scope-reordered` serves it.
func ExampleServer_Serve() {
	ca, err := reference.NewCA()
	if err != nil {
		log.Fatal(err)
	}
	cert, err := ca.Leaf()
	if err != nil {
		log.Fatal(err)
	}
	srv, err := reference.New(reference.DefaultConfig(), reference.WithQuirk("scope-reordered"))
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	serving := srv.Serve(ln, reference.ServeOptions{Certificate: &cert})
	defer serving.Close()
	if err := srv.SetIssuer(serving.URL()); err != nil {
		log.Fatal(err)
	}

	// A client trusts the CA, as the config file's ca_file makes the
	// harness do.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(serving.URL() + "/.well-known/oauth-authorization-server")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var md struct {
		Issuer     string `json:"issuer"`
		EndSession string `json:"end_session_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, strings.HasPrefix(md.Issuer, "https://127.0.0.1:"), md.EndSession == md.Issuer+"/logout")
	fmt.Println(srv.Quirks())
	// Output:
	// 200 true true
	// [scope-reordered]
}
