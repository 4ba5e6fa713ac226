// Package watch shows an execkit audit log to a person, live: a pipeable
// stream, a terminal viewer and a browser viewer, all read-only.
//
// It reads the audit files and nothing else (package audit writes them: one
// JSONL file shared by every session, or a directory with one file per
// session). What it shows is what the log holds, already redacted by the
// writer; it never runs, changes or asks anything.
//
// # Reading a log
//
// [Open] reads just enough to list the sessions: in a directory, the first
// and last line of each file; in a shared file, its tail. A session's
// transcript is read from the end when it is first shown ([Log.Transcript])
// and further back when asked ([Log.LoadEarlier]); the commands of every
// session are counted in the background. Memory is bounded ([Config]):
// transcripts shown least recently are dropped first and read again when
// needed. [Log.Run] follows the files as they grow, new session files
// appearing and old ones deleted by retention; a line is shown only once
// its writer has finished it.
//
//	l, err := watch.Open("/var/log/execkit/audit", nil)
//	if err != nil {
//		return err
//	}
//	defer l.Close()
//	go l.Run(ctx)
//
// # Showing it
//
// [Follow] prints every event as lines prefixed with the session id, like a
// terminal would have shown it:
//
//	[1_local] /srv $ npm test
//	[1_local] x exit 1 (3420ms)
//
// [NewModel] is the terminal viewer (a bubbletea model), and [Server] the
// browser viewer: a loopback-only HTTP handler behind a token in its URL,
// with server-sent events for live updates and a strict
// Content-Security-Policy. Text from the log reaches a terminal through
// [Printable] and a page only as text, never as markup.
package watch
