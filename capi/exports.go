package main

/*
#include <stdlib.h>
#include "execkit.h"

// Exported parameters declared const in execkit.h; cgo writes the
// prototypes it generates with this type, so they match the header's.
typedef const char execkit_cchar;
*/
import "C"

import (
	"math"
	"unsafe"
)

// Every export recovers from a panic and answers it as an "internal" error:
// a panic crossing into C would abort the host process. A blocking export
// releases its call id on every path, that one and an argument refused
// before the call begins included (see rejected). The strings handed
// to C are C.CString copies (malloc'd), so C never holds a Go pointer.

// onGoThread runs f on a goroutine of the Go runtime's own threads and waits
// for it. An export runs on the caller's thread, which may end as soon as
// the call returns (a Python thread), and a process started from a thread
// that has ended gets its parent-death signal: the local transport asks the
// kernel (PR_SET_PDEATHSIG, which is per thread) to kill the shell when its
// parent dies. The runtime's threads live as long as the process.
func onGoThread(f func() []byte) []byte {
	ch := make(chan []byte, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- panicked(r)
			}
		}()
		ch <- f()
	}()
	return <-ch
}

// cString copies an answer into C memory; the caller frees it with
// execkit_free.
func cString(b []byte) *C.char {
	return (*C.char)(C.CBytes(append(b, 0)))
}

// rejected answers a blocking export whose arguments are refused before the
// call begins. The call id is released all the same, as the header promises
// ("released when that call returns"): otherwise its context would stay in
// the registry for good.
func rejected(call C.uint64_t, err error) *C.char {
	reg.releaseCall(uint64(call))
	return cString(failure(err))
}

// goString copies a NUL-terminated C string; NULL is empty.
func goString(p *C.execkit_cchar) []byte {
	if p == nil {
		return nil
	}
	return []byte(C.GoString((*C.char)(unsafe.Pointer(p))))
}

// goBytes copies n bytes (which may hold NULs) from p.
func goBytes(p *C.execkit_cchar, n C.size_t, name string) (string, error) {
	if p == nil && n > 0 {
		return "", argErrorf("%s is NULL but %s_len is %d", name, name, uint64(n))
	}
	if uint64(n) > math.MaxInt32 {
		return "", argErrorf("%s_len %d is over 2 GiB", name, uint64(n))
	}
	if n == 0 {
		return "", nil
	}
	return C.GoStringN((*C.char)(unsafe.Pointer(p)), C.int(n)), nil
}

//export execkit_version
func execkit_version() (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
		}
	}()
	return cString(versionJSON())
}

//export execkit_call_new
func execkit_call_new() (id C.uint64_t) {
	defer func() {
		if r := recover(); r != nil {
			id = 0
		}
	}()
	return C.uint64_t(reg.newCall())
}

//export execkit_cancel
func execkit_cancel(call C.uint64_t) (found C.int) {
	defer func() {
		if r := recover(); r != nil {
			found = 0
		}
	}()
	if reg.cancelCall(uint64(call)) {
		return 1
	}
	return 0
}

//export execkit_open
func execkit_open(request *C.execkit_cchar, call C.uint64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
			reg.releaseCall(uint64(call))
		}
	}()
	req := goString(request)
	return cString(onGoThread(func() []byte { return openJSON(req, uint64(call)) }))
}

//export execkit_exec
func execkit_exec(session C.uint64_t, command *C.execkit_cchar, commandLen C.size_t, options *C.execkit_cchar, call C.uint64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
			reg.releaseCall(uint64(call))
		}
	}()
	cmd, err := goBytes(command, commandLen, "command")
	if err != nil {
		return rejected(call, err)
	}
	opts := goString(options)
	return cString(onGoThread(func() []byte { return execJSON(uint64(session), cmd, opts, uint64(call)) }))
}

//export execkit_output
func execkit_output(session C.uint64_t, outputID *C.execkit_cchar, budget *C.execkit_cchar) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
		}
	}()
	if outputID == nil {
		return cString(failure(argErrorf("output_id is NULL")))
	}
	id, b := string(goString(outputID)), goString(budget)
	return cString(onGoThread(func() []byte { return outputJSON(uint64(session), id, b) }))
}

