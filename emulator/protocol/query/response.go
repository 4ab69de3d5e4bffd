package query

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// NewRequestID returns a random UUID (version 4), the form AWS uses for
// request ids.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Timestamp formats t the way AWS Query services do (UTC, milliseconds).
func Timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// WriteResult writes a successful Query response:
//
//	<{Action}Response xmlns="{xmlns}">
//	  <{Action}Result>...result's fields...</{Action}Result>
//	  <ResponseMetadata><RequestId>{requestID}</RequestId></ResponseMetadata>
//	</{Action}Response>
//
// result is a struct whose fields carry encoding/xml tags for the members of
// the result; a nil result writes no Result element (operations with no
// output, such as DeleteCacheParameterGroup).
func WriteResult(w http.ResponseWriter, action, xmlns, requestID string, result any) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, action, xmlns)
	if result != nil {
		enc := xml.NewEncoder(&buf)
		start := xml.StartElement{Name: xml.Name{Local: action + "Result"}}
		if err := enc.EncodeElement(result, start); err != nil {
			slog.Error("encode query result", "action", action, "err", err)
			WriteError(w, http.StatusInternalServerError, xmlns, "InternalFailure", "the emulator could not encode the response: "+err.Error(), requestID)
			return
		}
		if err := enc.Flush(); err != nil {
			slog.Error("flush query result", "action", action, "err", err)
		}
	}
	fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, requestID, action)
	writeXML(w, http.StatusOK, requestID, buf.Bytes())
}

// WriteError writes a Query error response:
//
//	<ErrorResponse xmlns="{xmlns}">
//	  <Error><Type>Sender|Receiver</Type><Code>..</Code><Message>..</Message></Error>
//	  <RequestId>..</RequestId>
//	</ErrorResponse>
//
// Type is Receiver for 5xx statuses and Sender otherwise, as AWS does.
func WriteError(w http.ResponseWriter, status int, xmlns, code, message, requestID string) {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		xmlns, typ, escape(code), escape(message), requestID)
	writeXML(w, status, requestID, buf.Bytes())
}

// WriteEC2Result writes a successful response in the EC2 dialect:
//
//	<{Action}Response xmlns="{xmlns}">
//	  <requestId>..</requestId>
//	  ...result's fields...
//	</{Action}Response>
//
// EC2 has no Result wrapper; result's fields are the children of the
// Response element, named lowerCamelCase with <item> list members.
func WriteEC2Result(w http.ResponseWriter, action, xmlns, requestID string, result any) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s"><requestId>%s</requestId>`, action, xmlns, requestID)
	if result != nil {
		inner, err := innerXML(result)
		if err != nil {
			slog.Error("encode ec2 result", "action", action, "err", err)
			WriteEC2Error(w, http.StatusInternalServerError, "InternalError", "the emulator could not encode the response: "+err.Error(), requestID)
			return
		}
		buf.Write(inner)
	}
	fmt.Fprintf(&buf, `</%sResponse>`, action)
	writeXML(w, http.StatusOK, requestID, buf.Bytes())
}

// innerXML marshals v's fields without an enclosing element. v must not
// carry an XMLName field or attributes.
func innerXML(v any) ([]byte, error) {
	const open, closing = "<x>", "</x>"
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	if err := enc.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: "x"}}); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if bytes.Equal(b, []byte("<x></x>")) {
		return nil, nil
	}
	if !bytes.HasPrefix(b, []byte(open)) || !bytes.HasSuffix(b, []byte(closing)) {
		return nil, fmt.Errorf("result type %T must not set its own element name or attributes", v)
	}
	return b[len(open) : len(b)-len(closing)], nil
}

// WriteEC2Error writes an error in the EC2 dialect:
//
//	<Response><Errors><Error><Code>..</Code><Message>..</Message></Error></Errors><RequestID>..</RequestID></Response>
func WriteEC2Error(w http.ResponseWriter, status int, code, message, requestID string) {
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`,
		escape(code), escape(message), requestID)
	writeXML(w, status, requestID, []byte(body))
}

func writeXML(w http.ResponseWriter, status int, requestID string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func escape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
