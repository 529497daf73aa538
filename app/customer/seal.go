package customer

// Seal encrypts a customer's street address, phone and ID number into c and sets the phone's
// lookup hash, exactly as a create does; c.TenantID and c.ID must be set. It serves bulk
// writers outside this package (crm seed), which must seal with the server's keys.
func (s *Service) Seal(c *Customer, street, phone, idNumber string) error {
	return s.seal(c, street, phone, idNumber)
}
