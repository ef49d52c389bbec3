package inbound

import (
	"bufio"
	"bytes"
	"context"
	netmail "net/mail"
	"net/textproto"
	"strings"

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
	return strings.TrimSpace(rawHeader(raw).Get("Message-Id"))
}

// Recipients returns the addresses a raw message was delivered to, as its headers say, in
// the order an MTA's pipe is best read: Delivered-To, X-Original-To, then To and Cc.
func Recipients(raw []byte) []string {
	h := rawHeader(raw)
	var out []string
	for _, k := range []string{"Delivered-To", "X-Original-To", "To", "Cc"} {
		for _, v := range h.Values(k) {
			list, err := netmail.ParseAddressList(v)
			if err != nil {
				if a, err := netmail.ParseAddress(v); err == nil {
					list = []*netmail.Address{a}
				}
			}
			for _, a := range list {
				out = append(out, a.Address)
			}
		}
	}
	return out
}

// rawHeader reads the header of a raw message as far as it can be read.
func rawHeader(raw []byte) textproto.MIMEHeader {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		end = bytes.Index(raw, []byte("\n\n"))
	}
	if end < 0 {
		end = len(raw)
	}
	h, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(raw[:end:end], "\r\n\r\n"...)))).ReadMIMEHeader()
	if h == nil {
		h = textproto.MIMEHeader{}
	}
	return h
}
