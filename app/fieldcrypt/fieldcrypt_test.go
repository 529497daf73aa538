package fieldcrypt_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/smecrm/crm/app/fieldcrypt"
)

func TestSealOpenRoundTripAndBinding(t *testing.T) {
	k, err := fieldcrypt.FromSecret("a test secret that is long enough")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal("13800138000", "tenant-a/phone")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "13800138000") || !strings.HasPrefix(sealed, "k1.") {
		t.Fatalf("sealed value leaks or lacks key id: %q", sealed)
	}
	got, err := k.Open(sealed, "tenant-a/phone")
	if err != nil || got != "13800138000" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := k.Open(sealed, "tenant-b/phone"); err == nil {
		t.Fatal("a value moved to another tenant must not open")
	}
	again, _ := k.Seal("13800138000", "tenant-a/phone")
	if again == sealed {
		t.Fatal("sealing twice must use a fresh nonce")
	}
}

func TestKeyRotation(t *testing.T) {
	secret := "a test secret that is long enough"
	old, _ := fieldcrypt.FromSpec("k1:"+strings.Repeat("11", 32), secret)
	sealed, _ := old.Seal("广东省深圳市南山区", "x")
	rotated, err := fieldcrypt.FromSpec("k1:"+strings.Repeat("11", 32)+",k2:"+strings.Repeat("22", 32), secret)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(sealed, "x"); err != nil || got != "广东省深圳市南山区" {
		t.Fatalf("old value after rotation = %q, %v", got, err)
	}
	fresh, _ := rotated.Seal("v", "x")
	if !strings.HasPrefix(fresh, "k2.") {
		t.Fatalf("new values must use the newest key: %q", fresh)
	}
	dropped, _ := fieldcrypt.FromSpec("k2:"+strings.Repeat("22", 32), secret)
	if _, err := dropped.Open(sealed, "x"); !errors.Is(err, fieldcrypt.ErrUnknownKey) {
		t.Fatalf("open with a removed key: %v, want ErrUnknownKey", err)
	}
	if _, err := fieldcrypt.FromSpec("k1:abcd", secret); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestPhoneHash(t *testing.T) {
	k, _ := fieldcrypt.FromSecret("a test secret that is long enough")
	a := k.PhoneHash("t1", "138-0013-8000")
	if a == "" || a != k.PhoneHash("t1", "+86 138 0013 8000") || a != k.PhoneHash("t1", "0086(138)00138000") {
		t.Fatal("formatting variants of one number must hash alike")
	}
	if a == k.PhoneHash("t2", "13800138000") {
		t.Fatal("hashes must differ between tenants")
	}
	if a == k.PhoneHash("t1", "13800138001") {
		t.Fatal("different numbers must differ")
	}
	if k.PhoneHash("t1", " - ") != "" {
		t.Fatal("no digits, no hash")
	}
}
