package providersim

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

func (s *Simulator) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/accounts/checkpoint", s.postpressSolve)
	mux.HandleFunc("POST /v1/accounts/checkpoint/resend", s.postpressResend)
	mux.HandleFunc("POST /v2/checkpoint", s.linkupSolve)
	mux.HandleFunc("POST /v1/identities/{uid}/integrations/linkedin/checkpoint", s.edgesSolve)
	mux.HandleFunc("POST /_sim/accounts", s.controlSet)
	mux.HandleFunc("GET /_sim/accounts", s.controlList)
	mux.HandleFunc("DELETE /_sim/accounts", s.controlReset)
	mux.HandleFunc("GET /_sim/accounts/{api}/{id}", s.controlGet)
	mux.HandleFunc("POST /_sim/accounts/{api}/{id}/approve", s.controlApprove)
	mux.HandleFunc("POST /_sim/accounts/{api}/{id}/login", s.controlLogin)
	s.mux = mux
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes a bounded JSON object body into v.
func readJSON(r *http.Request, v any) bool {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	if err != nil || len(data) > maxRequestBytes {
		return false
	}
	return json.Unmarshal(data, v) == nil
}

// keyOK compares the API key header in constant time.
func (s *Simulator) keyOK(r *http.Request, api checkpoint.API, header string) (present, ok bool) {
	got := r.Header.Get(header)
	if got == "" {
		return false, false
	}
	return true, subtle.ConstantTimeCompare([]byte(got), []byte(s.keys[api])) == 1
}

// authFailed counts a refused call against the account it named, if any.
func (s *Simulator) authFailed(api checkpoint.API, id string) {
	if id == "" {
		return
	}
	s.mu.Lock()
	s.lookup(api, id).stats.AuthFailures++
	s.mu.Unlock()
}

// --- postpress: problem+json errors, success objects ---

func postpressError(w http.ResponseWriter, status int, typ, detail string) {
	writeJSON(w, status, "application/problem+json", map[string]any{
		"title": http.StatusText(status), "detail": detail, "instance": "sim_" + typ[strings.LastIndex(typ, "/")+1:],
		"type": typ, "status": status,
	})
}

type postpressBody struct {
	AccountID string `json:"account_id"`
	Provider  string `json:"provider"`
	Code      string `json:"code"`
}

var postpressProviders = map[string]bool{"LINKEDIN": true, "INSTAGRAM": true, "TWITTER": true, "MESSENGER": true}

// postpressRequest checks the key and the body shared by both routes. It
// answers the error itself and reports false when the call stops there.
func (s *Simulator) postpressRequest(w http.ResponseWriter, r *http.Request, needCode bool) (postpressBody, bool) {
	var b postpressBody
	decoded := readJSON(r, &b)
	present, ok := s.keyOK(r, checkpoint.APIPostpress, "X-API-KEY")
	if !ok {
		s.authFailed(checkpoint.APIPostpress, b.AccountID)
		if !present {
			postpressError(w, http.StatusUnauthorized, "errors/missing_credentials", "Some credentials are necessary to perform the request.")
		} else {
			postpressError(w, http.StatusUnauthorized, "errors/invalid_credentials", "The provided credentials are invalid.")
		}
		return b, false
	}
	switch {
	case !decoded:
		postpressError(w, http.StatusBadRequest, "errors/malformed_request", "The request body is not a JSON object.")
	case b.AccountID == "" || b.Provider == "" || (needCode && b.Code == ""):
		postpressError(w, http.StatusBadRequest, "errors/missing_parameters", "One or more request parameters are missing.")
	case !postpressProviders[b.Provider]:
		postpressError(w, http.StatusBadRequest, "errors/invalid_parameters", "provider must be one of LINKEDIN, INSTAGRAM, TWITTER, MESSENGER.")
	default:
		return b, true
	}
	return b, false
}

func (s *Simulator) postpressSolve(w http.ResponseWriter, r *http.Request) {
	b, ok := s.postpressRequest(w, r, true)
	if !ok {
		return
	}
	s.mu.Lock()
	acc := s.lookup(checkpoint.APIPostpress, b.AccountID)
	v := s.solve(acc, b.Code, b.Code == "TRY_ANOTHER_WAY")
	delay := s.solveDelay(acc)
	cp := acc.stats.Checkpoint
	s.mu.Unlock()
	// The account changed at once; only the answer is late.
	pause(r, delay)

	switch v {
	case vConnected:
		writeJSON(w, http.StatusCreated, "application/json", map[string]any{"object": "AccountCreated", "account_id": b.AccountID})
	case vChained, vSwitched:
		next := map[string]any{"type": cp}
		if cp == checkpoint.Type2FA {
			next["platform"] = "SMS"
		}
		writeJSON(w, http.StatusAccepted, "application/json", map[string]any{"object": "Checkpoint", "account_id": b.AccountID, "checkpoint": next})
	case vWrongCode:
		postpressError(w, http.StatusUnauthorized, "errors/invalid_checkpoint_solution", "The checkpoint resolution did not pass successfully. Please retry.")
	case vExpired:
		postpressError(w, http.StatusInternalServerError, "errors/authentication_intent_error", "The current authentication intent was killed after failure. Restart from the beginning.")
	case vOutage:
		postpressError(w, http.StatusServiceUnavailable, "errors/service_unavailable", "Service temporarily unavailable. Retry later.")
	default:
		// A poll never reaches here: postpress requires a code.
		postpressError(w, http.StatusInternalServerError, "errors/unexpected_error", "Something went wrong.")
	}
}

