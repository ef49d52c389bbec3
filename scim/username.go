package scim

import "frontdesk"

// usernameOf and setUsername map SCIM's userName to the person's username.
func usernameOf(p *frontdesk.Person) string { return p.Username }

func setUsername(in *frontdesk.PersonInput, s string) { in.Username = &s }
