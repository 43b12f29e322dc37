package steps

import (
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/target"
)

// FuzzParseDevice: whatever a device authorization endpoint answers,
// parsing never panics, and the lifetimes it yields make sense: an
// interval that is positive and a lifetime that is not negative, both
// bounded, so that no wait hangs or overflows.
func FuzzParseDevice(f *testing.F) {
	f.Add([]byte(`{"device_code":"d","user_code":"U","verification_uri":"https://x/device","expires_in":1800,"interval":5}`))
	f.Add([]byte(`{"expires_in":-1,"interval":0}`))
	f.Add([]byte(`{"expires_in":1e300,"interval":1e300}`))
	f.Add([]byte(`{"interval":"5"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d := ParseDevice(&target.Client{ID: "d"}, &client.Response{Status: 200, Body: body}, time.Now())
		if d.Interval <= 0 || d.Interval > 48*time.Hour {
			t.Fatalf("interval %s from %q", d.Interval, body)
		}
		if d.ExpiresIn < 0 || d.ExpiresIn > 48*time.Hour {
			t.Fatalf("expires_in %s from %q", d.ExpiresIn, body)
		}
	})
}