func (s *Simulator) postpressResend(w http.ResponseWriter, r *http.Request) {
	b, ok := s.postpressRequest(w, r, false)
	if !ok {
		return
	}
	if b.Provider == "TWITTER" {
		postpressError(w, http.StatusNotImplemented, "errors/feature_not_implemented", "Requested feature is planned but has not been implemented yet.")
		return
	}
	s.mu.Lock()
	acc := s.lookup(checkpoint.APIPostpress, b.AccountID)
	acc.stats.ResendCalls++
	outage := acc.spec.OutageNext > 0
	if outage {
		acc.spec.OutageNext--
		acc.stats.OutagesServed++
	}
	state := acc.stats.State
	unacknowledged := acc.spec.ResendUnacknowledged
	s.mu.Unlock()

	switch {
	case outage:
		postpressError(w, http.StatusServiceUnavailable, "errors/service_unavailable", "Service temporarily unavailable. Retry later.")
	case state == StateExpired || state == StateKilled:
		postpressError(w, http.StatusInternalServerError, "errors/authentication_intent_error", "The current authentication intent was killed after failure. Start again from the beginning.")
	case state == StateConnected:
		postpressError(w, http.StatusUnauthorized, "errors/checkpoint_error", "The checkpoint does not appear to be resolvable. Contact support if it persists.")
	default:
		writeJSON(w, http.StatusOK, "application/json", map[string]any{"object": "CheckpointResend", "account_id": b.AccountID, "success": !unacknowledged})
	}
}

// --- linkup: {success, data, metadata}; errors are success:false ---

func linkupError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, "application/json", map[string]any{"success": false, "message": message})
}

func linkupOK(w http.ResponseWriter, accountID string, data map[string]any) {
	data["account_id"] = accountID
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"success": true,
		"data":    data,
		"metadata": map[string]any{
			"action": "checkpoint", "credits_consumed": 1,
			"timestamp": "2025-01-15T10:32:00.000000",
		},
	})
}

func (s *Simulator) linkupSolve(w http.ResponseWriter, r *http.Request) {
	var b struct {
		AccountID string  `json:"account_id"`
		Code      *string `json:"code"`
	}
	decoded := readJSON(r, &b)
	if _, ok := s.keyOK(r, checkpoint.APILinkup, "x-api-key"); !ok {
		s.authFailed(checkpoint.APILinkup, b.AccountID)
		linkupError(w, http.StatusUnauthorized, "Invalid or missing API key")
		return
	}
	if !decoded || b.AccountID == "" {
		linkupError(w, http.StatusBadRequest, "account_id is required")
		return
	}
	code := ""
	if b.Code != nil {
		code = *b.Code
	}
	s.mu.Lock()
	acc := s.lookup(checkpoint.APILinkup, b.AccountID)
	v := s.solve(acc, code, false)
	delay := s.solveDelay(acc)
	cp := acc.stats.Checkpoint
	s.mu.Unlock()
	// The account changed at once; only the answer is late.
	pause(r, delay)

	switch v {
	case vConnected:
		linkupOK(w, b.AccountID, map[string]any{"status": "connected"})
	case vChained, vSwitched:
		linkupOK(w, b.AccountID, map[string]any{"status": "checkpoint_required", "challenge_type": cp})
	case vPending:
		linkupOK(w, b.AccountID, map[string]any{"status": "pending"})
	case vWrongCode:
		linkupError(w, http.StatusBadRequest, "Invalid verification code")
	case vExpired:
		linkupError(w, http.StatusBadRequest, "Session expired, please call /v2/login again")
	case vOutage:
		linkupError(w, http.StatusServiceUnavailable, "Service temporarily unavailable")
	default:
		linkupError(w, http.StatusInternalServerError, "Internal server error")
	}
}

// --- edges: the account object, or the error envelope ---

// edgesLabelStatus is the HTTP status the simulator gives the checkpoint
// labels, whose status the document does not give.
const edgesLabelStatus = http.StatusBadRequest

func edgesError(w http.ResponseWriter, status int, label, scope, message string) {
	writeJSON(w, status, "application/json", map[string]any{
		"error_label": label, "error_scope": scope, "error_ref": "ERR-SIM-" + label,
		"message": message, "status_code": status, "params": map[string]any{},
	})
}

