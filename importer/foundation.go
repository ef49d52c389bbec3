package importer

import "frontdesk"

// setUsername and markImported wait for the foundation's username and organization_source.
func setUsername(in *frontdesk.PersonInput, v string) {}

func markImported(p *frontdesk.Person, existing *frontdesk.Person) {}