//export execkit_session_info
func execkit_session_info(session C.uint64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
		}
	}()
	return cString(onGoThread(func() []byte { return infoJSON(uint64(session)) }))
}

//export execkit_sessions
func execkit_sessions() (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
		}
	}()
	return cString(onGoThread(sessionsJSON))
}

//export execkit_close
func execkit_close(session C.uint64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
		}
	}()
	return cString(onGoThread(func() []byte { return closeJSON(uint64(session)) }))
}

//export execkit_free
func execkit_free(s *C.char) {
	defer func() { recover() }()
	C.free(unsafe.Pointer(s))
}

//export execkit_job_start
func execkit_job_start(session C.uint64_t, command *C.execkit_cchar, commandLen C.size_t, options *C.execkit_cchar, call C.uint64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
			reg.releaseCall(uint64(call))
		}
	}()
	cmd, err := goBytes(command, commandLen, "command")
	if err != nil {
		return rejected(call, err)
	}
	opts := goString(options)
	return cString(onGoThread(func() []byte { return jobStartJSON(uint64(session), cmd, opts, uint64(call)) }))
}

//export execkit_jobs
func execkit_jobs(session C.uint64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
		}
	}()
	return cString(onGoThread(func() []byte { return jobsJSON(uint64(session)) }))
}

//export execkit_job_output
func execkit_job_output(session C.uint64_t, jobID *C.execkit_cchar, options *C.execkit_cchar, call C.uint64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
			reg.releaseCall(uint64(call))
		}
	}()
	if jobID == nil {
		return rejected(call, argErrorf("job_id is NULL"))
	}
	id, opts := string(goString(jobID)), goString(options)
	return cString(onGoThread(func() []byte { return jobOutputJSON(uint64(session), id, opts, uint64(call)) }))
}

//export execkit_job_input
func execkit_job_input(session C.uint64_t, jobID *C.execkit_cchar, input *C.execkit_cchar, inputLen C.size_t, call C.uint64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
			reg.releaseCall(uint64(call))
		}
	}()
	if jobID == nil {
		return rejected(call, argErrorf("job_id is NULL"))
	}
	data, err := goBytes(input, inputLen, "input")
	if err != nil {
		return rejected(call, err)
	}
	id := string(goString(jobID))
	return cString(onGoThread(func() []byte { return jobInputJSON(uint64(session), id, data, uint64(call)) }))
}

//export execkit_job_close_input
func execkit_job_close_input(session C.uint64_t, jobID *C.execkit_cchar) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
		}
	}()
	if jobID == nil {
		return cString(failure(argErrorf("job_id is NULL")))
	}
	id := string(goString(jobID))
	return cString(onGoThread(func() []byte { return jobCloseInputJSON(uint64(session), id) }))
}

//export execkit_job_signal
func execkit_job_signal(session C.uint64_t, jobID *C.execkit_cchar, signal *C.execkit_cchar, call C.uint64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
			reg.releaseCall(uint64(call))
		}
	}()
	if jobID == nil {
		return rejected(call, argErrorf("job_id is NULL"))
	}
	id, sig := string(goString(jobID)), "TERM"
	if signal != nil {
		sig = string(goString(signal))
	}
	return cString(onGoThread(func() []byte { return jobSignalJSON(uint64(session), id, sig, uint64(call)) }))
}

//export execkit_checkpoint
func execkit_checkpoint(session C.uint64_t, label *C.execkit_cchar, call C.uint64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
			reg.releaseCall(uint64(call))
		}
	}()
	l := string(goString(label))
	return cString(onGoThread(func() []byte { return checkpointJSON(uint64(session), l, uint64(call)) }))
}

//export execkit_checkpoints
func execkit_checkpoints(session C.uint64_t, call C.uint64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
			reg.releaseCall(uint64(call))
		}
	}()
	return cString(onGoThread(func() []byte { return checkpointsJSON(uint64(session), uint64(call)) }))
}

//export execkit_restore
func execkit_restore(session C.uint64_t, checkpointID *C.execkit_cchar, call C.uint64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			out = cString(panicked(r))
			reg.releaseCall(uint64(call))
		}
	}()
	id := string(goString(checkpointID))
	return cString(onGoThread(func() []byte { return restoreJSON(uint64(session), id, uint64(call)) }))
}
