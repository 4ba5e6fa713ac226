package ssh

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// On a terminal the login shell's errors come on the one stream: a start
// that fails quotes them, on one line, without the terminal's control bytes
// and bounded.
func TestReadPIDTerminalDetail(t *testing.T) {
	nonce := newNonce()
	in := strings.Repeat("z", 4096) + "\r\n\x1b[31mThis account is currently not available.\x1b[0m\r\n"
	p := &process{tty: true, stdout: bufio.NewReader(strings.NewReader(in)), stderr: eofReader{}}
	err := p.readPID(nonce)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did not start: ")
	assert.Contains(t, err.Error(), "[31mThis account is currently not available.[0m")
	assert.NotContains(t, err.Error(), "\x1b")
	assert.NotContains(t, err.Error(), "\r")
	assert.Less(t, len(err.Error()), maxDetail+100, "a hostile preamble is not quoted whole")

	// The pid line itself ends with the terminal's \r\n.
	p = &process{tty: true, stdout: bufio.NewReader(strings.NewReader("motd\r\n\036EKPID" + nonce + " 1234 5678\r\nout")), stderr: eofReader{}}
	require.NoError(t, p.readPID(nonce))
	assert.Equal(t, 1234, p.pid)
	assert.Equal(t, "5678", p.start)
	rest, _ := p.stdout.ReadString(0)
	assert.Equal(t, "out", rest, "the command's output starts right after the pid line")
}

func TestPtyRequest(t *testing.T) {
	req, err := ptyRequest(0, 0)
	require.NoError(t, err)
	assert.Equal(t, uint32(24), req.Rows)
	assert.Equal(t, uint32(80), req.Columns)
	assert.Equal(t, byte(0), req.Modelist[len(req.Modelist)-1], "the mode list ends with TTY_OP_END")
	assert.Len(t, req.Modelist, 5*len(ttyModes)+1, "each mode is an opcode and a uint32")
	_, err = ptyRequest(maxTTYSize+1, 1)
	assert.ErrorContains(t, err, "out of range")
}
