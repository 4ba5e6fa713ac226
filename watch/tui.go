package watch

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"
)

// Model is the terminal viewer, a bubbletea model: sessions on the left,
// the selected session's transcript on the right, rendered like a shell.
// It only reads the [Log]; run it with tea.NewProgram(m, tea.WithAltScreen()).
//
// Keys: ↑/↓ (k/j) pick a session; PgUp/PgDn, space/b, ctrl+u/ctrl+d,
// shift+↑/↓ (K/J) and the mouse wheel scroll; g/Home goes to the top
// (reading earlier history), G/End to the live end; / searches, n/N go to
// the next/previous match; e/E to the next/previous failed or blocked
// command; q quits.
type Model struct {
	log *Log
	sub <-chan Update
	st  styles

	w, h     int
	sessions []Session
	sel      int
	key      string

	tr      *Transcript
	rows    []row
	built   rowKey
	shell   Shell
	top     int
	cursor  int  // the row n/N and e/E went to; -1 none
	follow  bool // stay at the live end
	newRows int  // rows arrived below while scrolled up

	searching bool
	input     string
	query     string

	msg     string
	loading bool
}

type row struct {
	kind   Kind
	text   string // printable, tabs expanded, fits the pane
	prompt int    // bytes of text that are the prompt (first row of a command)
	ev     *Event
}

type rowKey struct {
	key   string
	ver   int64
	width int
	first *Event
	n     int
}

type styles struct {
	prompt, command, stderr, fail, ok, info, sel, dim, head, match, group, bad lipgloss.Style
}

func newStyles(r *lipgloss.Renderer) styles {
	return styles{
		prompt:  r.NewStyle().Foreground(lipgloss.Color("4")),
		command: r.NewStyle().Bold(true),
		stderr:  r.NewStyle().Foreground(lipgloss.Color("1")),
		fail:    r.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		ok:      r.NewStyle().Foreground(lipgloss.Color("2")),
		info:    r.NewStyle().Faint(true),
		sel:     r.NewStyle().Reverse(true),
		dim:     r.NewStyle().Faint(true),
		head:    r.NewStyle().Reverse(true).Bold(true),
		match:   r.NewStyle().Reverse(true).Foreground(lipgloss.Color("3")),
		group:   r.NewStyle().Bold(true).Underline(true),
		bad:     r.NewStyle().Foreground(lipgloss.Color("1")),
	}
}

// NewModel returns the viewer of l, styled for the terminal r renders to
// (lipgloss.DefaultRenderer() for the real one; tests pass one with a
// fixed color profile). The most recently active session is selected.
func NewModel(l *Log, r *lipgloss.Renderer) *Model {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	m := &Model{log: l, st: newStyles(r), w: 80, h: 24, follow: true, cursor: -1}
	m.sessions = l.Sessions()
	var last int64 = -1
	for i, s := range m.sessions {
		if s.Last > last {
			last, m.sel = s.Last, i
		}
	}
	if len(m.sessions) > 0 {
		m.key = m.sessions[m.sel].Key
	}
	m.reload()
	return m
}

type updateMsg struct {
	u  Update
	ok bool
}

type loadedMsg struct {
	key   string
	added int
	err   error
}

// Init subscribes to the Log's updates. The Log must be followed
// ([Log.Run]) for them to come.
func (m *Model) Init() tea.Cmd {
	ch, _ := m.log.Subscribe()
	m.sub = ch
	return m.wait()
}

func (m *Model) wait() tea.Cmd {
	if m.sub == nil {
		return nil
	}
	ch := m.sub
	return func() tea.Msg {
		u, ok := <-ch
		return updateMsg{u, ok}
	}
}

