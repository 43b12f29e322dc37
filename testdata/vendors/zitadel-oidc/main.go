// Command zitadel-op serves the example OpenID Provider of
// github.com/zitadel/oidc v3.52.0 (example/server/exampleop and
// example/server/storage) as an oauthcheck vendor target.
//
// Unlike the stock example binary (example/server/main.go), which listens
// on every interface, it listens on 127.0.0.1 only. It registers
// oauthcheck's clients through the example's own constructors
// (storage.WebClient, storage.NativeClient, storage.DeviceClient) and
// loads its users from users.json (the example's two test users, with user
// IDs equal to the usernames):
// the example's device confirmation (exampleop/device.go, confirmHandler)
// stores the username as the token's subject, and the storage looks the
// subject up by user ID.
//
// Environment: PORT (default 9998), USERS_FILE (default users.json),
// REDIRECT_URI (default https://client.oauthcheck.test/cb).
package main

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

func main() {
	port := cmp.Or(os.Getenv("PORT"), "9998")
	usersFile := cmp.Or(os.Getenv("USERS_FILE"), "users.json")
	redirect := cmp.Or(os.Getenv("REDIRECT_URI"), "https://client.oauthcheck.test/cb")
	issuer := fmt.Sprintf("http://127.0.0.1:%s/", port)

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	storage.RegisterClients(
		// Confidential web clients: client_secret_basic (or _post), code and
		// refresh_token grants. "sid1" is also the example storage's built-in
		// service user (storage.NewStorageWithClients, serviceUsers), the only
		// client its ClientCredentials accepts; registering it as a web client
		// with the same secret lets one confidential client run the
		// authorization code and the client credentials checks.
		storage.WebClient("sid1", "verysecret", redirect),
		storage.WebClient("oauthcheck-b", "oauthcheck-b-secret", redirect),
		// Public native clients: token_endpoint_auth_method none.
		storage.NativeClient("oauthcheck-p", redirect),
		storage.NativeClient("oauthcheck-p2", redirect),
		// Device clients: the example's DeviceClient authenticates with
		// client_secret_basic.
		storage.DeviceClient("oauthcheck-d", "oauthcheck-d-secret"),
		storage.DeviceClient("oauthcheck-d2", "oauthcheck-d2-secret"),
	)

	users, err := storage.StoreFromFile(usersFile)
	if err != nil {
		logger.Error("cannot load users", "file", usersFile, "error", err)
		os.Exit(1)
	}
	router := exampleop.SetupServer(issuer, storage.NewStorage(users), logger, false)

	server := &http.Server{Addr: "127.0.0.1:" + port, Handler: router}
	logger.Info("server listening", "addr", server.Addr, "issuer", issuer)
	if err := server.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		logger.Error("server terminated", "error", err)
		os.Exit(1)
	}
}
