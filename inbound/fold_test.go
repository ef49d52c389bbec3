package inbound

import "testing"

// T2: quoted history and signatures are folded away below what the author wrote.
func TestFoldSplitsQuotedHistory_T2(t *testing.T) {
	cases := []struct{ name, in, reply, folded string }{
		{"gmail", "Thanks!\n\nOn Tue, Dec 1, 2026 at 10:00 AM Desk <support@desk.example> wrote:\n> Fixed.\n> Bye",
			"Thanks!", "On Tue, Dec 1, 2026 at 10:00 AM Desk <support@desk.example> wrote:\n> Fixed.\n> Bye"},
		{"wrapped attribution", "Yes.\n\nOn Tue, Dec 1, 2026 at 10:00 AM Desk\n<support@desk.example> wrote:\n> Fixed?",
			"Yes.", "On Tue, Dec 1, 2026 at 10:00 AM Desk\n<support@desk.example> wrote:\n> Fixed?"},
		{"outlook", "Works now.\n\n-----Original Message-----\nFrom: Desk\nSent: Tuesday\nSubject: Re: x",
			"Works now.", "-----Original Message-----\nFrom: Desk\nSent: Tuesday\nSubject: Re: x"},
		{"outlook header block", "Ok\n\nFrom: Desk <support@desk.example>\nSent: Tuesday, December 1, 2026\nTo: me",
			"Ok", "From: Desk <support@desk.example>\nSent: Tuesday, December 1, 2026\nTo: me"},
		{"signature", "See you.\n-- \nAnn Example\nACME Ltd", "See you.", "-- \nAnn Example\nACME Ltd"},
		{"german", "Danke.\n\nAm 01.12.2026 um 10:00 schrieb Desk <support@desk.example>:\n> Hallo", "Danke.",
			"Am 01.12.2026 um 10:00 schrieb Desk <support@desk.example>:\n> Hallo"},
		{"mobile", "Sure\n\nSent from my iPhone", "Sure", "Sent from my iPhone"},
		{"trailing quote", "My answer\n\n> your question\n> more", "My answer", "> your question\n> more"},
		{"interleaved quote stays", "> q1\na1\n> q2\na2", "> q1\na1\n> q2\na2", ""},
		{"nothing above stays whole", "On Tue someone wrote:\n> hi", "On Tue someone wrote:\n> hi", ""},
		{"plain", "Just text.\nTwo lines.", "Just text.\nTwo lines.", ""},
	}
	for _, c := range cases {
		reply, folded := Fold(c.in)
		if reply != c.reply || folded != c.folded {
			t.Errorf("%s:\nreply  %q\nfolded %q\nwant   %q / %q", c.name, reply, folded, c.reply, c.folded)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	got := htmlToText(`<div>Line one<br>Line two</div><ul><li>a</li><li>b</li></ul><p>x &amp; y</p><style>.a{}</style>`)
	want := "Line one\nLine two\n\n- a\n- b\n\nx & y"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// Parsing never panics, whatever the bytes (C8: malformed mail never crashes the worker).
func FuzzParse(f *testing.F) {
	f.Add([]byte("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--x--"))
	f.Add([]byte("Subject: =?x-unknown?Q?hi?=\r\n\r\nbody"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p := Parse(raw, 1<<20, false)
		Fold(p.Text)
		Parse(raw, 1<<20, true)
		AutoReply(p.Header, false)
	})
}
