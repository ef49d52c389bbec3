package inbound

import (
	"bufio"
	"bytes"
	"context"
	"net/textproto"

	"frontdesk"
	"frontdesk/store"
)

// outcome is what processing made of a message; retry, when set, is a failure that is not
// the message's fault (the database), after which it is tried again.
type outcome struct {
	store.InboundOutcome
	retry error
}

// process decides what a stored message is and acts on it, inside the caller's transaction.
func (in *Inbox) process(ctx context.Context, m *frontdesk.InboundMessage, raw []byte) outcome {
	return outcome{InboundOutcome: store.InboundOutcome{State: frontdesk.InboundHeld, Reason: "processing is not built yet"}}
}

// headerMessageID reads the Message-ID header of a raw message, "" when it has none or its
// header cannot be read.
func headerMessageID(raw []byte) string {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		end = bytes.Index(raw, []byte("\n\n"))
	}
	if end < 0 {
		end = len(raw)
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(raw[:end:end], "\r\n\r\n"...)))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return ""
	}
	return h.Get("Message-Id")
}