// Update handles a message: a key, a resize, or news from the Log.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = max(msg.Width, 20), max(msg.Height, 5)
		m.rebuild()
		return m, nil
	case updateMsg:
		if !msg.ok {
			return m, nil
		}
		m.apply(msg.u)
		return m, m.wait()
	case loadedMsg:
		m.loading = false
		if msg.err != nil {
			m.msg = msg.err.Error()
		}
		if msg.key == m.key {
			before := len(m.rows)
			m.reload()
			m.top += len(m.rows) - before
			if m.cursor >= 0 {
				m.cursor += len(m.rows) - before
			}
			if msg.added == 0 && msg.err == nil {
				m.msg = "the start of the history is reached (or its limit: export for the rest)"
			}
		}
		return m, nil
	case tea.MouseMsg:
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			return m, m.scroll(-3)
		case tea.MouseButtonWheelDown:
			return m, m.scroll(3)
		}
		return m, nil
	case tea.KeyMsg:
		// Keys typed fast (or sent by tmux, or over a slow link) can come
		// as one message of several runes: each is a key of its own, so
		// "/TOKEN" opens the search and types TOKEN into it.
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			cmds := make([]tea.Cmd, 0, len(msg.Runes))
			for _, r := range msg.Runes {
				_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
				cmds = append(cmds, cmd)
			}
			return m, tea.Sequence(cmds...)
		}
		if m.searching {
			return m, m.searchKey(msg)
		}
		return m, m.handleKey(msg)
	}
	return m, nil
}

func (m *Model) handleKey(k tea.KeyMsg) tea.Cmd {
	m.msg = ""
	page := max(1, m.paneHeight()-1)
	switch k.String() {
	case "q", "ctrl+c":
		return tea.Quit
	case "up", "k":
		m.pick(m.sel - 1)
	case "down", "j":
		m.pick(m.sel + 1)
	case "pgup", "b":
		return m.scroll(-page)
	case "pgdown", " ", "f":
		return m.scroll(page)
	case "ctrl+u":
		return m.scroll(-page / 2)
	case "ctrl+d":
		return m.scroll(page / 2)
	case "shift+up", "K":
		return m.scroll(-1)
	case "shift+down", "J":
		return m.scroll(1)
	case "home", "g":
		m.follow = false
		m.top = 0
		return m.loadEarlier()
	case "end", "G":
		m.toBottom()
	case "/":
		m.searching, m.input = true, ""
	case "n":
		m.findMatch(1)
	case "N":
		m.findMatch(-1)
	case "e":
		m.findFailure(1)
	case "E":
		m.findFailure(-1)
	}
	return nil
}

func (m *Model) searchKey(k tea.KeyMsg) tea.Cmd {
	switch k.Type {
	case tea.KeyEsc, tea.KeyCtrlC:
		m.searching = false
	case tea.KeyEnter:
		m.searching = false
		m.query = m.input
		if m.query != "" {
			// From the screen on down, else the nearest above: the view
			// is usually at the live end, with everything above it.
			m.cursor = -1
			if !m.findMatch(1) && m.findMatch(-1) {
				m.msg += " (above)"
			}
		}
	case tea.KeyBackspace:
		if r := []rune(m.input); len(r) > 0 {
			m.input = string(r[:len(r)-1])
		}
	case tea.KeyRunes, tea.KeySpace:
		m.input += string(k.Runes)
	}
	return nil
}

// pick selects the i-th session.
func (m *Model) pick(i int) {
	if i < 0 || i >= len(m.sessions) {
		return
	}
	m.sel, m.key = i, m.sessions[i].Key
	m.follow, m.newRows, m.cursor = true, 0, -1
	m.reload()
}

func (m *Model) apply(u Update) {
	if u.Reset || len(u.Gone) > 0 || len(u.Sessions) > 0 {
		m.sessions = m.log.Sessions()
		m.sel = -1
		for i, s := range m.sessions {
			if s.Key == m.key {
				m.sel = i
			}
		}
		if m.sel < 0 {
			if m.key != "" {
				m.msg = "the session's audit file was deleted"
			}
			m.sel = 0
			m.key = ""
			if len(m.sessions) > 0 {
				m.key = m.sessions[0].Key
			}
		}
	}
	for _, ev := range u.Events {
		if ev.Key == m.key {
			m.reload()
			break
		}
	}
	if u.Reset {
		m.reload()
	}
}

// reload reads the selected session's transcript and rebuilds its rows.
func (m *Model) reload() {
	m.tr = nil
	if m.key != "" {
		if tr, err := m.log.Transcript(m.key); err == nil {
			m.tr = tr
		} else {
			m.msg = err.Error()
		}
	}
	m.rebuild()
}

func (m *Model) paneWidths() (side, pane int) {
	side = min(30, max(16, m.w/3))
	return side, max(10, m.w-side-1)
}

