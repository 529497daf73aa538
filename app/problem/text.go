package problem

import (
	"strings"
	"unicode/utf8"
)

// CleanText trims the text fields of an input, named in fields by their JSON names (nil
// entries are skipped), and refuses a NUL byte or invalid UTF-8 with that field's
// validation error, so that stored text is safe to show, search and export.
func CleanText(fields map[string]*string) error {
	for name, v := range fields {
		if v == nil {
			continue
		}
		if strings.IndexByte(*v, 0) >= 0 || !utf8.ValidString(*v) {
			return Field(name, "invalid", "field.invalid")
		}
		*v = strings.TrimSpace(*v)
	}
	return nil
}
