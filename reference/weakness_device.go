package reference

// The weaknesses of the device authorization grant (RFC 8628) that the
// checks of CHECKS.md group 6 need besides those in weakness.go. Each
// switches off one protection in device.go.
const (
	DeviceNoPending           Weakness = "device-no-pending"
	DeviceDenyIgnored         Weakness = "device-deny-ignored"
	DeviceNoExpiry            Weakness = "device-no-expiry"
	DeviceNotClientBound      Weakness = "device-not-client-bound"
	DeviceWeakUserCode        Weakness = "device-weak-user-code"
	DeviceNoNormalisation     Weakness = "device-no-normalisation"
	DeviceCompleteAutoApprove Weakness = "device-complete-auto-approve"
	DeviceAuthzIncomplete     Weakness = "device-authz-incomplete"
)

func init() {
	weaknesses = append(weaknesses,
		WeaknessInfo{DeviceNoPending, "a poll before the user has answered gets authorization_pending, not invalid_grant (RFC 8628 §3.5)"},
		WeaknessInfo{DeviceDenyIgnored, "the user's denial ends the authorization: polls get access_denied (RFC 8628 §3.5)"},
		WeaknessInfo{DeviceNoExpiry, "device_code and user_code stop working after expires_in (RFC 8628 §3.2, §3.5)"},
		WeaknessInfo{DeviceNotClientBound, "a device_code is redeemed only by the client it was issued to (RFC 8628 §3.4)"},
		WeaknessInfo{DeviceWeakUserCode, "user codes are 8 letters of a 20-letter alphabet, about 34.5 bits, not 6 digits (RFC 8628 §5.1)"},
		WeaknessInfo{DeviceNoNormalisation, "a user code is accepted in any case, with or without the dash (RFC 8628 §6.1)"},
		WeaknessInfo{DeviceCompleteAutoApprove, "verification_uri_complete shows the code and waits for the user's click; it approves nothing by itself (RFC 8628 §5.4)"},
		WeaknessInfo{DeviceAuthzIncomplete, "the device authorization response has every REQUIRED member, expires_in included (RFC 8628 §3.2)"},
	)
}
