package reference_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/reference"
)

// The probes of the weaknesses in weakness_device.go.
func init() {
	weaknessProbes = append(weaknessProbes, weaknessProbe{
		weakness: reference.DeviceNoPending,
		// The device-slow-down-strict probe reads authorization_pending as
		// "not slowed down"; without it, that probe cannot hold.
		implies: []reference.Weakness{reference.DeviceSlowDownStrict},
		reason:  "RFC 8628 §3.5: a poll before the user answers gets 400 authorization_pending",
		probe: func(t *testing.T, e *env) bool {
			r := e.pollDevice(t, reference.RoleDevice, e.startDevice(t, reference.RoleDevice))
			return r.Status == http.StatusBadRequest && r.Error() == "authorization_pending"
		},
	}, weaknessProbe{
		weakness: reference.DeviceDenyIgnored,
		reason:   "RFC 8628 §3.5: after the user denies, polls get access_denied",
		probe: func(t *testing.T, e *env) bool {
			d := e.startDevice(t, reference.RoleDevice)
			e.decideDevice(t, d, "deny")
			return e.pollDevice(t, reference.RoleDevice, d).Error() == "access_denied"
		},
	}, weaknessProbe{
		weakness: reference.DeviceNoExpiry,
		reason:   "RFC 8628 §3.2, §3.5: after expires_in, polls get expired_token and the user code is unknown",
		probe: func(t *testing.T, e *env) bool {
			d := e.startDevice(t, reference.RoleDevice)
			e.clock.Advance(e.cfg.DeviceTTL + time.Second)
			expired := e.pollDevice(t, reference.RoleDevice, d).Error() == "expired_token"
			b, page := e.deviceLogin(t)
			return expired && b.submitUserCode(t, page, d.UserCode).Status == http.StatusBadRequest
		},
	}, weaknessProbe{
		weakness: reference.DeviceNotClientBound,
		reason:   "RFC 8628 §3.4: another client cannot redeem the device_code",
		probe: func(t *testing.T, e *env) bool {
			d := e.startDevice(t, reference.RoleDevice)
			e.decideDevice(t, d, "approve")
			return !ok(e.pollDevice(t, reference.RoleDevice2, d))
		},
	}, weaknessProbe{
		weakness: reference.DeviceWeakUserCode,
		reason:   "RFC 8628 §5.1: a user code is XXXX-XXXX from a 20-letter alphabet (34.5 bits)",
		probe: func(t *testing.T, e *env) bool {
			return userCodeRE.MatchString(e.startDevice(t, reference.RoleDevice).UserCode)
		},
	}, weaknessProbe{
		weakness: reference.DeviceNoNormalisation,
		reason:   "RFC 8628 §6.1: a user code typed in lower case without the dash is recognised",
		probe: func(t *testing.T, e *env) bool {
			d := e.startDevice(t, reference.RoleDevice)
			b, page := e.deviceLogin(t)
			r := b.submitUserCode(t, page, strings.ToLower(strings.ReplaceAll(d.UserCode, "-", "")))
			return r.Status == http.StatusOK && strings.Contains(string(r.Body), `id="device-decide-form"`)
		},
	}, weaknessProbe{
		weakness: reference.DeviceCompleteAutoApprove,
		reason:   "RFC 8628 §5.4: opening verification_uri_complete with a session approves nothing by itself",
		probe: func(t *testing.T, e *env) bool {
			d := e.startDevice(t, reference.RoleDevice)
			b, _ := e.deviceLogin(t)
			b.get(t, d.VerificationURIComplete)
			return !ok(e.pollDevice(t, reference.RoleDevice, d))
		},
	}, weaknessProbe{
		weakness: reference.DeviceAuthzIncomplete,
		reason:   "RFC 8628 §3.2: device_code, user_code, verification_uri and expires_in are REQUIRED",
		probe: func(t *testing.T, e *env) bool {
			m := e.post(t, "/device_authorization", nil, e.as(t, reference.RoleDevice)).JSON(t)
			for _, k := range []string{"device_code", "user_code", "verification_uri", "expires_in"} {
				if _, ok := m[k]; !ok {
					return false
				}
			}
			return true
		},
	})
}
