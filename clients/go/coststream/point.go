// Package coststream sends spend points to the Finance Ops Pack's Cost Watcher through
// POST /v1/costs/stream, for services written in Go that meter their own spend.
//
// Money never passes through a float: an Amount is a decimal string ("12.34"), as the API
// takes it. Points are checked before anything is sent, and an invalid point is named by its
// index and field, as the server names it ("[3].cost").
package coststream

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
)

// Amount is an exact decimal amount of money, such as "12.34" or "-0.5" (a credit).
type Amount string

var decimalPattern = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// ParseAmount checks that text is a plain decimal number (no exponent, no thousands separator).
func ParseAmount(text string) (Amount, error) {
	if !decimalPattern.MatchString(text) {
		return "", fmt.Errorf("%q is not a decimal amount such as \"12.34\"", text)
	}
	return Amount(text), nil
}

// AmountFromMinorUnits turns an integer count of minor units into an Amount:
// AmountFromMinorUnits(1234, 2) is "12.34", AmountFromMinorUnits(500, 0) is "500".
func AmountFromMinorUnits(units int64, exponent uint) Amount {
	value := new(big.Rat).SetFrac(big.NewInt(units), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exponent)), nil))
	return Amount(value.FloatString(int(exponent)))
}

// Point is the spend of one series over one interval [Start, End).
type Point struct {
	// Dimensions name the series: provider (required), account, service, region, and any
	// dimension the pack's watcher.dimensions lists.
	Dimensions map[string]string
	Start      time.Time
	End        time.Time
	Cost       Amount
	Currency   string // ISO 4217, e.g. "USD"
}

type wirePoint struct {
	Dimensions map[string]string `json:"dimensions"`
	Start      string            `json:"start"`
	End        string            `json:"end"`
	Cost       string            `json:"cost"`
	Currency   string            `json:"currency"`
}

// MarshalJSON writes the API's shape: times in UTC with a Z, the cost as a decimal string.
func (p Point) MarshalJSON() ([]byte, error) {
	return json.Marshal(wirePoint{
		Dimensions: p.Dimensions,
		Start:      p.Start.UTC().Format(time.RFC3339Nano),
		End:        p.End.UTC().Format(time.RFC3339Nano),
		Cost:       string(p.Cost),
		Currency:   strings.ToUpper(p.Currency),
	})
}

// InvalidPointError names the point and field that cannot be sent.
type InvalidPointError struct {
	Location string // e.g. "[3].cost"
	Message  string
}

func (e *InvalidPointError) Error() string { return e.Location + ": " + e.Message }

var currencyPattern = regexp.MustCompile(`^[A-Za-z]{3}$`)

// Validate checks a point the way the server will, so that a batch is refused before it is sent.
func (p Point) Validate(index int) error {
	at := func(field, message string) error {
		return &InvalidPointError{Location: fmt.Sprintf("[%d].%s", index, field), Message: message}
	}
	if p.Dimensions["provider"] == "" {
		return at("dimensions.provider", "required")
	}
	for name, value := range p.Dimensions {
		if value == "" || strings.ContainsAny(value, "|=") {
			return at("dimensions."+name, "expected a non-empty string without | or =")
		}
	}
	if p.Start.IsZero() {
		return at("start", "required")
	}
	if !p.End.After(p.Start) {
		return at("end", "must be after start")
	}
	if _, err := ParseAmount(string(p.Cost)); err != nil {
		return at("cost", err.Error())
	}
	if !currencyPattern.MatchString(p.Currency) {
		return at("currency", fmt.Sprintf("%q is not an ISO 4217 code such as USD", p.Currency))
	}
	return nil
}
