package clean

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// isText marks the bytes below 0x80 that pass through unchanged.
var isText = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = true
	}
	t['\t'] = true
	t['\n'] = true
	return t
}()

const (
	ones  = 0x0101010101010101
	low7  = 0x7f7f7f7f7f7f7f7f
	highs = 0x8080808080808080
)

// plain8 reports whether the eight bytes in x are all printable ASCII, tab
// or newline. Each test works on the low seven bits of every byte, where an
// addition cannot carry into the next byte, so it is exact.
func plain8(x uint64) bool {
	lo := x & low7
	printable := lo + (0x80-0x20)*ones       // high bit set: byte >= 0x20
	del := lo + ones                         // high bit set: byte == 0x7f
	tab := ^((lo ^ '\t'*ones) + low7)        // high bit set: byte == '\t'
	nl := ^((lo ^ '\n'*ones) + low7)         // high bit set: byte == '\n'
	ok := (printable | tab | nl) &^ del &^ x // and the byte is below 0x80
	return ok&highs == highs
}

// scanText returns the length n of the longest prefix of p made of text
// that needs no work (printable ASCII, tab, newline and valid UTF-8 above
// the C1 range), the length end of its complete lines, and whether it is
// all ASCII (so its length is its width), so the caller can copy it in one
// piece. Most output is such text; this loop is the Writer's fast path.
func scanText(p []byte) (n, end int, ascii bool) {
	i := 0
	ascii = true
	for i < len(p) {
		if p[i] < utf8.RuneSelf {
			for i+16 <= len(p) && plain8(binary.LittleEndian.Uint64(p[i:])) &&
				plain8(binary.LittleEndian.Uint64(p[i+8:])) {
				i += 16
			}
			for i+8 <= len(p) && plain8(binary.LittleEndian.Uint64(p[i:])) {
				i += 8
			}
			// The next eight bytes hold one that is not plain ASCII, or
			// fewer than eight are left: walk to it byte by byte rather
			// than retrying the word test at every byte.
			for lim := min(i+8, len(p)); i < lim && p[i] < utf8.RuneSelf; i++ {
				if !isText[p[i]] {
					return i, bytes.LastIndexByte(p[:i], '\n') + 1, ascii
				}
			}
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if r < 0xa0 || r == utf8.RuneError && size == 1 {
			break // a C1 control, an invalid byte or a rune cut short
		}
		i += size
		ascii = false
	}
	return i, bytes.LastIndexByte(p[:i], '\n') + 1, ascii
}

// runeCount counts the runes of valid UTF-8. (utf8.RuneCount allocates
// for non-ASCII input in Go 1.26, and this input is known to be valid.)
func runeCount(b []byte) int {
	n := len(b)
	for _, c := range b {
		if c&0xc0 == 0x80 {
			n--
		}
	}
	return n
}