// paneHeight is the transcript's rows: all but the title, the session
// header and the status line.
func (m *Model) paneHeight() int { return max(1, m.h-3) }

// rebuild makes the rows of the transcript for the pane's width; new
// events of the same transcript are only appended.
func (m *Model) rebuild() {
	_, width := m.paneWidths()
	var k rowKey
	if m.tr != nil {
		k = rowKey{key: m.key, ver: m.tr.Version, width: width, n: len(m.tr.Events)}
		if len(m.tr.Events) > 0 {
			k.first = m.tr.Events[0]
		}
	}
	if k == m.built {
		return
	}
	from := 0
	if k.key == m.built.key && k.width == m.built.width && k.first == m.built.first && k.first != nil && k.n >= m.built.n {
		from = m.built.n // the same events and more
	} else {
		m.rows, m.shell, m.cursor = nil, Shell{}, -1
	}
	before := len(m.rows)
	if from == 0 && m.tr != nil && m.tr.More {
		m.rows = append(m.rows, row{kind: KindInfo, text: fit("↑ earlier history: g or scroll up to read it", width)})
	}
	if m.tr != nil {
		for _, ev := range m.tr.Events[from:] {
			for _, l := range m.shell.Lines(ev) {
				m.rows = append(m.rows, wrapLine(l, width)...)
			}
		}
	}
	m.built = k
	if m.follow {
		m.toBottom()
	} else if from > 0 {
		m.newRows += len(m.rows) - before
	}
	m.clampTop()
}

func (m *Model) toBottom() {
	m.follow, m.newRows = true, 0
	m.top = max(0, len(m.rows)-m.paneHeight())
}

func (m *Model) clampTop() {
	m.top = max(0, min(m.top, len(m.rows)-m.paneHeight()))
}

func (m *Model) scroll(n int) tea.Cmd {
	m.top += n
	m.clampTop()
	m.follow = m.top >= len(m.rows)-m.paneHeight()
	if m.follow {
		m.newRows = 0
	}
	if m.top == 0 && n < 0 {
		return m.loadEarlier()
	}
	return nil
}

func (m *Model) loadEarlier() tea.Cmd {
	if m.tr == nil || !m.tr.More || m.loading {
		return nil
	}
	m.loading = true
	m.msg = "reading earlier history..."
	l, key, n := m.log, m.key, m.log.cfg.Tail
	return func() tea.Msg {
		added, err := l.LoadEarlier(key, n)
		return loadedMsg{key, added, err}
	}
}

// findMatch moves to the next (dir 1) or previous (-1) row holding the
// query, case-insensitively, and reports whether there was one.
func (m *Model) findMatch(dir int) bool {
	if m.query == "" {
		m.msg = "no search: press / to search"
		return false
	}
	q := strings.ToLower(m.query)
	if i := m.findRow(dir, func(r row) bool { return strings.Contains(strings.ToLower(r.text), q) }); i >= 0 {
		m.show(i)
		m.msg = "match for " + strconv.Quote(m.query)
		return true
	}
	m.msg = "no more matches for " + strconv.Quote(m.query)
	if m.tr != nil && m.tr.More {
		m.msg += " (g reads earlier history)"
	}
	return false
}

func (m *Model) findFailure(dir int) {
	var at *Event
	if m.cursor >= 0 && m.cursor < len(m.rows) {
		at = m.rows[m.cursor].ev
	}
	i := m.findRow(dir, func(r row) bool { return (r.kind == KindFail || r.kind == KindBlocked) && (r.ev != at || at == nil) })
	if i < 0 {
		m.msg = "no more failed or blocked commands"
		return
	}
	// Show the command itself, not only its status.
	ev := m.rows[i].ev
	for j := i; j >= 0 && m.rows[j].ev == ev; j-- {
		if m.rows[j].kind == KindPrompt {
			i = j
		}
	}
	m.show(i)
	m.msg = "failed: " + m.rows[i].text
}

