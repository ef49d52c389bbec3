package api_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"strings"

	"frontdesk"
	"frontdesk/store"
)

// walkImports requests the import routes (B1-B4) for the OpenAPI walk: every status each
// documents. No runner runs here: an upload's job stays queued.
func (c *oaChecker) walkImports(collab string) {
	t, s, owner := c.t, c.s, c.s.token
	p := func(format string, args ...any) string { return fmt.Sprintf(format, args...) }
	sys := frontdesk.WithActor(context.Background(), frontdesk.System)
	org := &frontdesk.Organization{Name: "Import Org", Domains: []string{}}
	if err := s.db.CreateOrganization(sys, org); err != nil {
		t.Fatal(err)
	}
	if err := s.db.CreateSite(sys, &frontdesk.Site{OrganizationID: org.ID, Name: "Main"}); err != nil {
		t.Fatal(err)
	}
	csv := []byte("name,email,phone,organization,site,external_id,shoe_size\nAda,ada@import.example,,Import Org,Main,,42\n")

	// A raw body, the options in the query.
	raw := c.do(owner, "POST", "/api/v1/imports?kind=people&dry_run=false&key=email&send_welcome=false&filename=people.csv", csv, "Content-Type", "text/csv")
	if raw.Status != 202 || !strings.HasPrefix(raw.Header.Get("Location"), "/api/v1/imports/") {
		t.Fatalf("raw upload: %d %v %s", raw.Status, raw.Header, raw.Body)
	}
	first := raw.JSON(t)
	id := oaID(t, first)
	if job, _ := first["job"].(map[string]any); job == nil || job["state"] != "queued" || job["kind"] != "import" {
		t.Errorf("the upload's job: %v", first["job"])
	}
	// multipart/form-data, the fields before the file.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("kind", "people")
	mw.WriteField("dry_run", "true")
	fw, _ := mw.CreateFormFile("file", "dry.csv")
	fw.Write(csv)
	mw.Close()
	dry := c.expect(202, owner, "POST", "/api/v1/imports", form.Bytes(), "Content-Type", mw.FormDataContentType())
	if opts, _ := dry["options"].(map[string]any); opts["dry_run"] != true || dry["file_name"] != "dry.csv" {
		t.Errorf("multipart upload: %v", dry)
	}
	c.expect(400, owner, "POST", "/api/v1/imports", []byte("--x\r\nnot a part"), "Content-Type", "multipart/form-data; boundary=x")
	c.expect(422, owner, "POST", "/api/v1/imports?filename=people.csv", csv, "Content-Type", "text/csv")       // no kind
	c.expect(422, owner, "POST", "/api/v1/imports?kind=people&dry_run=maybe", csv, "Content-Type", "text/csv") // not a boolean
	c.expect(422, owner, "POST", "/api/v1/imports?kind=people", []byte("\x00\x01\x02 not a table"), "Content-Type", "application/octet-stream")
	c.expect(403, collab, "POST", "/api/v1/imports?kind=people", csv, "Content-Type", "text/csv")
	c.expect(401, "", "POST", "/api/v1/imports?kind=people", csv, "Content-Type", "text/csv")
	// Over the limit: by its Content-Length at once, or as it streams past it.
	c.expect(200, owner, "PATCH", "/api/v1/settings", oaObj{"import_max_mb": 1})
	big := append(append([]byte{}, csv...), bytes.Repeat([]byte("Bo,bo@import.example,,Import Org,Main,,1\n"), (1<<20)/40+1)...)
	tooBig := c.expect(413, owner, "POST", "/api/v1/imports?kind=people", big, "Content-Type", "text/csv")
	if !strings.Contains(fmt.Sprint(tooBig["detail"]), "import_max_mb") {
		t.Errorf("413 without the setting's name: %v", tooBig)
	}
	c.expect(413, owner, "POST", "/api/v1/imports?kind=people", append(big, bytes.Repeat([]byte("x"), 200<<10)...), "Content-Type", "text/csv")
	c.expect(200, owner, "PATCH", "/api/v1/settings", oaObj{"import_max_mb": 512})

	list := c.expect(200, owner, "GET", "/api/v1/imports?limit=1", nil)
	if data, _ := list["data"].([]any); len(data) != 1 || list["next_cursor"] == nil {
		t.Errorf("list limit=1: %v", list)
	}
	c.expect(422, owner, "GET", "/api/v1/imports?limit=0", nil)
	c.expect(403, collab, "GET", "/api/v1/imports", nil)
	c.expect(401, "", "GET", "/api/v1/imports", nil)
	got := c.expect(200, owner, "GET", p("/api/v1/imports/%d", id), nil)
	if links, _ := got["links"].(map[string]any); links["rejections"] != p("/api/v1/imports/%d/rejections", id) {
		t.Errorf("links: %v", got["links"])
	}
	c.expect(404, owner, "GET", "/api/v1/imports/999999", nil)
	c.expect(403, collab, "GET", p("/api/v1/imports/%d", id), nil)
	c.expect(401, "", "GET", p("/api/v1/imports/%d", id), nil)

	for _, f := range []string{"people.csv", "people.xlsx", "organizations.csv", "organizations.xlsx"} {
		r := c.do(owner, "GET", "/api/v1/imports/samples/"+f, nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("sample %s: %d %v", f, r.Status, r.Header)
		}
		if f == "people.csv" && !strings.HasPrefix(string(r.Body), "name,email,phone,organization,site,external_id") {
			t.Errorf("people sample: %s", r.Body)
		}
	}
	if r := c.do(owner, "GET", p("/api/v1/imports/%d/rejections", id), nil); r.Status != 200 || !strings.HasPrefix(string(r.Body), "line,column,reason") {
		t.Errorf("rejections: %d %s", r.Status, r.Body)
	}
	c.expect(404, owner, "GET", "/api/v1/imports/samples/tickets.csv", nil)
	c.expect(404, owner, "GET", "/api/v1/imports/999999/rejections", nil)
	c.expect(404, owner, "GET", p("/api/v1/imports/%d/other", id), nil)
	c.expect(403, collab, "GET", "/api/v1/imports/samples/people.csv", nil)
	c.expect(401, "", "GET", "/api/v1/imports/samples/people.csv", nil)

	c.expect(202, owner, "POST", p("/api/v1/imports/%d/retry", id), nil)
	local := &store.ImportRecord{Kind: "people", State: "failed", FileName: "local.csv", LocalPath: "/srv/local.csv", Options: `{"kind":"people"}`}
	if err := s.db.CreateImport(sys, local); err != nil {
		t.Fatal(err)
	}
	c.expect(409, owner, "POST", p("/api/v1/imports/%d/retry", local.ID), nil)
	c.expect(404, owner, "POST", "/api/v1/imports/999999/retry", nil)
	c.expect(403, collab, "POST", p("/api/v1/imports/%d/retry", id), nil)
	c.expect(401, "", "POST", p("/api/v1/imports/%d/retry", id), nil)
}
