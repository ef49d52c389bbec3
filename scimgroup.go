package frontdesk

import "time"

// SCIMGroup is a group an identity provider pushes over SCIM (B6). It is kept as the
// provider sends it; what it gives its members is decided by the scim_groups setting and the
// association in the group: a custom staff role or an organization, found by the group's
// name when the group is created or renamed.
type SCIMGroup struct {
	ID             int64  `json:"id"`
	DisplayName    string `json:"display_name"`
	ExternalID     string `json:"external_id"`
	StaffRoleID    *int64 `json:"staff_role_id"`
	OrganizationID *int64 `json:"organization_id"`
	// Version grows with every change; it makes the group's ETag.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Members are the people in the group, in id order; filled only where asked.
	Members []SCIMMember `json:"-"`
}

// SCIMGroupMappingInput is what staff associate with a SCIM group by hand: the custom staff role
// or organization it gives its members, instead of the one of its name.
type SCIMGroupMappingInput struct {
	StaffRoleID    Ref `json:"staff_role_id"`
	OrganizationID Ref `json:"organization_id"`
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
