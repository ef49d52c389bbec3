package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"frontdesk"
)

// The console's ticket queue (T1, issue 8): tickets filtered by status, assignee and
// organization, one page at a time. The list comes from flow.ListTickets, which holds the
// permission check.

// ticketRow is one ticket in the queue with the names it shows.
type ticketRow struct {
	*frontdesk.Ticket
	Requester, Assignee string
}

type ticketsView struct {
	*page
	Statuses []frontdesk.TicketStatus
	// Agents are the active staff the assignee filter offers.
	Agents []*frontdesk.Person
	// Orgs offers the organizations in a list; with too many for one (OrgByID) the form asks
	// for an id.
	Orgs     []*frontdesk.Organization
	OrgByID  bool
	Tickets  []ticketRow
	Filtered bool
	// Next is the link to the following page, "" on the last.
	Next string
}

// ticketQueueKeys are the queue's filter parameters; the form keeps their values.
var ticketQueueKeys = []string{"status", "assignee_id", "organization_id"}

// tickets is the ticket queue, for staff with tickets.read. assignee_id=mine stands for the
// viewer; assignee=none (the select writes assignee_id=none) for nobody: the unassigned queue.
func (s *Server) tickets(w http.ResponseWriter, r *http.Request) {
	if !s.requirePermission(w, r, frontdesk.PermTicketsRead) {
		return
	}
	v := ticketsView{page: s.basePage(r, "Tickets"), Statuses: frontdesk.TicketStatuses}
	status := http.StatusOK
	if err := s.ticketQueue(r, &v); err != nil {
		status = s.fail(r, v.page, err)
	}
	s.render(w, status, "tickets", v)
}

// ticketQueue fills v: the form's choices first, so that a page with a bad filter still
// offers them, then the page of tickets.
func (s *Server) ticketQueue(r *http.Request, v *ticketsView) error {
	ctx := r.Context()
	q := url.Values{}
	for k, vs := range r.URL.Query() {
		if len(vs) > 0 && (slices.Contains(ticketQueueKeys, k) || k == "after" || k == "assignee") {
			q.Set(k, vs[0])
		}
	}
	// assignee=none, as the API writes it, is the select's "Nobody".
	if q.Get("assignee") == "none" && q.Get("assignee_id") == "" {
		q.Set("assignee_id", "none")
		q.Del("assignee")
	}
	for _, k := range ticketQueueKeys {
		if val := q.Get(k); val != "" {
			v.Values[k] = val
			v.Filtered = true
		}
	}
	staff, _, err := s.db.ListPeople(ctx, frontdesk.PersonFilter{Kind: "staff", States: []frontdesk.State{frontdesk.StateActive}},
		frontdesk.Page{Limit: frontdesk.MaxPageSize})
	if err != nil {
		return err
	}
	v.Agents = staff
	orgs, more, err := s.db.ListOrganizations(ctx, frontdesk.Page{Limit: frontdesk.MaxPageSize})
	if err != nil {
		return err
	}
	v.Orgs, v.OrgByID = orgs, more != 0

	pq := url.Values{}
	for _, k := range ticketQueueKeys {
		pq.Set(k, q.Get(k))
	}
	if a := q.Get("assignee"); a != "" {
		pq.Set("assignee", a)
	}
	if pq.Get("assignee_id") == "mine" {
		pq.Set("assignee_id", strconv.FormatInt(v.Viewer.ID, 10))
	}
	f, ferr := frontdesk.ParseTicketFilter(pq)
	var probs frontdesk.Problems
	if fe, ok := ferr.(*frontdesk.Error); ok {
		probs = fe.Fields
	} else if ferr != nil {
		return ferr
	}
	var after int64
	if a := q.Get("after"); a != "" {
		if after, err = strconv.ParseInt(a, 10, 64); err != nil || after < 0 {
			probs.Add("after", "must be the cursor of a page")
		}
	}
	if err := probs.Err(); err != nil {
		return err
	}
	// A former agent still holding tickets is not among the active staff; keep them choosable.
	if f.AssigneeID != 0 && !slices.ContainsFunc(v.Agents, func(p *frontdesk.Person) bool { return p.ID == f.AssigneeID }) {
		if p, err := s.db.GetPerson(ctx, f.AssigneeID); err == nil {
			v.Agents = append(v.Agents, p)
		}
	}

	list, next, err := s.flows.ListTickets(ctx, f, frontdesk.Page{After: after, Limit: frontdesk.DefaultPageSize})
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, p := range v.Agents {
		names[p.ID] = p.FullName()
	}
	name := func(id int64) string {
		if n, ok := names[id]; ok {
			return n
		}
		n := "person " + strconv.FormatInt(id, 10)
		if p, err := s.db.GetPerson(ctx, id); err == nil {
			n = p.FullName()
		}
		names[id] = n
		return n
	}
	for _, t := range list {
		row := ticketRow{Ticket: t, Requester: name(t.RequesterID)}
		if t.AssigneeID != nil {
			row.Assignee = name(*t.AssigneeID)
		}
		v.Tickets = append(v.Tickets, row)
	}
	if next != 0 {
		nq := url.Values{}
		for _, k := range ticketQueueKeys {
			if val := q.Get(k); val != "" {
				nq.Set(k, val)
			}
		}
		nq.Set("after", strconv.FormatInt(next, 10))
		v.Next = "/console/tickets?" + nq.Encode()
	}
	return nil
}
