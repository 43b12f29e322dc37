package reference

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sync"
	"time"
)

// store is the in-memory state of one server. One mutex guards it all, so
// that check-then-act steps such as redeeming a code are atomic.
type store struct {
	mu sync.Mutex

	clients      map[string]*Client
	authRequests map[string]*authRequest // by request id
	sessions     map[string]*session     // by session id, the cookie's value
	codes        map[string]*authCode
	grants       map[string]*grant
	tokens       map[string]*token // access and refresh tokens by value
	devices      map[string]*deviceAuth
	userCodes    map[string]*deviceAuth // by normalised user code
	failures     map[string][]time.Time // username -> times of wrong user codes
	authFailures map[string][]time.Time // client id -> times of wrong secrets
	clientPolls  map[string]*pollState  // client id -> polling, under throttle-per-client
	// continuations are the "Continue" pages of the js-login quirk, by id.
	continuations map[string]*continuation
	registered    int // clients added by dynamic registration

	ops       int       // requests since the last sweep
	lastSweep time.Time // when expired state was last swept
}

func newStore() *store {
	return &store{
		clients:       map[string]*Client{},
		authRequests:  map[string]*authRequest{},
		sessions:      map[string]*session{},
		codes:         map[string]*authCode{},
		grants:        map[string]*grant{},
		tokens:        map[string]*token{},
		devices:       map[string]*deviceAuth{},
		userCodes:     map[string]*deviceAuth{},
		failures:      map[string][]time.Time{},
		authFailures:  map[string][]time.Time{},
		clientPolls:   map[string]*pollState{},
		continuations: map[string]*continuation{},
	}
}

// session is a user's login in a browser.
type session struct {
	username string
	expires  time.Time
	// consented is the scope approved, by client, under the
	// consent-remembered quirk.
	consented map[string]string
}

// authRequest is a validated authorization request waiting for the user.
type authRequest struct {
	id           string
	clientID     string
	redirectURI  string // the one to answer to
	sentRedirect bool   // whether the request named redirect_uri
	responseType string
	responseMode string
	scope        string
	state        string
	nonce        string
	challenge    string
	method       string
	prompt       string // the prompt parameter, space-separated values
	// err, when set, is sent to the client once the user has logged in
	// (RFC 9700 §4.11.2: no error redirect before authentication).
	err     *oauthError
	expires time.Time
}

// authCode is an issued authorization code.
type authCode struct {
	clientID    string
	redirectURI string // as sent in the authorization request, "" if absent
	scope       string
	username    string
	nonce       string
	challenge   string
	method      string
	expires     time.Time
	redeemed    bool
	grantID     string // the grant its tokens belong to, once redeemed
	sessionID   string // the browser session that approved it
}

// grant groups the tokens that come from one authorization: revoking it
// revokes them all.
type grant struct {
	id       string
	clientID string
	username string // empty for client credentials
	scope    string // what the user granted
	// sessionID is the browser session whose user approved the grant;
	// logging out of it revokes the grant's refresh tokens.
	sessionID string
	// revokedAt, when set, is when the grant and all its tokens stop
	// working: at once, or later under the revocation-eventual quirk.
	revokedAt time.Time
	// refreshRevokedAt revokes the grant's refresh tokens but not its
	// access tokens (logout, and the refresh-reuse-keeps-access and
	// revoke-no-cascade weaknesses).
	refreshRevokedAt time.Time
}

type tokenKind string

const (
	accessToken  tokenKind = "access_token"
	refreshToken tokenKind = "refresh_token"
)

// token is an issued access or refresh token.
type token struct {
	kind      tokenKind
	grantID   string
	clientID  string
	username  string
	scope     string
	jti       string
	issued    time.Time
	expires   time.Time
	revokedAt time.Time // when set, when it stops working
	rotated   bool      // a refresh token that has been exchanged
	rotatedAt time.Time
}

type deviceStatus int

const (
	devicePending deviceStatus = iota
	deviceApproved
	deviceDenied
)

// deviceAuth is one device authorization (RFC 8628 §3.2).
type deviceAuth struct {
	deviceCode string
	userCode   string
	clientID   string
	scope      string
	expires    time.Time
	poll       *pollState // its own, or its client's under throttle-per-client
	status     deviceStatus
	username   string
	sessionID  string // the browser session that approved it
	redeemed   bool
}

// pollState is what the slow_down rule measures (RFC 8628 §3.5): the last
// poll and the interval, which slow_down raises.
type pollState struct {
	lastPoll time.Time
	interval time.Duration
}

// active reports whether t works at now: known, unexpired and not revoked,
// neither itself nor its grant.
func (st *store) active(t *token, now time.Time) bool {
	if t == nil || past(t.revokedAt, now) || now.After(t.expires) {
		return false
	}
	g := st.grants[t.grantID]
	return g != nil && !past(g.revokedAt, now) && !(t.kind == refreshToken && past(g.refreshRevokedAt, now))
}

// past reports whether the moment at is set and has come.
func past(at, now time.Time) bool { return !at.IsZero() && !now.Before(at) }

// revokeAt sets *field to at, unless an earlier revocation is already set.
func revokeAt(field *time.Time, at time.Time) {
	if field.IsZero() || at.Before(*field) {
		*field = at
	}
}

// randomUUID is a random (version 4) UUID, RFC 9562 §5.4.
func randomUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("reference: no randomness: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("reference: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
