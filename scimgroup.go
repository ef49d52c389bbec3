package frontdesk

import "time"

// SCIMGroup is a group an identity provider pushes over SCIM (B6). It is kept as the
// provider sends it; what it gives its members is decided by the scim_groups setting and the
// association in the group: a custom staff role or an organization, found by the group's
// name when the group is created or renamed.
type SCIMGroup struct {
	ID             int64
	DisplayName    string
	ExternalID     string
	StaffRoleID    *int64
	OrganizationID *int64
	// Version grows with every change; it makes the group's ETag.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
	// Members are the ids of the people in the group, in id order; filled only where asked.
	Members []SCIMMember
}

// SCIMMember is one person in a SCIM group, with the name a provider shows.
type SCIMMember struct {
	PersonID int64
	Display  string
}

// CheckSCIMGroupName tidies a group's display name, which is required and one line.
func CheckSCIMGroupName(name string) (string, error) {
	var probs Problems
	n := CleanText(&probs, "displayName", name, 255, OneLine)
	if n == "" && !probs.Has("displayName") {
		probs.Add("displayName", "a group needs a display name of 1 to 255 characters")
	}
	return n, probs.Err()
}
