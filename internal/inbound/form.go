package inbound

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// maxFormValues bounds the number of fields read from one form body.
const maxFormValues = 1000

// readForm reads an application/x-www-form-urlencoded or multipart/form-data
// body into its text fields. File parts (attachments) are skipped: a code
// never arrives in one, and not buffering them keeps memory bounded.
func readForm(h http.Header, body []byte) (url.Values, error) {
	ct := h.Get("Content-Type")
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		if ct == "" {
			// A sender that omits the type: try the form encoding.
			mediaType = "application/x-www-form-urlencoded"
		} else {
			return nil, malformed("content type %q", ct)
		}
	}
	switch mediaType {
	case "application/x-www-form-urlencoded":
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, malformed("form body: %v", err)
		}
		return v, nil
	case "multipart/form-data":
		return readMultipart(body, params["boundary"])
	default:
		return nil, malformed("content type %s, want a form", mediaType)
	}
}

func readMultipart(body []byte, boundary string) (url.Values, error) {
	if boundary == "" {
		return nil, malformed("multipart body without boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	v := url.Values{}
	n := 0
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return v, nil
		}
		if err != nil {
			return nil, malformed("multipart body: %v", err)
		}
		name := p.FormName()
		if name == "" || p.FileName() != "" {
			continue
		}
		if n++; n > maxFormValues {
			return nil, malformed("too many form fields")
		}
		// The whole body is already bounded, so the part is too.
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, malformed("multipart field %s: %v", name, err)
		}
		v.Add(name, string(b))
	}
}

// isJSON reports whether the request body is declared as JSON.
func isJSON(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
