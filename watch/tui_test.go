package watch

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testModel(t *testing.T, dir string, profile termenv.Profile) (*Model, *Log) {
	t.Helper()
	l, err := Open(dir, nil)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	l.counter.Wait()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(profile)
	m := NewModel(l, r)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return m, l
}

func keys(m *Model, ks ...string) {
	for _, k := range ks {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "up":
			msg = tea.KeyMsg{Type: tea.KeyUp}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "pgup":
			msg = tea.KeyMsg{Type: tea.KeyPgUp}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		m.Update(msg)
	}
}

// screen checks the view fills an 80x24 terminal exactly and returns it.
func screen(t *testing.T, m *Model) string {
	t.Helper()
	v := m.View()
	lines := strings.Split(v, "\n")
	require.Len(t, lines, 24, "the view is 24 rows")
	for i, l := range lines {
		assert.Equal(t, 80, runewidth.StringWidth(l), "row %d is 80 cells: %q", i, l)
	}
	return v
}

func TestTUIGolden(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir)
	m, _ := testModel(t, dir, termenv.Ascii)

	v := screen(t, m)
	golden(t, "tui_initial.golden", v)
	assert.Contains(t, v, "> 2_ssh_bob@build", "the session active last is selected")

	keys(m, "k")
	v = screen(t, m)
	golden(t, "tui_local.golden", v)
	assert.Contains(t, v, "/srv $ npm test")
	assert.Contains(t, v, "x exit 1 (3420ms)")

	keys(m, "down", "down")
	v = screen(t, m)
	golden(t, "tui_docker.golden", v)
	assert.Contains(t, v, "^[[2J^[]0;pwned^Gbell", "control characters from the log are shown, not sent to the terminal")
	assert.NotContains(t, v, "\x1b")

	keys(m, "g", "e")
	assert.Contains(t, m.msg, "rm -rf /", "e goes to the blocked command")
	keys(m, "e")
	assert.Contains(t, m.msg, "curl", "e again goes to the timed-out one")
	keys(m, "E")
	assert.Contains(t, m.msg, "rm -rf /", "E goes back")

	keys(m, "/", "T", "O", "K", "E", "N", "enter")
	v = screen(t, m)
	golden(t, "tui_search.golden", v)
	assert.Contains(t, m.msg, `match for "TOKEN"`)
	keys(m, "n")
	assert.Contains(t, m.msg, "match", "n finds the output line too")
	keys(m, "n", "n")
	assert.Contains(t, m.msg, "no more matches")

	keys(m, "/", "x", "esc")
	assert.False(t, m.searching, "esc leaves the search")
	assert.Equal(t, "TOKEN", m.query, "and keeps the last one")

	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	require.NotNil(t, cmd)
	assert.Equal(t, tea.Quit(), cmd(), "q quits")
}

func TestTUIColors(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir)
	m, _ := testModel(t, dir, termenv.ANSI)
	keys(m, "k")
	v := m.View()
	assert.Contains(t, v, "\x1b[31mError: 1 failing", "stderr is red")
	assert.NotContains(t, v, "\x1b[2J", "the log's escapes never reach the terminal")
}

// TestTUILive: a new command of the selected session shows at once, the
// view following the live end; a new session appears in the list.
func TestTUILive(t *testing.T) {
	dir := t.TempDir()
	a := newAuditFile(t, filepath.Join(dir, fileName("1_local", base)))
	a.write(openEv("1_local", "local", "/srv", base))
	m, l := testModel(t, dir, termenv.Ascii)
	for i := 0; i < 30; i++ {
		a.write(execEv("1_local", "local", "echo "+strings.Repeat("x", i), "", "", 0, 1, "/srv", base+int64(i)))
	}
	m.Update(updateMsg{l.Poll(), true})
	v := screen(t, m)
	assert.Contains(t, v, "/srv $ echo "+strings.Repeat("x", 29)+" ", "the newest command shows: the view follows the end")

	keys(m, "pgup")
	a.write(execEv("1_local", "local", "date", "Thu Jan  2\n", "", 0, 1, "/srv", base+100))
	b := newAuditFile(t, filepath.Join(dir, fileName("2_local", base+200)))
	b.write(openEv("2_local", "local", "/", base+200))
	m.Update(updateMsg{l.Poll(), true})
	v = screen(t, m)
	assert.NotContains(t, v, "$ date", "scrolled up, the view stays put")
	assert.Contains(t, v, "new lines below")
	assert.Contains(t, v, "2_local", "a new session file shows in the list")
	keys(m, "G")
	assert.Contains(t, screen(t, m), "/srv $ date")
}

