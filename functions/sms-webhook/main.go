// Command sms-webhook is the checkpoint-relay "sms-webhook" Lambda. It only wires:
// internal/app builds the handler from the environment at cold start, the
// same way the local stack does.
package main

import "github.com/checkpoint-relay/checkpoint-relay/internal/app"

func main() { app.Main(app.SMSWebhook()) }
