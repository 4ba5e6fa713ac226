package main

/*
#include <stdint.h>
#include <stdlib.h>

typedef const char execkit_cchar;
*/
import "C"

import "unsafe"

// Helpers that let the tests call the exports themselves, with the C types
// they take: a _test.go file cannot use cgo. Nothing in the library calls
// them, so the linker leaves them out of libexeckit.so.

// cText copies s into C memory; release it with freeText.
func cText(s string) *C.execkit_cchar {
	return (*C.execkit_cchar)(unsafe.Pointer(C.CString(s)))
}

func freeText(p *C.execkit_cchar) { C.free(unsafe.Pointer(p)) }

// callID is the C type of a session handle or call id.
type callID = C.uint64_t

// cID is a session handle or call id as the exports take it.
func cID(v uint64) C.uint64_t { return C.uint64_t(v) }

// takeAnswer copies an export's answer and frees it, as a C caller would.
func takeAnswer(p *C.char) []byte {
	defer execkit_free(p)
	return []byte(C.GoString(p))
}