// TestTUILazyHistory: a long session shows its tail first; going to the top
// reads earlier history.
func TestTUILazyHistory(t *testing.T) {
	dir := t.TempDir()
	a := newAuditFile(t, filepath.Join(dir, fileName("1_local", base)))
	a.write(openEv("1_local", "local", "/srv", base))
	for i := 0; i < 1200; i++ {
		a.write(execEv("1_local", "local", "echo step", "", "", 0, 1, "/srv", base+int64(i)))
	}
	m, l := testModel(t, dir, termenv.Ascii)
	require.NotNil(t, m.tr)
	assert.Equal(t, 500, len(m.tr.Events), "only the tail is read at first")
	assert.True(t, m.tr.More)
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("g")})
	require.NotNil(t, cmd, "g at the top reads earlier history")
	m.Update(cmd())
	assert.Equal(t, 1000, len(m.tr.Events))
	_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("g")})
	m.Update(cmd())
	assert.Equal(t, 1201, len(m.tr.Events), "the whole history, open included")
	assert.False(t, m.tr.More)
	assert.Equal(t, "open", m.tr.Events[0].Type)
	assert.Equal(t, 1200, l.Sessions()[0].Commands)
}

// TestTUIBatchedKeys: keys that arrive together (typed fast, sent by tmux,
// over a slow link) come as one message of runes; each acts as its own
// key.
func TestTUIBatchedKeys(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, dir)
	m, _ := testModel(t, dir, termenv.Ascii)
	require.Contains(t, screen(t, m), "> 2_ssh_bob@build")
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("kj")})
	assert.Contains(t, screen(t, m), "> 2_ssh_bob@build", "k then j: back where it was")
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jj")})
	assert.Contains(t, screen(t, m), "> 3_docker_web", "j twice")
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/TOKEN")})
	assert.True(t, m.searching, "/ opens the search")
	assert.Equal(t, "TOKEN", m.input, "and the rest is typed into it")
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	assert.Contains(t, m.msg, `match for "TOKEN"`)
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("Gq")})
	require.NotNil(t, cmd)
	assert.Equal(t, tea.Quit(), cmd(), "q at the end of a batch quits")
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jq"), Paste: true})
	assert.Contains(t, screen(t, m), "> 3_docker_web", "a paste is not keys")
}

// TestTUISearchFromTheEnd: at the live end, where the view usually is, a
// search finds the nearest match above when there is none below.
func TestTUISearchFromTheEnd(t *testing.T) {
	dir := t.TempDir()
	a := newAuditFile(t, filepath.Join(dir, fileName("1_local", base)))
	a.write(openEv("1_local", "local", "/srv", base), execEv("1_local", "local", "echo needle", "needle\n", "", 0, 1, "/srv", base+1))
	for i := 0; i < 40; i++ {
		a.write(execEv("1_local", "local", "echo hay", "hay\n", "", 0, 1, "/srv", base+2+int64(i)))
	}
	m, _ := testModel(t, dir, termenv.Ascii)
	require.NotContains(t, screen(t, m), "$ echo needle", "the match starts above the screen")
	keys(m, "/", "n", "e", "e", "d", "l", "e", "enter")
	assert.Equal(t, `match for "needle" (above)`, m.msg)
	assert.Contains(t, screen(t, m), "$ echo needle")
	keys(m, "N")
	assert.Equal(t, `match for "needle"`, m.msg, "N: the command line above its output")
	keys(m, "N")
	assert.Contains(t, m.msg, "no more matches", "N again: none further up")
}
