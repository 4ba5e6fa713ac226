package clean_test

import (
	"bytes"
	"fmt"
	"os"

	"github.com/execkit/execkit/internal/clean"
)

func ExampleString() {
	progress := "\x1b[?25lDownloading\n\r 10%\r 55%\r100%\x1b[?25h\n\x1b[32mdone\x1b[0m"
	fmt.Printf("%q\n", clean.String(progress))
	// Output: "Downloading\n100%\ndone"
}

func ExampleWriter() {
	w := clean.NewWriter(os.Stdout)
	// A Write may end anywhere, even inside an escape sequence.
	w.Write([]byte("\x1b]0;build\x07\x1b[1mcompiling\x1b["))
	w.Write([]byte("0m main.go\r\x1b[Kok\n"))
	w.Write([]byte("no newline at the end"))
	w.Close()
	fmt.Println()
	fmt.Println(w.Stats().LooksBinary())
	// Output:
	// ok
	// no newline at the end
	// false
}

func ExampleStats_LooksBinary() {
	var out bytes.Buffer
	w := clean.NewWriter(&out)
	w.Write([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00"))
	w.Close()
	st := w.Stats()
	fmt.Println(st.LooksBinary(), st.Odd(), "of", st.BytesIn)
	// Output: true 16 of 20
}
