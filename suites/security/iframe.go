package security

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/check"
	"github.com/oauthcheck/oauthcheck/suites/internal/steps"
)

// framerAddr is the second loopback origin that frames the target's pages:
// another origin than the target's, which the browser may reach.
const framerAddr = "127.0.0.2:0"

// RFC 9700 §4.16: "Authorization servers MUST prevent clickjacking
// attacks"; the behaviour behind CLICKJACK-FRAMING-HEADERS.
var _ = check.It("CLICKJACK-IFRAME-BLOCKED", func(c *check.C) {
	pages := []struct{ name, url string }{{"the authorization page", steps.NewAuthRequest(c, steps.PublicOr(c)).URL(c)}}
	if cl, _ := c.Env.Target.Client(target.RoleDevice); cl != nil && steps.Metadata(c).DeviceAuthorizationEndpoint != "" {
		if d := steps.StartDevice(c, target.RoleDevice); d.VerificationURI != "" {
			pages = append(pages, struct{ name, url string }{"the device verification page", d.VerificationURI})
		}
	}
	framer := serveFramer(c)
	for _, p := range pages {
		c.Note("frame %s from %s", p.name, framer)
		open := c.NewSession()
		f, err := open.Framed(c, framer+"/frame?src="+urlQuery(p.url))
		c.Require(err, "open the framing page")
		// A frame kept empty is the server's doing only when its answer
		// says so: a frame the browser never got an answer into, or one
		// that holds a server error, tells nothing.
		var doc *evidence.Step
		if f.Blocked || f.Controls == 0 && !f.TopMoved {
			doc = framedAnswer(open.Steps(), framer)
			switch {
			case doc == nil:
				c.Fatalf("%s got no answer in the frame (the frame holds %q)", p.name, f.URL)
			case doc.Status >= http.StatusInternalServerError || steps.Untelling(doc.Status):
				c.Fatalf("%s was answered %d %s in the frame, which tells nothing of its framing", p.name, doc.Status, http.StatusText(doc.Status))
			}
		}
		switch {
		case f.Blocked:
			prot, why := framingOf(doc.Header)
			if prot == unprotected {
				c.Fatalf("%s did not render in a frame of another origin, but its answer (%d at %s) has %s: what kept it out is not known", p.name, doc.Status, doc.URL, why)
			}
			c.Pass("%s did not render in a frame of another origin (%s)", p.name, why)
		case f.Controls > 0:
			c.Screenshot(open, p.name+" framed by another origin")
			c.Fail("RFC 9700 §4.16", "%s rendered in a frame of another origin, with %d form controls a clickjacker can overlay", p.name, f.Controls)
		case f.TopMoved:
			// Script frame-busting: a sandboxed frame may not move the top.
			c.Note("frame %s again, in a sandbox without allow-top-navigation", p.name)
			sandboxed := c.NewSession()
			g, err := sandboxed.Framed(c, framer+"/frame?sandbox=1&src="+urlQuery(p.url))
			c.Require(err, "open the sandboxed framing page")
			if !g.Blocked && g.Controls > 0 {
				c.Screenshot(sandboxed, p.name+" framed in a sandbox")
				c.Warn("RFC 9700 §4.16", "%s is kept out of frames by script only: in a sandboxed frame it rendered with %d form controls", p.name, g.Controls)
			} else {
				c.Pass("%s broke out of a frame by script, and did not render in a sandboxed one either", p.name)
			}
		default:
			c.Pass("%s stayed blank in a frame of another origin", p.name)
		}
	}
}, check.Control("framing-allowed", check.Fail))

// framedAnswer is the last document that the browser loaded in steps other
// than the framing page's own: the answer of the framed page's side, or
// nil.
func framedAnswer(ss []evidence.Step, framer string) *evidence.Step {
	var last *evidence.Step
	for i := range ss {
		if st := &ss[i]; st.Kind == evidence.StepDocument && !strings.HasPrefix(st.URL, framer) {
			last = st
		}
	}
	return last
}

// serveFramer serves, until the check ends, the page of another origin
// that frames a URL: /frame?src=URL, in a sandbox with sandbox=1.
func serveFramer(c *check.C) string {
	ln, err := net.Listen("tcp", framerAddr)
	c.Require(err, "listen on a second loopback address for the framing page")
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attrs := ""
		if r.URL.Query().Get("sandbox") != "" {
			attrs = ` sandbox="allow-forms allow-scripts allow-same-origin"`
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>oauthcheck framing page</title><iframe src="%s" width="900" height="700"%s></iframe>`,
			html.EscapeString(r.URL.Query().Get("src")), attrs)
	})}
	go srv.Serve(ln)
	go func() { <-c.Done(); srv.Close() }()
	return "http://" + ln.Addr().String()
}
