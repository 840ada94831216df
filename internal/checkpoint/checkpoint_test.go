package checkpoint

import "testing"

func TestModeForDrivesEachTypeTheWayItsAPIAllows(t *testing.T) {
	for _, tc := range []struct {
		api  API
		typ  Type
		totp bool
		want Mode
	}{
		{APIPostpress, Type2FA, false, ModeCode},
		{APIPostpress, Type2FA, true, ModeTOTP},
		{APILinkup, TypeCodeChallenge, true, ModeTOTP},
		{APIPostpress, TypeOTP, true, ModeCode}, // an SMS code cannot be generated
		{APIEdges, TypeEmail, false, ModeCode},
		{APIEdges, TypeInAppValidation, false, ModePoll},
		{APILinkup, TypeAppChallenge, false, ModePoll},
		{APIPostpress, TypeInAppValidation, false, ModeCode}, // postpress cannot poll
		{APIEdges, TypeOTPOrInAppValidation, false, ModePollOrCode},
		{APIPostpress, TypeOTPOrInAppValidation, false, ModeCode},
		{APIEdges, TypeCaptcha, true, ModeHuman},
		{APIEdges, TypeLoginForm, false, ModeHuman},
		{APIPostpress, TypeUnknown, false, ModeHuman},
		{APIEdges, TypePhoneRegister, false, ModeCode},
	} {
		if got := ModeFor(tc.api, tc.typ, tc.totp); got != tc.want {
			t.Errorf("ModeFor(%s, %s, totp=%v) = %s, want %s", tc.api, tc.typ, tc.totp, got, tc.want)
		}
	}
}

func TestOnlyPostpressResendsAndNotForTwitter(t *testing.T) {
	for _, tc := range []struct {
		api  API
		p    Provider
		want bool
	}{
		{APIPostpress, ProviderLinkedIn, true},
		{APIPostpress, ProviderInstagram, true},
		{APIPostpress, ProviderTwitter, false},
		{APILinkup, ProviderLinkedIn, false},
		{APIEdges, ProviderLinkedIn, false},
	} {
		if got := tc.api.CanResend(tc.p); got != tc.want {
			t.Errorf("%s.CanResend(%s) = %v, want %v", tc.api, tc.p, got, tc.want)
		}
	}
}

func TestValidationOfTheVocabulary(t *testing.T) {
	if _, err := ParseAPI("unipile"); err == nil {
		t.Error("an unknown API parses")
	}
	if a, err := ParseAPI("edges"); err != nil || a != APIEdges {
		t.Errorf("ParseAPI(edges) = %v, %v", a, err)
	}
	if Type("SMS_OR_EMAIL").Valid() || !TypeAppChallenge.Valid() {
		t.Error("Type.Valid is wrong")
	}
	if Provider("linkedin").Valid() || !ProviderMessenger.Valid() {
		t.Error("Provider.Valid is wrong (names are upper case)")
	}
	if StatusPending.Final() || !StatusSuperseded.Final() {
		t.Error("Status.Final is wrong")
	}
}

// What each API supports, from its document in the seeds: postpress solves
// for every provider (its resend for all but TWITTER); linkup's /v2 API and
// edges' /integrations/linkedin/checkpoint are LinkedIn's, and neither
// has a resend endpoint. linkup names its checkpoints by challenge_type;
// the others by the upper-case types.
func TestEachAPISupportsItsDocumentedProvidersAndTypes(t *testing.T) {
	for _, tc := range []struct {
		api  API
		p    Provider
		want bool
	}{
		{APIPostpress, ProviderLinkedIn, true},
		{APIPostpress, ProviderInstagram, true},
		{APIPostpress, ProviderTwitter, true},
		{APIPostpress, ProviderMessenger, true},
		{APILinkup, ProviderLinkedIn, true},
		{APILinkup, ProviderInstagram, false},
		{APIEdges, ProviderLinkedIn, true},
		{APIEdges, ProviderInstagram, false},
		{APIEdges, ProviderTwitter, false},
		{APIEdges, ProviderMessenger, false},
	} {
		if got := tc.api.Supports(tc.p); got != tc.want {
			t.Errorf("%s.Supports(%s) = %v, want %v", tc.api, tc.p, got, tc.want)
		}
		if tc.api.CanResend(tc.p) && !tc.api.Supports(tc.p) {
			t.Errorf("%s resends for %s, which it does not support", tc.api, tc.p)
		}
	}
	for _, tc := range []struct {
		api  API
		typ  Type
		want bool
	}{
		{APIPostpress, Type2FA, true},
		{APIPostpress, TypeOTPOrInAppValidation, true},
		{APIPostpress, TypeCodeChallenge, false},
		{APIEdges, TypeEmail, true},
		{APIEdges, TypeAppChallenge, false},
		{APILinkup, TypeCodeChallenge, true},
		{APILinkup, TypeAppChallenge, true},
		{APILinkup, Type2FA, false},
		{APILinkup, TypeInAppValidation, false},
	} {
		if got := tc.api.SupportsType(tc.typ); got != tc.want {
			t.Errorf("%s.SupportsType(%s) = %v, want %v", tc.api, tc.typ, got, tc.want)
		}
	}
}
