// Package problem writes the relay's errors as RFC 9457 problem details
// (application/problem+json), the same envelope the postpress API uses, so an
// app that already handles postpress errors handles the relay's too.
package problem

import (
	"encoding/json"
	"net/http"
)

// ContentType is the media type of every error body the relay sends.
const ContentType = "application/problem+json"

// Details is one problem. Type is a relative identifier such as
// "errors/invalid_signature"; Status mirrors the HTTP status.
type Details struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Errors lists field-level problems of a rejected request body.
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError names one invalid field and why.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// New returns a problem whose title is the standard text of status.
func New(status int, typ, detail string) Details {
	return Details{Type: typ, Title: http.StatusText(status), Status: status, Detail: detail}
}

// Error lets a Details travel as an error through handler code.
func (d Details) Error() string {
	if d.Detail != "" {
		return d.Type + ": " + d.Detail
	}
	return d.Type
}

// JSON is the encoded body. Encoding a Details cannot fail.
func (d Details) JSON() []byte {
	b, _ := json.Marshal(d)
	return b
}

// Write sends d on a net/http response.
func Write(w http.ResponseWriter, d Details) {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(d.Status)
	_, _ = w.Write(d.JSON())
}

// Common problems, named once so handlers and tests agree on the type strings.
var (
	ErrMalformed        = func(detail string) Details { return New(http.StatusBadRequest, "errors/malformed_request", detail) }
	ErrInvalidParams    = func(detail string) Details { return New(http.StatusBadRequest, "errors/invalid_parameters", detail) }
	ErrUnauthorized     = func(detail string) Details { return New(http.StatusUnauthorized, "errors/missing_credentials", detail) }
	ErrInvalidSignature = func(detail string) Details { return New(http.StatusUnauthorized, "errors/invalid_signature", detail) }
	ErrForbidden        = func(detail string) Details { return New(http.StatusForbidden, "errors/forbidden", detail) }
	ErrNotFound         = func(detail string) Details { return New(http.StatusNotFound, "errors/not_found", detail) }
	ErrTooLarge         = func(detail string) Details {
		return New(http.StatusRequestEntityTooLarge, "errors/content_too_large", detail)
	}
	ErrUnsupportedMedia = func(detail string) Details {
		return New(http.StatusUnsupportedMediaType, "errors/unsupported_media_type", detail)
	}
	ErrInternal = func(detail string) Details {
		return New(http.StatusInternalServerError, "errors/unexpected_error", detail)
	}
)
