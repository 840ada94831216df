package httpapi

import (
	"errors"
	"net/http"

	"github.com/checkpoint-relay/checkpoint-relay/internal/apigw"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
	"github.com/checkpoint-relay/checkpoint-relay/internal/problem"
)

// webhookProblem maps the errors of package inbound (and the body limit)
// to the problem the sender gets, in one place:
//
//	bad or missing signature, credentials   401 errors/invalid_signature
//	stale timestamp, replayed token         401 errors/stale_request
//	SNS message for another topic           403 errors/forbidden
//	unreadable body                         400 errors/malformed_request
//	body or stored mail too large           413 errors/content_too_large
//	(Mailgun: 400 and 413 are answered 406, see webhookProblemFor)
//	source not configured (no secret)       404 errors/not_found
//	signing certificate or S3 unreachable   502 errors/upstream_unavailable
//
// A source without its secret answers 404, as a source the deployment does
// not use should; it is logged at error level so a forgotten secret shows.
func webhookProblem(err error) problem.Details {
	switch {
	case errors.Is(err, inbound.ErrSignature):
		return problem.ErrInvalidSignature("the request's signature or credentials do not verify")
	case errors.Is(err, inbound.ErrStale):
		return problem.New(http.StatusUnauthorized, "errors/stale_request",
			"the request's timestamp is outside the replay window or its token was used")
	case errors.Is(err, inbound.ErrTopic):
		return problem.ErrForbidden("the SNS topic is not the one this relay subscribes to")
	case errors.Is(err, inbound.ErrMalformed):
		return problem.ErrMalformed(err.Error())
	case errors.Is(err, inbound.ErrTooLarge), errors.Is(err, apigw.ErrBodyTooLarge):
		return problem.ErrTooLarge("the request or the mail it points to is too large")
	case errors.Is(err, inbound.ErrNotConfigured):
		return problem.ErrNotFound("this webhook source is not enabled")
	case errors.Is(err, inbound.ErrUpstream):
		return problem.New(http.StatusBadGateway, "errors/upstream_unavailable",
			"a resource the message points to could not be read; retry later")
	}
	return problem.ErrInternal("unexpected error")
}

// webhookProblemFor adapts webhookProblem to a sender's retry rules.
// Mailgun retries every answer but 200 and 406 for 8 hours; a body that is
// malformed or too large never gets better, so it is answered 406 there.
func webhookProblemFor(source string, err error) problem.Details {
	d := webhookProblem(err)
	if source == "mailgun" && (d.Status == http.StatusBadRequest || d.Status == http.StatusRequestEntityTooLarge) {
		d.Status, d.Title = http.StatusNotAcceptable, http.StatusText(http.StatusNotAcceptable)
	}
	return d
}
