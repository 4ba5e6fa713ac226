package redact

// The keyword prefilter. Every rule names keywords (literal strings, ASCII
// case-insensitive, at least 3 bytes) that any of its matches must contain;
// the declared values are keywords too. One pass over the text finds every
// occurrence of every keyword, and only those occurrences are handed to the
// rules, so the cost of a clean line does not depend on how many rules
// there are.
//
// The pass is a filter and verify scheme in the manner of Hyperscan's FDR:
// a rolling window of the last four (case-folded) bytes is hashed into a
// 2^18-bit set (32 KiB) holding the first four bytes of every keyword; a
// 3-byte keyword is entered once for each possible fourth byte, so one
// lookup per byte serves both. The set stays in L1 cache and no byte's
// lookup waits on another's, which makes the pass several times faster
// than a DFA whose transition table does not fit in L1. A set bit marks a
// candidate start; the keywords in that hash bucket are then compared byte
// by byte, so the result is exact. Only a 3-byte keyword ending the buffer
// has no fourth byte; scan checks that position separately.

const (
	h4Bits     = 18
	bucketBits = 12
	bucketMask = 1<<bucketBits - 1
)

type prefilter struct {
	fold  [256]byte
	bits  []uint64  // hash4 of every keyword's first four bytes
	b4    [][]int32 // bucket of hash4 -> ids of keywords of 4 bytes or more
	b3    [][]int32 // bucket of hash3 -> ids of 3-byte keywords
	has3  bool
	words [][]byte // folded keywords
}

// hit is one keyword occurrence starting at start.
type hit struct {
	start int
	id    int32
}

func fold(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func hash4(w uint32) uint32 { return (w * 0x9E3779B1) >> (32 - h4Bits) }
func hash3(w uint32) uint32 { return ((w & 0xFFFFFF) * 0x85EBCA77) >> 20 }

// buildPrefilter compiles words; word i reports id i. Every word must be at
// least 3 bytes long.
func buildPrefilter(words []string) *prefilter {
	f := &prefilter{
		bits: make([]uint64, 1<<h4Bits/64),
		b4:   make([][]int32, 1<<bucketBits),
		b3:   make([][]int32, 1<<bucketBits),
	}
	for c := 0; c < 256; c++ {
		f.fold[c] = fold(byte(c))
	}
	set := func(w uint32) {
		h := hash4(w)
		f.bits[h>>6] |= 1 << (h & 63)
	}
	for id, w := range words {
		if len(w) < 3 {
			panic("redact: keyword shorter than 3 bytes: " + w)
		}
		fw := make([]byte, len(w))
		for i := range fw {
			fw[i] = fold(w[i])
		}
		f.words = append(f.words, fw)
		w3 := uint32(fw[0])<<24 | uint32(fw[1])<<16 | uint32(fw[2])<<8
		if len(fw) >= 4 {
			w4 := w3 | uint32(fw[3])
			set(w4)
			b := hash4(w4) & bucketMask
			f.b4[b] = append(f.b4[b], int32(id))
			continue
		}
		f.has3 = true
		for c := 0; c < 256; c++ {
			set(w3 | uint32(f.fold[c]))
		}
		b := hash3(w3>>8) & bucketMask
		f.b3[b] = append(f.b3[b], int32(id))
	}
	return f
}

// scan appends every keyword occurrence in b to hits, in order of start.
func (f *prefilter) scan(b []byte, hits []hit) []hit {
	fold := &f.fold
	bits := f.bits[:1<<h4Bits/64]
	var w uint32
	for i := 0; i < len(b); i++ {
		w = w<<8 | uint32(fold[b[i]])
		h := hash4(w)
		if bits[h>>6]&(1<<(h&63)) != 0 && i >= 3 {
			hits = f.verify(b, i-3, f.b4[h&bucketMask], hits)
			if f.has3 {
				hits = f.verify(b, i-3, f.b3[hash3(w>>8)&bucketMask], hits)
			}
		}
	}
	// A 3-byte keyword at the very end has no fourth byte to be seen with.
	if n := len(b); f.has3 && n >= 3 {
		w3 := uint32(fold[b[n-3]])<<16 | uint32(fold[b[n-2]])<<8 | uint32(fold[b[n-1]])
		hits = f.verify(b, n-3, f.b3[hash3(w3)&bucketMask], hits)
	}
	return hits
}

func (f *prefilter) verify(b []byte, s int, bucket []int32, hits []hit) []hit {
	for _, id := range bucket {
		w := f.words[id]
		if s+len(w) > len(b) {
			continue
		}
		t := b[s : s+len(w)]
		ok := true
		for i, c := range w {
			if f.fold[t[i]] != c {
				ok = false
				break
			}
		}
		if ok {
			hits = append(hits, hit{start: s, id: id})
		}
	}
	return hits
}