func (s *Simulator) edgesSolve(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	var b struct {
		Code *string `json:"code"`
	}
	decoded := readJSON(r, &b)
	if _, ok := s.keyOK(r, checkpoint.APIEdges, "X-API-Key"); !ok {
		// Not an edges label the documents list: edges documents no
		// authentication error, so the simulator picks a plain one.
		s.authFailed(checkpoint.APIEdges, uid)
		edgesError(w, http.StatusUnauthorized, "UNAUTHORIZED", "auth", "Invalid or missing API key")
		return
	}
	if !decoded {
		edgesError(w, http.StatusBadRequest, "BAD_INPUT", "input", "The request body must be a JSON object.")
		return
	}
	code := ""
	if b.Code != nil {
		code = *b.Code
	}
	s.mu.Lock()
	acc := s.lookup(checkpoint.APIEdges, uid)
	v := s.solve(acc, code, false)
	delay := s.solveDelay(acc)
	s.mu.Unlock()
	// The account changed at once; only the answer is late.
	pause(r, delay)

	switch v {
	case vConnected:
		writeJSON(w, http.StatusOK, "application/json", map[string]any{
			"auth_type": "COOKIES", "setup_source": "API", "is_shared": false,
			"name": "Simulated LinkedIn account", "uid": "sim-" + uid,
			"integration_permalink": "linkedin", "created_at": "2025-10-01T00:00:00Z",
			"level": "Classic", "identity_uid": uid, "status": "VALID", "meta": map[string]any{},
		})
	case vPending:
		edgesError(w, edgesLabelStatus, "IN_APP_CHALLENGE_PENDING", "checkpoint", "The login has not been approved in the LinkedIn app yet.")
	case vWrongCode:
		edgesError(w, edgesLabelStatus, "INVALID_CODE", "checkpoint", "The provided code is incorrect.")
	case vExpired:
		if code == "" {
			edgesError(w, edgesLabelStatus, "IN_APP_CHALLENGE_EXPIRED", "checkpoint", "The in-app challenge expired. Restart the authentication.")
		} else {
			edgesError(w, edgesLabelStatus, "2FA_VALIDATION_EXPIRED", "checkpoint", "The validation expired. Restart the authentication.")
		}
	case vOutage:
		edgesError(w, http.StatusFailedDependency, "LK_ERROR", "integration", "LinkedIn answered with an error. Retry with backoff.")
	default:
		// edges has no chained answer and no TRY_ANOTHER_WAY.
		edgesError(w, http.StatusFailedDependency, "GENERIC_ERROR", "integration", "Something went wrong.")
	}
}

// --- the control API ---

type controlError struct {
	Error string `json:"error"`
}

func (s *Simulator) controlSet(w http.ResponseWriter, r *http.Request) {
	var a Account
	if !readJSON(r, &a) {
		writeJSON(w, http.StatusBadRequest, "application/json", controlError{"the body must be an Account JSON object"})
		return
	}
	if err := s.SetAccount(a); err != nil {
		writeJSON(w, http.StatusBadRequest, "application/json", controlError{err.Error()})
		return
	}
	st, _ := s.Stats(a.API, a.AccountID)
	writeJSON(w, http.StatusCreated, "application/json", st)
}

func (s *Simulator) controlList(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", s.AllStats())
}

func (s *Simulator) controlGet(w http.ResponseWriter, r *http.Request) {
	st, ok := s.Stats(checkpoint.API(r.PathValue("api")), r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, "application/json", controlError{"no such account"})
		return
	}
	writeJSON(w, http.StatusOK, "application/json", st)
}

func (s *Simulator) controlApprove(w http.ResponseWriter, r *http.Request) {
	st, err := s.Approve(checkpoint.API(r.PathValue("api")), r.PathValue("id"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, "application/json", controlError{err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, "application/json", st)
}

// controlLogin starts a new login (Login); the body, optional, is
// {"totp_secret": "..."}.
func (s *Simulator) controlLogin(w http.ResponseWriter, r *http.Request) {
	var b struct {
		TOTPSecret string `json:"totp_secret"`
	}
	if r.ContentLength != 0 && !readJSON(r, &b) {
		writeJSON(w, http.StatusBadRequest, "application/json", controlError{`the body, if any, must be {"totp_secret": "..."}`})
		return
	}
	api, id := checkpoint.API(r.PathValue("api")), r.PathValue("id")
	if err := s.Login(api, id, b.TOTPSecret); err != nil {
		writeJSON(w, http.StatusBadRequest, "application/json", controlError{err.Error()})
		return
	}
	st, _ := s.Stats(api, id)
	writeJSON(w, http.StatusOK, "application/json", st)
}

func (s *Simulator) controlReset(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}
