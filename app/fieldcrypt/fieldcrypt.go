// Package fieldcrypt encrypts sensitive fields at rest (IAM-8): phone numbers, ID numbers and
// individuals' addresses. Values are sealed with AES-256-GCM under a key named by an ID stored
// with the ciphertext, so keys can rotate: new values use the newest key, old ones stay
// readable while their key is configured. A keyed hash (HMAC-SHA256) of normalised phone
// numbers allows exact search and duplicate checks without decrypting.
package fieldcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/crypto/hkdf"
)

// Keys seals and opens field values.
type Keys struct {
	current string
	aeads   map[string]cipher.AEAD
	hashKey []byte
}

// FromSecret derives one encryption key (ID "k1") and the hash key from the server secret
// (CRM_SECRET_KEY) with HKDF.
func FromSecret(secret string) (*Keys, error) {
	if len(secret) < 16 {
		return nil, errors.New("fieldcrypt: secret key too short")
	}
	return FromSpec("k1:"+hex.EncodeToString(derive(secret, "crm field encryption k1")), secret)
}

// FromSpec parses CRM_ENCRYPTION_KEYS, "id:hexkey,id:hexkey,…" with the newest key last; the
// hash key is derived from secret (it must not change, or phone lookups break).
func FromSpec(spec, secret string) (*Keys, error) {
	k := &Keys{aeads: map[string]cipher.AEAD{}, hashKey: derive(secret, "crm phone hash")}
	for _, part := range strings.Split(spec, ",") {
		id, hx, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" || strings.ContainsAny(id, ".:") {
			return nil, fmt.Errorf("fieldcrypt: bad key entry %q (want id:hex)", part)
		}
		raw, err := hex.DecodeString(hx)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("fieldcrypt: key %s must be 32 bytes of hex", id)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.aeads[id] = aead
		k.current = id
	}
	return k, nil
}

func derive(secret, info string) []byte {
	out := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, []byte(secret), nil, []byte(info)), out); err != nil {
		panic(err)
	}
	return out
}

// Seal encrypts a value as "keyid.base64(nonce|ciphertext)"; the empty string stays empty.
// aad binds the ciphertext to its place (e.g. tenant and field), so it cannot be moved.
func (k *Keys) Seal(plain, aad string) (string, error) {
	if plain == "" {
		return "", nil
	}
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := aead.Seal(nonce, nonce, []byte(plain), []byte(aad))
	return k.current + "." + base64.RawStdEncoding.EncodeToString(ct), nil
}

// ErrUnknownKey is returned for a value sealed under a key that is no longer configured.
var ErrUnknownKey = errors.New("fieldcrypt: value sealed with an unknown key")

// Open decrypts a value from Seal.
func (k *Keys) Open(sealed, aad string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	id, b64, ok := strings.Cut(sealed, ".")
	if !ok {
		return "", errors.New("fieldcrypt: malformed value")
	}
	aead, ok := k.aeads[id]
	if !ok {
		return "", ErrUnknownKey
	}
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", errors.New("fieldcrypt: malformed value")
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(aad))
	if err != nil {
		return "", fmt.Errorf("fieldcrypt: open: %w", err)
	}
	return string(pt), nil
}

// NormalizePhone keeps digits (and a leading +), dropping spaces, dashes and brackets, and a
// +86 / 0086 country prefix for mainland numbers, so "138-0013-8000" and "+86 13800138000"
// match.
func NormalizePhone(p string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(p) {
		if unicode.IsDigit(r) || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	s := b.String()
	for _, pre := range []string{"+86", "0086"} {
		if strings.HasPrefix(s, pre) && len(s)-len(pre) == 11 {
			return s[len(pre):]
		}
	}
	return s
}

// PhoneHash is the keyed hash of a normalised phone number ("" for none), scoped to a tenant
// so equal numbers in two tenants do not hash alike.
func (k *Keys) PhoneHash(tenant, phone string) string {
	n := NormalizePhone(phone)
	if n == "" {
		return ""
	}
	m := hmac.New(sha256.New, k.hashKey)
	m.Write([]byte(tenant))
	m.Write([]byte{0})
	m.Write([]byte(n))
	return hex.EncodeToString(m.Sum(nil))
}
