// Package money is amounts with their currency (EXP-6): the API's
// {"amount": "1234.50", "currency": "CNY"}, ISO 4217 validation, the tenant's exchange rates,
// and conversion to the tenant's base currency at the rate valid on a transaction's date.
//
// Amounts are shopspring/decimal values, never floats. They are stored as a numeric column
// (TEXT on SQLite) beside a three-letter currency column; sums and comparisons of amounts are
// done in Go, where decimals are exact, not in SQL.
package money

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/swaggest/jsonschema-go"

	"github.com/smecrm/crm/app/problem"
)

// Money is an amount in a currency.
type Money struct {
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
}

// New returns amount in currency.
func New(amount decimal.Decimal, currency string) Money {
	return Money{Amount: amount, Currency: currency}
}

// MustParse returns the amount written as s in currency; it panics on a malformed s (tests,
// constants).
func MustParse(s, currency string) Money {
	return Money{Amount: decimal.RequireFromString(s), Currency: currency}
}

// Max is the largest amount accepted (numeric(20,4) leaves 16 integer digits; one less keeps
// sums of many amounts in range).
var Max = decimal.New(1, 15)

// String is "1234.50 CNY".
func (m Money) String() string {
	return m.Amount.StringFixed(MinorUnits(m.Currency)) + " " + m.Currency
}

// MarshalJSON writes the amount as a decimal string with the currency's minor units.
func (m Money) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	}{m.Amount.StringFixed(MinorUnits(m.Currency)), m.Currency})
}

// UnmarshalJSON reads {"amount": "1234.50", "currency": "CNY"}. The amount must be a decimal
// string (a JSON number could already have lost precision in a client); unknown members are
// refused. Errors are invalid_format field errors on the member.
func (m *Money) UnmarshalJSON(b []byte) error {
	var raw struct {
		Amount   json.RawMessage `json:"amount"`
		Currency string          `json:"currency"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("money: %w", err)
	}
	var s string
	if len(raw.Amount) == 0 || json.Unmarshal(raw.Amount, &s) != nil {
		return fmt.Errorf("money: amount must be a decimal string")
	}
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("money: amount: %w", err)
	}
	*m = Money{Amount: d, Currency: strings.ToUpper(strings.TrimSpace(raw.Currency))}
	return nil
}

// JSONSchema describes Money in the OpenAPI document.
func (Money) JSONSchema() (jsonschema.Schema, error) {
	var amount, currency, s jsonschema.Schema
	amount.AddType(jsonschema.String)
	amount.WithPattern(`^-?[0-9]+(\.[0-9]+)?$`).WithExamples("1234.50")
	currency.AddType(jsonschema.String)
	currency.WithPattern(`^[A-Z]{3}$`).WithExamples("CNY")
	s.AddType(jsonschema.Object)
	s.WithProperties(map[string]jsonschema.SchemaOrBool{"amount": amount.ToSchemaOrBool(), "currency": currency.ToSchemaOrBool()})
	s.WithRequired("amount", "currency")
	return s, nil
}

// Check validates m as the input field named field: a known ISO 4217 currency, an amount of
// zero or more (negative when allowNegative), below Max, with no more decimals than the
// currency has minor units. Errors are validation_failed on field.amount or field.currency.
func Check(field string, m Money, allowNegative bool) error {
	if !ValidCurrency(m.Currency) {
		return problem.Field(field+".currency", "invalid_choice", "field.currency")
	}
	if (!allowNegative && m.Amount.Sign() < 0) || m.Amount.Abs().GreaterThanOrEqual(Max) {
		return problem.Field(field+".amount", "out_of_range", "field.out_of_range")
	}
	if -m.Amount.Exponent() > MinorUnits(m.Currency) && !m.Amount.Equal(m.Amount.Round(MinorUnits(m.Currency))) {
		return problem.Field(field+".amount", "invalid_format", "field.money_decimals", MinorUnits(m.Currency))
	}
	return nil
}

// Add returns a+b; both must share a currency (callers check).
func (m Money) Add(o Money) Money { return Money{Amount: m.Amount.Add(o.Amount), Currency: m.Currency} }
