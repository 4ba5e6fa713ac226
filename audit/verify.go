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
	"strings"
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
	tip, err := VerifyTip(path)
	return tip.Events, err
}

// VerifyReader is Verify for a stream.
func VerifyReader(r io.Reader) (int, error) {
	tip, err := VerifyTipReader(r)
	return tip.Events, err
}

// Tip is where a verified chain ends. The chain proves every line up to the
// last, but nothing after the last line points at it: an edited or removed
// last line (or lines cut off the end) can only be told by comparing with a
// tip recorded elsewhere earlier.
type Tip struct {
	// Events is the number of events verified.
	Events int
	// Seq is the last event's seq, 0 for an empty file.
	Seq int64
	// Hash is the SHA-256 of the last line as the next line's prev would
	// hold it (Genesis for an empty file).
	Hash string
}

// VerifyTip is Verify that also returns the tip of the chain, to be kept
// somewhere the log's writer cannot reach. On a broken chain the tip is that
// of the lines verified before it.
func VerifyTip(path string) (Tip, error) {
	f, err := os.Open(path)
	if err != nil {
		return Tip{Hash: Genesis}, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	return VerifyTipReader(f)
}

// VerifyTipReader is VerifyTip for a stream.
func VerifyTipReader(r io.Reader) (Tip, error) { return verifyChain(r, nil) }

// VerifyAgainst is VerifyTip that also checks the file against a tip
// recorded earlier: the event with that seq must still be there and hash the
// same. It catches what the chain alone cannot, an edited, removed or cut
// end, for every line up to the recorded one.
func VerifyAgainst(path string, recorded Tip) (Tip, error) {
	f, err := os.Open(path)
	if err != nil {
		return Tip{Hash: Genesis}, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	return verifyChain(f, &recorded)
}

// ParseTip reads a tip as the verify command prints it: "SEQ:HASH" (seq 0,
// an empty file, has the Genesis hash).
func ParseTip(s string) (Tip, error) {
	seq, hash, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 0 || len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" || (n == 0 && hash != Genesis) {
		return Tip{}, fmt.Errorf("audit: a tip is SEQ:HASH (a seq and 64 lower-case hex digits), not %s", strconv.QuoteToASCII(s[:min(len(s), 80)]))
	}
	return Tip{Seq: n, Hash: hash}, nil
}

func (t Tip) String() string { return strconv.FormatInt(t.Seq, 10) + ":" + t.Hash }

func verifyChain(r io.Reader, recorded *Tip) (Tip, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	prev := Genesis
	var seq int64
	for n := 1; ; n++ {
		tip := Tip{Events: n - 1, Seq: seq, Hash: prev}
		if recorded != nil && seq == recorded.Seq && prev != recorded.Hash {
			// Line n-1 is the one at fault: verified are those before it.
			tip.Events = max(n-2, 0)
			return tip, &ChainError{Line: max(n-1, 1), Reason: fmt.Sprintf("the event with seq %d is not the one recorded in the tip: it was changed or replaced", seq)}
		}
		line, err := readLine(br)
		if err == io.EOF {
			if recorded != nil && seq < recorded.Seq {
				return tip, &ChainError{Line: n, Reason: fmt.Sprintf("the file ends at seq %d, before the recorded tip's seq %d: events were removed from its end", seq, recorded.Seq)}
			}
			return tip, nil
		}
		if errors.Is(err, errLineTooLong) {
			return tip, &ChainError{Line: n, Reason: err.Error()}
		}
		if err != nil {
			return tip, fmt.Errorf("audit: line %d: %w", n, err)
		}
		if !bytes.HasSuffix(line, []byte{'\n'}) {
			return tip, &ChainError{Line: n, Reason: "the line has no newline at its end: it was cut short (a torn write or a cut file)"}
		}
		line = line[:len(line)-1]
		var head struct {
			Seq  *int64  `json:"seq"`
			Prev *string `json:"prev"`
			Type *string `json:"type"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			return tip, &ChainError{Line: n, Reason: "the line is not a JSON event: " + err.Error()}
		}
		switch {
		case head.Seq == nil || head.Prev == nil || head.Type == nil:
			return tip, &ChainError{Line: n, Reason: `the line lacks "seq", "prev" or "type"`}
		case *head.Seq != seq+1:
			return tip, &ChainError{Line: n, Reason: fmt.Sprintf("seq is %d where %d was due: a line was removed, inserted or moved", *head.Seq, seq+1)}
		case *head.Prev != prev:
			what := "the hash of the line before"
			if n == 1 {
				what = "the genesis hash (the file's first line must start the chain)"
			}
			return tip, &ChainError{Line: n, Reason: "prev does not match " + what + ": this line or the one before was changed"}
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
