package service

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// A token is bound to its purpose and to the server's key: one signed for another purpose
// (a survey link, say) or under another secret does not verify as a sign-off token.
func TestTokenBinding(t *testing.T) {
	s := &Service{LinkKey: LinkKey("a secret key long enough for links")}
	c := claims{Tenant: uuid.New(), Order: uuid.New(), Link: uuid.New(), Expires: time.Now().Add(time.Hour).Truncate(time.Second).UTC()}
	got, err := s.parse(PurposeSignOff, s.token(PurposeSignOff, c))
	if err != nil || got != c {
		t.Fatalf("round trip: %+v %v, want %+v", got, err, c)
	}
	if _, err := s.parse(PurposeSignOff, s.token("survey", c)); err == nil {
		t.Error("a token of another purpose verified")
	}
	other := &Service{LinkKey: LinkKey("another server's secret key")}
	if _, err := s.parse(PurposeSignOff, other.token(PurposeSignOff, c)); err == nil {
		t.Error("a token under another key verified")
	}
	if _, err := (&Service{}).parse(PurposeSignOff, s.token(PurposeSignOff, c)); err == nil {
		t.Error("a server without a key verified a token")
	}
}
