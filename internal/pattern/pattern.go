// Package pattern compiles the regular expressions an agent supplies (grep
// budgets, a job's until, policy deny_patterns) with bounds on their size,
// and describes a bad one in one short line that never echoes the whole
// pattern back.
package pattern

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"unicode/utf8"
)

const (
	// MaxLen bounds a pattern's source, in bytes.
	MaxLen = 1 << 10
	// maxInsts bounds the compiled program. Go's regexp is RE2, so matching
	// is linear in the input and the program size is the only cost to bound.
	maxInsts = 20_000
)

// Compile checks src against the bounds and compiles it. The error, if
// any, is a short lower-case phrase with no newline, such as
// `is not a valid regular expression: missing closing ) in "(a"`.
func Compile(src string) (*regexp.Regexp, error) {
	switch {
	case src == "":
		return nil, errors.New("is empty")
	case len(src) > MaxLen:
		return nil, fmt.Errorf("is %d bytes, over the %d-byte limit", len(src), MaxLen)
	case !utf8.ValidString(src):
		return nil, errors.New("is not valid UTF-8")
	}
	parsed, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil, describe(err)
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return nil, describe(err)
	}
	if len(prog.Inst) > maxInsts {
		return nil, fmt.Errorf("is too complex (%d instructions; the limit is %d)", len(prog.Inst), maxInsts)
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, describe(err)
	}
	return re, nil
}

// describe turns a regexp/syntax error into one line: the error code and
// the offending piece of the pattern, clipped and quoted so that control
// bytes show as escapes.
func describe(err error) error {
	var se *syntax.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("is not a valid regular expression")
	}
	return fmt.Errorf("is not a valid regular expression: %s in %s", se.Code, Quote(se.Expr))
}

// Quote returns s as a Go string literal of at most about 40 characters of
// s, so that it can be shown in an error on one line.
func Quote(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.QuoteToASCII(s[:cut]) + "..."
	}
	return strconv.QuoteToASCII(s)
}
