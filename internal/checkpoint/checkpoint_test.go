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
