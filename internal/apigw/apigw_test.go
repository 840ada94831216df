package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestToEventShapesTheRequestAsAPIGatewayDoes(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "http://relay.example.com/v1/webhooks/sms/twilio?token=abc&x=1", strings.NewReader("Body=hi"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Twilio-Signature", "sig")
	r.Header.Add("Cookie", "a=1; b=2")
	r.RemoteAddr = "203.0.113.9:4711"
	ev, err := ToEvent(r, Route{Key: "POST /v1/webhooks/sms/twilio", PathParams: map[string]string{"p": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"version":     {ev.Version, "2.0"},
		"route key":   {ev.RouteKey, "POST /v1/webhooks/sms/twilio"},
		"raw path":    {ev.RawPath, "/v1/webhooks/sms/twilio"},
		"raw query":   {ev.RawQueryString, "token=abc&x=1"},
		"method":      {ev.RequestContext.HTTP.Method, "POST"},
		"source ip":   {ev.RequestContext.HTTP.SourceIP, "203.0.113.9"},
		"host header": {ev.Headers["host"], "relay.example.com"},
		"signature":   {ev.Headers["x-twilio-signature"], "sig"},
		"query param": {ev.QueryStringParameters["token"], "abc"},
		"path param":  {ev.PathParameters["p"], "v"},
		"body":        {ev.Body, "Body=hi"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if ev.IsBase64Encoded {
		t.Error("a form body arrives as text")
	}
	if strings.Join(ev.Cookies, "|") != "a=1|b=2" {
		t.Errorf("cookies = %v: API Gateway v2 splits them out of the headers", ev.Cookies)
	}
	if _, ok := ev.Headers["cookie"]; ok {
		t.Error("the cookie header stays in the headers")
	}
	if got := Header(ev, "X-Twilio-Signature"); got != "sig" {
		t.Errorf("Header is not case-insensitive: %q", got)
	}
}

func TestBinaryBodiesArriveBase64Encoded(t *testing.T) {
	raw := []byte("--b\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n\x00\xff\r\n--b--\r\n")
	r := httptest.NewRequest(http.MethodPost, "/v1/webhooks/email/sendgrid", strings.NewReader(string(raw)))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	ev, err := ToEvent(r, Route{Key: "POST /v1/webhooks/email/sendgrid"})
	if err != nil {
		t.Fatal(err)
	}
	if !ev.IsBase64Encoded {
		t.Fatal("a multipart body must arrive base64-encoded")
	}
	got, err := Body(ev)
	if err != nil || string(got) != string(raw) {
		t.Fatalf("Body = %q, %v; want the original bytes", got, err)
	}
}

func TestBodyRefusesOversizedBodies(t *testing.T) {
	big := strings.Repeat("a", MaxBodyBytes+1)
	for name, ev := range map[string]events.APIGatewayV2HTTPRequest{
		"text":   {Body: big},
		"base64": {Body: base64.StdEncoding.EncodeToString([]byte(big)), IsBase64Encoded: true},
	} {
		if _, err := Body(ev); !errors.Is(err, ErrBodyTooLarge) {
			t.Errorf("%s: err = %v, want ErrBodyTooLarge", name, err)
		}
	}
	if b, err := Body(events.APIGatewayV2HTTPRequest{Body: strings.Repeat("a", MaxBodyBytes)}); err != nil || len(b) != MaxBodyBytes {
		t.Errorf("a body of exactly MaxBodyBytes is refused: %v", err)
	}
	if _, err := Body(events.APIGatewayV2HTTPRequest{Body: "%%%", IsBase64Encoded: true}); err == nil || errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("bad base64: err = %v", err)
	}
}

func TestHTTPHandlerServesTheHandlerAsTheGatewayWould(t *testing.T) {
	var seen events.APIGatewayV2HTTPRequest
	h := HTTPHandler("GET /c/{token}", func(r *http.Request) map[string]string {
		return map[string]string{"token": strings.TrimPrefix(r.URL.Path, "/c/")}
	}, func(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		seen = req
		resp := JSON(http.StatusCreated, map[string]string{"ok": "yes"})
		resp.Cookies = []string{"c=1; Path=/"}
		return resp, nil
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/c/tok123", nil))
	if seen.PathParameters["token"] != "tok123" || seen.RouteKey != "GET /c/{token}" {
		t.Fatalf("handler saw %+v", seen)
	}
	if rec.Code != http.StatusCreated || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Set-Cookie") != "c=1; Path=/" {
		t.Fatalf("response %d %v", rec.Code, rec.Header())
	}
	var body map[string]string
	if err := json.NewDecoder(rec.Body).Decode(&body); err != nil || body["ok"] != "yes" {
		t.Fatalf("body %v %v", body, err)
	}
}

func TestAFailingHandlerAnswersAProblemWithoutItsError(t *testing.T) {
	h := HTTPHandler("POST /x", nil, func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{}, errors.New("secret detail")
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", nil))
	b, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(string(b), "secret detail") {
		t.Fatal("the handler's error leaked into the response")
	}
}