// findRow searches from the row after the cursor (dir 1) or before it; with
// no cursor in sight, from the top of the screen.
func (m *Model) findRow(dir int, ok func(row) bool) int {
	start := m.top
	if m.cursor >= m.top && m.cursor < m.top+m.paneHeight() {
		start = m.cursor + dir
	} else if dir < 0 {
		start = m.top + m.paneHeight() - 1
	}
	for i := start; i >= 0 && i < len(m.rows); i += dir {
		if ok(m.rows[i]) {
			return i
		}
	}
	return -1
}

// show puts the cursor on row i, scrolling it into sight with a little
// context above.
func (m *Model) show(i int) {
	m.cursor = i
	if i < m.top || i >= m.top+m.paneHeight() {
		m.top = max(0, i-2)
	}
	m.clampTop()
	m.follow = m.top >= len(m.rows)-m.paneHeight()
}

// View renders the screen.
func (m *Model) View() string {
	side, pane := m.paneWidths()
	body := m.paneHeight() + 1 // the session header and the rows
	var b strings.Builder

	what := "audit file "
	if m.log.Dir() {
		what = "audit dir "
	}
	title := " execkit watch · " + what + Printable(filepath.Base(m.log.Path())) + " · " + strconv.Itoa(len(m.sessions)) + " sessions"
	if n := m.log.Skipped(); n > 0 {
		title += " · " + strconv.Itoa(n) + " unreadable lines skipped"
	}
	b.WriteString(m.st.head.Render(fit(title, m.w)))
	b.WriteByte('\n')

	left := m.sidebar(side, body)
	right := m.transcript(pane, body)
	for i := 0; i < body; i++ {
		b.WriteString(left[i])
		b.WriteString(m.st.dim.Render("│"))
		b.WriteString(right[i])
		b.WriteByte('\n')
	}
	b.WriteString(m.statusLine())
	return b.String()
}

// sidebar renders the session list, grouped by transport, keeping the
// selected session in sight.
func (m *Model) sidebar(width, height int) []string {
	type item struct {
		text  string
		style *lipgloss.Style
		count string
		bad   bool
		sess  int
	}
	var items []item
	selItem := 0
	group := "\x00"
	for i, s := range m.sessions {
		if s.Transport != group {
			group = s.Transport
			name := group
			if name == "" {
				name = "other"
			}
			items = append(items, item{text: Printable(name), style: &m.st.group, sess: -1})
		}
		count := strconv.Itoa(s.Commands)
		if !s.Counted {
			count += "+"
		}
		if i == m.sel {
			selItem = len(items)
		}
		items = append(items, item{text: Printable(s.ID), count: count, bad: s.Failed > 0, sess: i})
	}
	if len(items) == 0 {
		items = append(items, item{text: "no sessions yet", style: &m.st.dim, sess: -1})
	}
	off := 0
	if selItem >= height {
		off = selItem - height + 1
	}
	out := make([]string, height)
	for i := range out {
		j := off + i
		if j >= len(items) {
			out[i] = strings.Repeat(" ", width)
			continue
		}
		it := items[j]
		if it.sess < 0 {
			out[i] = it.style.Render(fit(it.text, width))
			continue
		}
		s := m.sessions[it.sess]
		mark := "  "
		if it.sess == m.sel {
			mark = "> "
		}
		fail := ""
		if it.bad {
			fail = " x" + strconv.Itoa(s.Failed)
		}
		tail := " " + it.count + fail
		name := fit(mark+it.text, width-runewidth.StringWidth(tail))
		switch {
		case it.sess == m.sel:
			out[i] = m.st.sel.Render(name + tail)
		case it.bad:
			out[i] = styleIf(s.Closed, m.st.dim, name+" "+it.count) + m.st.bad.Render(fail)
		default:
			out[i] = styleIf(s.Closed, m.st.dim, name+tail)
		}
	}
	return out
}

func styleIf(on bool, st lipgloss.Style, s string) string {
	if on {
		return st.Render(s)
	}
	return s
}

