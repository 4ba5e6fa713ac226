package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// ChainError reports the first line of an audit file that does not link to
// the one before it: the file was edited, lines were inserted, removed or
// reordered, or a line is not an event at all.
type ChainError struct {
	// Line is the 1-based number of the first broken line.
	Line int
	// Reason says what is wrong with it.
	Reason string
}

func (e *ChainError) Error() string {
	return "audit: chain broken at line " + strconv.Itoa(e.Line) + ": " + e.Reason
}

// Verify checks the chain of the audit file at path and returns the number of
// events in it. A broken chain is a *ChainError naming the first broken line;
// the lines after it are not checked. Any other error means the file could
// not be read.
func Verify(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	return VerifyReader(f)
}

// VerifyReader is Verify for a stream.
func VerifyReader(r io.Reader) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	prev := Genesis
	var seq int64
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF {
			return n - 1, nil
		}
		if errors.Is(err, errLineTooLong) {
			return n - 1, &ChainError{Line: n, Reason: err.Error()}
		}
		if err != nil {
			return n - 1, fmt.Errorf("audit: line %d: %w", n, err)
		}
		if !bytes.HasSuffix(line, []byte{'\n'}) {
			return n - 1, &ChainError{Line: n, Reason: "the line has no newline at its end: it was cut short (a torn write or a cut file)"}
		}
		line = line[:len(line)-1]
		var head struct {
			Seq  *int64  `json:"seq"`
			Prev *string `json:"prev"`
			Type *string `json:"type"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			return n - 1, &ChainError{Line: n, Reason: "the line is not a JSON event: " + err.Error()}
		}
		switch {
		case head.Seq == nil || head.Prev == nil || head.Type == nil:
			return n - 1, &ChainError{Line: n, Reason: `the line lacks "seq", "prev" or "type"`}
		case *head.Seq != seq+1:
			return n - 1, &ChainError{Line: n, Reason: fmt.Sprintf("seq is %d where %d was due: a line was removed, inserted or moved", *head.Seq, seq+1)}
		case *head.Prev != prev:
			what := "the hash of the line before"
			if n == 1 {
				what = "the genesis hash (the file's first line must start the chain)"
			}
			return n - 1, &ChainError{Line: n, Reason: "prev does not match " + what + ": this line or the one before was changed"}
		}
		seq = *head.Seq
		prev = hashLine(line)
	}
}

var errLineTooLong = fmt.Errorf("the line is longer than %d bytes", maxLineLen)

// readLine reads one line, newline included, up to maxLineLen bytes.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > maxLineLen {
			return nil, errLineTooLong
		}
		switch err {
		case nil:
			return line, nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if len(line) > 0 {
				return line, nil
			}
			return nil, io.EOF
		default:
			return nil, err
		}
	}
}
