package opportunity

import "github.com/google/uuid"

// Key is the opportunity's ID (policies.Owned).
func (o Opportunity) Key() uuid.UUID { return o.ID }

// Owner is the opportunity's owner and their department (policies.Owned).
func (o Opportunity) Owner() (uuid.UUID, *uuid.UUID) { return o.OwnerID, o.DepartmentID }
