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
	mul   uint32 // hash4 multiplier, chosen at build
	fold  [256]byte
	bits  []uint64   // hash4 of a 4-byte window of every keyword
	b4    [][]anchor // bucket of hash4 -> keywords of 4 bytes or more
	b3    [][]anchor // bucket of hash3 -> 3-byte keywords
	has3  bool
	words [][]byte // folded keywords
}

// anchor is a keyword entered into the filter by its 4-byte window at off.
type anchor struct {
	id  int32
	off int32
	// gram is the folded window the anchor was filed under (4 bytes, or 3
	// in the low bits of a 3-byte keyword's): comparing it first rejects
	// hash collisions without touching the text, which keeps a run of one
	// byte ("aaaa...") that collides with a keyword from costing a
	// verification at every position.
	gram uint32
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

func hash4(w, mul uint32) uint32 { return (w * mul) >> (32 - h4Bits) }

// Multipliers to choose from (odd, well mixed), and 4-grams that are so
// common in logs and prose that a keyword sharing their hash bit would
// make them candidates all the time.
var (
	multipliers = []uint32{0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1, 0xD3A2646D, 0xFD7046C5, 0xB55A4F09}
	commonGrams = []string{
		" the", "the ", "and ", " and", "ing ", "tion", "info", "INFO", "warn", "WARN", "erro", "rror",
		"ERRO", "RROR", "debu", "DEBU", "http", "ttps", "tps:", "s://", ".com", ".org", ".io/", "gith",
		"ithu", "thub", "test", "Test", "TEST", "func", "retu", "turn", "PASS", "FAIL", "ok  ",
		" api", "/api", "api/", "vers", "ersi", "rsio", "sion", "for ", " for", " to ", "ion ",
		"ment", "ter ", "er  ", "    ", "\t\t\t\t", "----", "====", "////", "0000", "....", " => ",
		"npm ", "go: ", "down", "nloa", "load", "ing.", "user", "name", "node", "_mod", "modu",
		"odul", "dule", "pack", "kage", "inte", "nter", "rnal", "inal", "/int", "inst", "stal",
		"all ", "buil", "uild", "ild ", "runn", "unni", "nnin", "ning", "from", "with", "this",
		"that", "have", "not ", "is n", "requ", "eque", "ques", "uest", "resp", "spon", "pons",
		"onse", "time", "imeo", "meou", "eout", "stat", "tatu", "atus", "coun", "ount", "sha2",
		"ha25", "a256", "sha5", "ha51", "a512", "uuid", "json", "yaml", "conf", "onfi", "nfig",
		"/usr", "/lib", "/bin", "/hom", "home", "/src", "src/", "/tmp", "tmp/", ".go:", ".py:",
		".js:", ".ts:", "line", "file", "File", "path", "Path", "data", "Data", "type", "Type",
		"true", "fals", "alse", "null", "none", "None", "self", "pyth", "ytho", "thon", "java",
		"clas", "lass", "publ", "ubli", "blic", "impo", "mpor", "port", "expo", "xpor", "defa",
		"efau", "faul", "ault", "cach", "ache", "dock", "ocke", "cker", "imag", "mage", "cont",
		"onta", "ntai", "aine", "iner", "kube", "ubec", "bect", "ectl", "pod/", "serv", "erve",
		"rver", "vice", "clie", "lien", "ient", "sess", "essi", "ssio", "hand", "andl", "ndle",
		"dler", "erro", "mess", "essa", "ssag", "sage", "valu", "alue", "key ", "keys", "Key ",
	}
)

func hash3(w uint32) uint32 { return ((w & 0xFFFFFF) * 0x85EBCA77) >> 20 }

// buildPrefilter compiles words; word i reports id i. Every word must be at
// least 3 bytes long.
// hfold is the folding used for hashing only: it sets bit 0x20, which
// lower-cases ASCII letters and merges a few punctuation pairs ('@' with
// '`', '[' with '{', '_' with DEL). Verification compares exactly.
func hfold(c byte) uint32 { return uint32(c | 0x20) }

func buildPrefilter(words []string) *prefilter {
	f := &prefilter{
		bits: make([]uint64, 1<<h4Bits/64),
		b4:   make([][]anchor, 1<<bucketBits),
		b3:   make([][]anchor, 1<<bucketBits),
	}
	for c := 0; c < 256; c++ {
		f.fold[c] = fold(byte(c))
	}
	f.mul = chooseMultiplier(words)
	set := func(w uint32) {
		h := hash4(w, f.mul)
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
		if len(fw) >= 4 {
			off := rarestWindow(fw)
			w4 := hfold(w[off])<<24 | hfold(w[off+1])<<16 | hfold(w[off+2])<<8 | hfold(w[off+3])
			set(w4)
			b := hash4(w4, f.mul) & bucketMask
			f.b4[b] = append(f.b4[b], anchor{id: int32(id), off: int32(off), gram: w4})
			continue
		}
		w3 := hfold(w[0])<<24 | hfold(w[1])<<16 | hfold(w[2])<<8
		f.has3 = true
		for c := 0; c < 256; c++ {
			set(w3 | hfold(byte(c)))
		}
		b := hash3(w3>>8) & bucketMask
		f.b3[b] = append(f.b3[b], anchor{id: int32(id), gram: w3 >> 8})
	}
	return f
}

// scan appends every keyword occurrence in b to hits, in order of start.
func (f *prefilter) scan(b []byte, hits []hit) []hit {
	bits := f.bits[:1<<h4Bits/64]
	mul := f.mul
	var w uint32
	for i := 0; i < len(b); i++ {
		w = w<<8 | hfold(b[i])
		if h := hash4(w, mul); bits[h>>6]&(1<<(h&63)) != 0 && i >= 3 {
			hits = f.candidate(b, i-3, w, h, hits)
		}
	}
	// A 3-byte keyword at the very end has no fourth byte to be seen with.
	if n := len(b); f.has3 && n >= 3 {
		w3 := hfold(b[n-3])<<16 | hfold(b[n-2])<<8 | hfold(b[n-1])
		hits = f.verify(b, n-3, w3, f.b3[hash3(w3)&bucketMask], hits)
	}
	// Keywords anchored past their first byte are reported late; restore
	// the order of start (hits are nearly sorted, so this is linear).
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && hits[j].start < hits[j-1].start; j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
	return hits
}

// gramOf packs a 4-byte window as the scan sees it.
func gramOf(w []byte) uint32 {
	return hfold(w[0])<<24 | hfold(w[1])<<16 | hfold(w[2])<<8 | hfold(w[3])
}

// chooseMultiplier picks the multiplier under which the fewest common
// 4-grams share a hash bit with a keyword window.
func chooseMultiplier(words []string) uint32 {
	best, bestN := multipliers[0], -1
	for _, m := range multipliers {
		set := map[uint32]bool{}
		for _, w := range words {
			if len(w) >= 4 {
				fw := []byte(w)
				off := rarestWindow(foldBytes(fw))
				set[hash4(gramOf(fw[off:]), m)] = true
			} else {
				w3 := hfold(w[0])<<24 | hfold(w[1])<<16 | hfold(w[2])<<8
				for _, c := range []byte(" \t.:=/\"'-_,;") {
					set[hash4(w3|hfold(c), m)] = true
				}
			}
		}
		n := 0
		for _, g := range commonGrams {
			if set[hash4(gramOf([]byte(g)), m)] {
				n++
			}
		}
		if bestN < 0 || n < bestN {
			best, bestN = m, n
		}
	}
	return best
}

func foldBytes(w []byte) []byte {
	out := make([]byte, len(w))
	for i, c := range w {
		out[i] = fold(c)
	}
	return out
}

// rarestWindow picks the 4-byte window of a keyword least likely to occur
// in ordinary output, so common text ("github.com" for "github_pat_")
// does not keep raising candidates.
func rarestWindow(w []byte) int {
	best, bestScore := 0, -1
	for off := 0; off+4 <= len(w); off++ {
		score := 0
		for _, c := range w[off : off+4] {
			score += byteRarity(c)
		}
		if score > bestScore {
			best, bestScore = off, score
		}
	}
	return best
}

// byteRarity ranks bytes by how seldom they appear in logs and prose.
func byteRarity(c byte) int {
	switch {
	case c == ' ' || c == 'e' || c == 't' || c == 'a' || c == 'o' || c == 'i' || c == 'n' || c == 's' || c == 'r':
		return 0
	case c == '.' || c == '/' || c == 'h' || c == 'l' || c == 'd' || c == 'c' || c == 'u' || c == 'm':
		return 1
	case isLower(c):
		return 2
	case isDigit(c) || c == '-' || c == ':':
		return 3
	default: // '_', '$', '~', '=', quotes and the like
		return 5
	}
}

func (f *prefilter) candidate(b []byte, s int, w, h uint32, hits []hit) []hit {
	hits = f.verify(b, s, w, f.b4[h&bucketMask], hits)
	if f.has3 {
		hits = f.verify(b, s, w>>8, f.b3[hash3(w>>8)&bucketMask], hits)
	}
	return hits
}

// verify checks the anchors of bucket filed under gram against the text at
// g.
func (f *prefilter) verify(b []byte, g int, gram uint32, bucket []anchor, hits []hit) []hit {
	for _, a := range bucket {
		if a.gram != gram {
			continue
		}
		id := a.id
		w := f.words[id]
		s := g - int(a.off)
		if s < 0 || s+len(w) > len(b) {
			continue
		}
		if overlapsLast(hits, s, id, len(w)) {
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

// overlapsLast reports whether the newest hit is the same keyword starting
// less than its length before s: an overlapping occurrence inside a run
// ("AAAA..." in "aaaaaaaa...") that the earlier one already brings to its
// rule, so a long run costs a few hits instead of one per byte.
func overlapsLast(hits []hit, s int, id int32, n int) bool {
	for i := len(hits) - 1; i >= 0 && i >= len(hits)-4; i-- {
		if h := hits[i]; h.id == id && h.start < s && s-h.start < n {
			return true
		}
	}
	return false
}