func (m *Model) transcript(width, height int) []string {
	out := make([]string, 0, height)
	if m.tr == nil {
		out = append(out, m.st.dim.Render(fit(" no session selected", width)))
	} else {
		s := m.tr.Session
		state := "live"
		if s.Closed {
			state = "closed"
		}
		count := strconv.Itoa(s.Commands)
		if !s.Counted {
			count += "+"
		}
		parts := []string{" " + Printable(s.ID), Printable(s.Transport), count + " cmds"}
		if s.Failed > 0 {
			parts = append(parts, strconv.Itoa(s.Failed)+" failed")
		}
		parts = append(parts, state)
		if s.Start != 0 {
			parts = append(parts, time.UnixMilli(s.Start).UTC().Format("2006-01-02 15:04Z"))
		}
		head := parts[0]
		for _, p := range parts[1:] {
			if runewidth.StringWidth(head+" · "+p) > width {
				break
			}
			head += " · " + p
		}
		out = append(out, m.st.head.Render(fit(head, width)))
	}
	for i := 0; len(out) < height; i++ {
		j := m.top + i
		if j >= len(m.rows) {
			out = append(out, strings.Repeat(" ", width))
			continue
		}
		if j == m.cursor {
			out = append(out, m.st.sel.Render(fit(m.rows[j].text, width)))
			continue
		}
		out = append(out, m.renderRow(m.rows[j], width))
	}
	return out
}

func (m *Model) renderRow(r row, width int) string {
	pad := strings.Repeat(" ", max(0, width-runewidth.StringWidth(r.text)))
	if m.query != "" && strings.Contains(strings.ToLower(r.text), strings.ToLower(m.query)) {
		return m.highlight(r.text, width) + pad
	}
	switch r.kind {
	case KindPrompt, KindContinue:
		return m.st.prompt.Render(r.text[:r.prompt]) + m.st.command.Render(r.text[r.prompt:]) + pad
	case KindStderr:
		return m.st.stderr.Render(r.text) + pad
	case KindFail, KindBlocked:
		return m.st.fail.Render(r.text) + pad
	case KindOK:
		return m.st.ok.Render(r.text) + pad
	case KindInfo:
		return m.st.info.Render(r.text) + pad
	}
	return r.text + pad
}

// highlight marks the query's occurrences in a row.
func (m *Model) highlight(text string, width int) string {
	lower, q := strings.ToLower(text), strings.ToLower(m.query)
	if len(lower) != len(text) {
		return m.st.match.Render(text)
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, q)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		b.WriteString(m.st.match.Render(text[i : i+len(q)]))
		text, lower = text[i+len(q):], lower[i+len(q):]
	}
}

func (m *Model) statusLine() string {
	if m.searching {
		return fit("/"+Printable(m.input)+"█", m.w)
	}
	text := m.msg
	if text == "" {
		text = "↑↓ session  PgUp/PgDn scroll  / search  n next  e error  G live  q quit"
		if !m.follow && m.newRows > 0 {
			text = strconv.Itoa(m.newRows) + " new lines below: G to follow  " + text
		}
	}
	return m.st.dim.Render(fit(Printable(text), m.w))
}

// fit pads or cuts s to exactly width cells.
func fit(s string, width int) string {
	w := runewidth.StringWidth(s)
	if w <= width {
		return s + strings.Repeat(" ", width-w)
	}
	return runewidth.Truncate(s, width, "…")
}

// wrapLine makes the rows of one transcript line: printable, tabs
// expanded, hard-wrapped to width cells.
func wrapLine(l Line, width int) []row {
	prompt := expandTabs(Printable(l.Prompt), 0)
	text := prompt + expandTabs(Printable(l.Text), runewidth.StringWidth(prompt))
	var rows []row
	var cur strings.Builder
	w := 0
	for _, r := range text {
		rw := runewidth.RuneWidth(r)
		if w+rw > width && w > 0 {
			rows = append(rows, row{kind: l.Kind, text: cur.String(), ev: l.Event})
			cur.Reset()
			w = 0
		}
		cur.WriteRune(r)
		w += rw
	}
	rows = append(rows, row{kind: l.Kind, text: cur.String(), ev: l.Event})
	if len(prompt) <= len(rows[0].text) {
		rows[0].prompt = len(prompt)
	}
	for i := 1; i < len(rows) && (l.Kind == KindPrompt || l.Kind == KindContinue); i++ {
		rows[i].kind = KindContinue
	}
	return rows
}

func expandTabs(s string, col int) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '\t' {
			n := 8 - col%8
			b.WriteString(strings.Repeat(" ", n))
			col += n
			continue
		}
		b.WriteRune(r)
		col += runewidth.RuneWidth(r)
	}
	return b.String()
}
