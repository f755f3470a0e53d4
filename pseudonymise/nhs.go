package pseudonymise

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNHSNumber is wrapped by errors about an invalid NHS number. Its text
// never contains the number.
var ErrNHSNumber = errors.New("invalid NHS number")

// NormaliseNHSNumber strips the spaces and hyphens people write NHS numbers
// with ("943 476 5919", "943-476-5919") and checks the result: ten digits
// whose last is the modulus-11 check digit of the first nine. The error
// says why, never what the number was.
func NormaliseNHSNumber(s string) (string, error) {
	var b [10]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-':
			continue
		case c < '0' || c > '9':
			return "", fmt.Errorf("%w: %s", ErrNHSNumber, "contains a character other than digits, spaces and hyphens")
		}
		if n == 10 {
			return "", fmt.Errorf("%w: %s", ErrNHSNumber, "more than 10 digits")
		}
		b[n] = c
		n++
	}
	if n != 10 {
		return "", fmt.Errorf("%w: %s", ErrNHSNumber, "fewer than 10 digits")
	}
	check, ok := nhsCheckDigit(b[:9])
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrNHSNumber, "its first nine digits have no valid check digit (remainder 10)")
	}
	if b[9]-'0' != check {
		return "", fmt.Errorf("%w: %s", ErrNHSNumber, "check digit does not match (modulus 11)")
	}
	return string(b[:]), nil
}

// ValidNHSNumber reports whether s (spaces and hyphens allowed) is a valid
// NHS number.
func ValidNHSNumber(s string) bool {
	_, err := NormaliseNHSNumber(s)
	return err == nil
}

// nhsCheckDigit computes the modulus-11 check digit of nine digits: weights
// 10..2, check = 11 - (sum mod 11), 11 becomes 0, and 10 means no number
// with these nine digits is valid.
func nhsCheckDigit(d []byte) (byte, bool) {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	c := 11 - sum%11
	switch c {
	case 11:
		return 0, true
	case 10:
		return 0, false
	}
	return byte(c), true
}

// NHSNumberWithCheck returns the valid NHS number that starts with the
// nine digits given, or false when no check digit makes one (for
// generating synthetic numbers).
func NHSNumberWithCheck(nine string) (string, bool) {
	if len(nine) != 9 || strings.Trim(nine, "0123456789") != "" {
		return "", false
	}
	c, ok := nhsCheckDigit([]byte(nine))
	if !ok {
		return "", false
	}
	return nine + string('0'+c), true
}
