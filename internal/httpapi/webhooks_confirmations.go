package httpapi

import (
	"context"
	"errors"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
	"github.com/checkpoint-relay/checkpoint-relay/internal/forwarder"
	"github.com/checkpoint-relay/checkpoint-relay/internal/inbound"
	"github.com/checkpoint-relay/checkpoint-relay/internal/mailconfirm"
)

// statusForwardingConfirmation answers a mailbox's forwarding
// confirmation: kept for GET /v1/forwarding-confirmations, never solved.
const statusForwardingConfirmation = "forwarding_confirmation"

// Confirmations keeps forwarding confirmations (forwarder.Service).
type Confirmations interface {
	SaveConfirmation(ctx context.Context, address, messageID string, c forwarder.Confirmation) error
}

var _ Confirmations = (*forwarder.Service)(nil)

// forwardingConfirmation recognises Gmail's and Microsoft's forwarding
// confirmation mails.
func forwardingConfirmation(m inbound.Message) (mailconfirm.Confirmation, bool) {
	if m.Channel != checkpoint.ChannelEmail {
		return mailconfirm.Confirmation{}, false
	}
	return mailconfirm.Detect(mailconfirm.Mail{Raw: m.RawMIME, From: m.From, Subject: m.Subject,
		TextBody: m.TextBody, HTMLBody: m.HTMLBody})
}

// keepConfirmation stores a confirmation under the address of the mailbox
// that asked to forward: the one the mail names, else the mail's first
// recipient (a forwarder's own inbox). Its code and link stay sealed and
// out of the logs.
func (h *webhookHandler) keepConfirmation(ctx context.Context, source string, m inbound.Message, c mailconfirm.Confirmation) error {
	address := c.Requester
	if address == "" && len(m.Recipients) > 0 {
		address = m.Recipients[0]
	}
	if h.confirmations == nil || address == "" {
		h.log.WarnContext(ctx, "forwarding confirmation not kept", "channel", h.channel, "source", source,
			"message_id", m.MessageID, "provider", c.Provider)
		return nil
	}
	err := h.confirmations.SaveConfirmation(ctx, address, m.MessageID,
		forwarder.Confirmation{Provider: c.Provider, Code: c.Code, Link: c.Link, ReceivedAt: h.now().UTC()})
	if err != nil {
		h.log.ErrorContext(ctx, "forwarding confirmation: store failed", "source", source, "message_id", m.MessageID, "err", err)
		return errors.New("confirmation not stored")
	}
	h.log.InfoContext(ctx, "forwarding confirmation kept", "channel", h.channel, "source", source,
		"message_id", m.MessageID, "provider", c.Provider)
	return nil
}
