package main

import (
	"encoding/base32"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// path is one way a checkpoint is solved; every path ends connected.
type path string

const (
	// pathSMS: the code arrives in a Twilio-signed SMS webhook.
	pathSMS path = "sms"
	// pathEmail: the code arrives by the generic email webhook.
	pathEmail path = "email"
	// pathWrongThenRight: a wrong code, then the right one, both by the
	// generic SMS webhook (whose JSON answer says what became of each).
	pathWrongThenRight path = "wrong-right"
	// pathInApp: in-app approval on edges or linkup, found by polling.
	pathInApp path = "in-app"
	// pathTOTP: the relay generates the authenticator code itself.
	pathTOTP path = "totp"
	// pathResend: no code until the relay, after its wait, asks postpress
	// to resend; then the code arrives by Twilio SMS.
	pathResend path = "resend"
)

// paths lists every path in report order.
var paths = []path{pathSMS, pathEmail, pathWrongThenRight, pathInApp, pathTOTP, pathResend}

// defaultMix: mostly codes by SMS, as in production, with every other
// path well enough represented for its percentiles to mean something.
const defaultMix = "sms=55,email=15,wrong-right=10,in-app=8,totp=7,resend=5"

// areaCodes give every checkpoint its own valid NANP number, +1 NPA 555 xxxx.
var areaCodes = [...]string{"202", "212", "305", "312", "415", "512", "617", "702"}

// maxCheckpoints bounds a run by the phone numbers makePlans can hand out.
const maxCheckpoints = len(areaCodes) * 10000

// plan is everything one checkpoint of the load needs.
type plan struct {
	index     int
	path      path
	api       checkpoint.API
	provider  checkpoint.Provider
	typ       checkpoint.Type
	accountID string
	phone     string
	email     string
	// code is the right code the simulator expects; wrongCode a different
	// one. Neither is used on the TOTP and in-app paths.
	code, wrongCode string
	totpSecret      string
	// approveAfter is the poll that finds the in-app approval given.
	approveAfter int
}

// want is what a plan should have cost the provider.
type want struct {
	solveCalls, resendCalls, polls, wrongCodes int
}

func (p plan) want() want {
	switch p.path {
	case pathWrongThenRight:
		return want{solveCalls: 2, wrongCodes: 1}
	case pathInApp:
		return want{solveCalls: p.approveAfter, polls: p.approveAfter}
	case pathResend:
		return want{solveCalls: 1, resendCalls: 1}
	}
	return want{solveCalls: 1}
}

// parseMix reads "name=weight,...".
func parseMix(s string) (map[path]int, error) {
	mix := map[path]int{}
	total := 0
	for _, part := range strings.Split(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%q: want name=weight", part)
		}
		known := false
		for _, p := range paths {
			known = known || path(name) == p
		}
		if !known {
			return nil, fmt.Errorf("unknown path %q (known: %s)", name, strings.Join(pathNames(), ", "))
		}
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q: weight must be a whole number >= 0", part)
		}
		mix[path(name)] = n
		total += n
	}
	if total == 0 {
		return nil, fmt.Errorf("every weight is zero")
	}
	return mix, nil
}

func pathNames() []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = string(p)
	}
	return out
}

// makePlans splits n checkpoints between the paths by weight (largest
// remainder, so the counts add up to n) and shuffles them, so that every
// path is under load during the whole run rather than one after another.
func makePlans(n int, mix map[path]int, seed uint64) []plan {
	total := 0
	for _, w := range mix {
		total += w
	}
	type share struct {
		p    path
		n    int
		frac int
	}
	var shares []share
	given := 0
	for _, p := range paths {
		w := mix[p]
		shares = append(shares, share{p: p, n: n * w / total, frac: n * w % total})
		given += n * w / total
	}
	order := make([]int, len(shares))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return shares[order[a]].frac > shares[order[b]].frac })
	for i := 0; given < n; i++ {
		shares[order[i%len(order)]].n++
		given++
	}
	var kinds []path
	for _, s := range shares {
		for range s.n {
			kinds = append(kinds, s.p)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x10ad))
	rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })

	// A run id keeps the account ids of two runs against one long-lived
	// stack apart (the simulator and the account pointers remember); it
	// comes from the clock, not the seed, for that reason.
	run := strconv.FormatInt(time.Now().UnixNano()/1e6%(36*36*36*36), 36)
	plans := make([]plan, n)
	for i, k := range kinds {
		p := plan{
			index: i, path: k, provider: checkpoint.ProviderLinkedIn,
			accountID: fmt.Sprintf("load-%s-%05d", run, i),
			phone:     fmt.Sprintf("+1%s555%04d", areaCodes[i/10000], i%10000),
		}
		p.code = strconv.Itoa(100000 + rng.IntN(900000))
		for p.wrongCode == "" || p.wrongCode == p.code {
			p.wrongCode = strconv.Itoa(100000 + rng.IntN(900000))
		}
		// The APIs rotate within each path, so every client and every
		// simulated API carries a share of each path.
		switch k {
		case pathSMS, pathWrongThenRight:
			p.api, p.typ = rotate(i, codeTypes)
		case pathEmail:
			p.api, p.typ = rotate(i, emailTypes)
			p.email = fmt.Sprintf("load-%s-%05d@load.example.com", run, i)
			p.phone = ""
		case pathInApp:
			p.api, p.typ = rotate(i, inAppTypes)
			p.approveAfter = 2 + i%3
			p.phone = ""
		case pathTOTP:
			p.api, p.typ = rotate(i, totpTypes)
			secret := make([]byte, 20)
			for j := range secret {
				secret[j] = byte(rng.UintN(256))
			}
			p.totpSecret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
			p.phone = ""
		case pathResend:
			// Only postpress resends (and not for TWITTER).
			p.api, p.typ = checkpoint.APIPostpress, checkpoint.TypeOTP
		}
		plans[i] = p
	}
	return plans
}

type apiType struct {
	api checkpoint.API
	typ checkpoint.Type
}

var (
	codeTypes = []apiType{
		{checkpoint.APIPostpress, checkpoint.TypeOTP}, {checkpoint.APILinkup, checkpoint.TypeCodeChallenge},
		{checkpoint.APIEdges, checkpoint.Type2FA}, {checkpoint.APIPostpress, checkpoint.Type2FA},
	}
	emailTypes = []apiType{
		{checkpoint.APIPostpress, checkpoint.TypeEmail}, {checkpoint.APILinkup, checkpoint.TypeCodeChallenge},
		{checkpoint.APIEdges, checkpoint.Type2FA},
	}
	inAppTypes = []apiType{
		{checkpoint.APIEdges, checkpoint.TypeInAppValidation}, {checkpoint.APILinkup, checkpoint.TypeAppChallenge},
	}
	totpTypes = []apiType{
		{checkpoint.APIPostpress, checkpoint.Type2FA}, {checkpoint.APIEdges, checkpoint.Type2FA},
		{checkpoint.APILinkup, checkpoint.TypeCodeChallenge},
	}
)

func rotate(i int, list []apiType) (checkpoint.API, checkpoint.Type) {
	at := list[i%len(list)]
	return at.api, at.typ
}

// describeMix is "550 sms, 150 email, ...".
func describeMix(plans []plan) string {
	count := map[path]int{}
	for _, p := range plans {
		count[p.path]++
	}
	var parts []string
	for _, p := range paths {
		if count[p] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[p], p))
		}
	}
	return strings.Join(parts, ", ")
}
