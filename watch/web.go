package watch

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// Server is the browser viewer of a [Log]: an http.Handler to serve on a
// loopback address only ([Listen]).
//
// Every request must carry the token as the first element of its path
// ("/TOKEN/..."), static files and the event stream included; without it
// the answer is 404, the same for every path, so nothing shows that a
// viewer runs. Only GET is served (405 for any other method), and nothing
// it serves changes anything: it reads the audit files and nothing else.
// Every response carries a strict Content-Security-Policy.
type Server struct {
	// Log is what is shown. Its Run must be going for the page to update
	// live.
	Log *Log
	// Token gates every request; [NewToken] or [LoadToken] makes one.
	// An empty token serves nothing.
	Token string
	// Heartbeat is how often an idle event stream sends a comment to
	// keep its connection; zero means 15s.
	Heartbeat time.Duration
}

// securityHeaders go on every response, a 404 included.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	if !loopbackHost(r.Host) {
		// A page elsewhere reaching this port through DNS rebinding.
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	rest, ok := s.authorized(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed: this viewer only reads", http.StatusMethodNotAllowed)
		return
	}
	switch rest {
	case "":
		http.Redirect(w, r, "/"+s.Token+"/", http.StatusSeeOther)
	case "/", "/index.html":
		s.file(w, "static/index.html", "text/html; charset=utf-8")
	case "/app.js":
		s.file(w, "static/app.js", "text/javascript; charset=utf-8")
	case "/style.css":
		s.file(w, "static/style.css", "text/css; charset=utf-8")
	case "/api/sessions":
		s.sessions(w)
	case "/api/transcript":
		s.transcript(w, r)
	case "/api/events":
		s.events(w, r)
	case "/export":
		s.export(w, r)
	default:
		http.NotFound(w, r)
	}
}

// authorized checks the token, in constant time, and returns the rest of
// the path.
func (s *Server) authorized(path string) (string, bool) {
	if s.Token == "" || !strings.HasPrefix(path, "/") {
		return "", false
	}
	seg, rest := path[1:], ""
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		seg, rest = seg[:i], seg[i:]
	}
	if subtle.ConstantTimeCompare([]byte(seg), []byte(s.Token)) != 1 {
		return "", false
	}
	return rest, true
}

func loopbackHost(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) file(w http.ResponseWriter, name, ctype string) {
	b, err := fs.ReadFile(static, name)
	if err != nil {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Write(b)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	// json.Marshal escapes <, > and & in strings: a log's text stays text
	// wherever the JSON lands.
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Write(b)
}

func (s *Server) sessions(w http.ResponseWriter) {
	writeJSON(w, map[string]any{
		"source":   filepath.Base(s.Log.Path()),
		"dir":      s.Log.Dir(),
		"skipped":  s.Log.Skipped(),
		"sessions": s.Log.Sessions(),
	})
}

// transcript answers a session's events in memory, reading its tail first;
// with before=OFFSET, it reads earlier history and answers the events
// before that offset.
func (s *Server) transcript(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	before := int64(-1)
	if b := r.URL.Query().Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			http.Error(w, "before must be an offset", http.StatusBadRequest)
			return
		}
		before = n
	}
	tr, err := s.Log.Transcript(key)
	if err == nil && before >= 0 && tr.More && (len(tr.Events) == 0 || tr.Events[0].Off >= before) {
		_, err = s.Log.LoadEarlier(key, s.Log.cfg.Tail)
		if err == nil {
			tr, err = s.Log.Transcript(key)
		}
	}
	if errors.Is(err, ErrNoSession) {
		http.Error(w, "no such session", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	evs := tr.Events
	if before >= 0 {
		n := 0
		for n < len(evs) && evs[n].Off < before {
			n++
		}
		evs = evs[:n]
	}
	writeJSON(w, map[string]any{"session": tr.Session, "events": evs, "more": tr.More})
}

// events is the live stream: server-sent events "hello" (the stream
// began), "ev" (a new event), "session" (a session's summary changed),
// "gone" (its file was deleted) and "reset" (read everything again).
//
// Every message carries an id, so a browser whose stream was cut (the
// viewer restarted, a laptop slept) reconnects with a Last-Event-ID
// header. What was written while it was away is not replayed: such a
// stream starts with a reset, and the page reads the sessions and its
// transcript again, which holds everything written meanwhile.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	// Subscribed before anything is sent: what the page reads after the
	// hello or the reset comes after every update it misses.
	ch, stop := s.Log.Subscribe()
	defer stop()
	rc.SetWriteDeadline(time.Time{})
	var id int64
	send := func(event string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		id++
		_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", id, event, b)
		return err
	}
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	if err := send("hello", map[string]bool{"hello": true}); err != nil {
		return
	}
	if r.Header.Get("Last-Event-ID") != "" {
		if err := send("reset", map[string]bool{"reset": true}); err != nil {
			return
		}
	}
	rc.Flush()
	beat := s.Heartbeat
	if beat <= 0 {
		beat = 15 * time.Second
	}
	t := time.NewTicker(beat)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		case u, ok := <-ch:
			if !ok {
				return
			}
			var err error
			if u.Reset {
				err = send("reset", map[string]bool{"reset": true})
			}
			for _, ev := range u.Events {
				if err == nil {
					err = send("ev", ev)
				}
			}
			for _, ss := range u.Sessions {
				if err == nil {
					err = send("session", ss)
				}
			}
			for _, g := range u.Gone {
				if err == nil {
					err = send("gone", map[string]string{"key": g})
				}
			}
			if err != nil {
				return
			}
		}
		if rc.Flush() != nil {
			return
		}
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._@-]+`)

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	key, format := r.URL.Query().Get("key"), r.URL.Query().Get("format")
	ctype := map[string]string{
		FormatText:     "text/plain; charset=utf-8",
		FormatMarkdown: "text/markdown; charset=utf-8",
		FormatJSON:     "application/json",
	}[format]
	if ctype == "" {
		http.Error(w, "format must be txt, md or json", http.StatusBadRequest)
		return
	}
	tr, err := s.Log.Transcript(key)
	if err != nil {
		http.Error(w, "no such session", http.StatusNotFound)
		return
	}
	name := unsafeName.ReplaceAllString(tr.Session.ID, "_") + "." + format
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if err := s.Log.Export(w, key, format); err != nil {
		// Headers are gone already; the cut-short body says enough.
		fmt.Fprintf(w, "\n[export stopped: %v]\n", err)
	}
}

// Listen opens a TCP listener on 127.0.0.1 (never another address) at
// port, or at a free port when that one is taken and fallback is set.
// Port 0 picks a free port.
func Listen(port int, fallback bool) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil && fallback && port != 0 {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	return ln, nil
}

// URL is the address to open: the listener's, with the token.
func URL(ln net.Listener, token string) string {
	return "http://" + ln.Addr().String() + "/" + token + "/"
}

// Serve serves s on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	err := hs.Serve(ln)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// NewToken returns 32 random bytes, base64url: the secret in the URL.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// LoadToken returns the token kept in the file at path, creating the file
// (mode 0600, its directory 0700) with a new token when it is missing or
// does not hold one. A file that others can read is not trusted: a new
// token replaces it. Keeping the token keeps the viewer's URL the same
// across restarts.
func LoadToken(path string) (token string, err error) {
	if info, err := os.Lstat(path); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o077 == 0 {
		if b, err := os.ReadFile(path); err == nil {
			if t := strings.TrimSpace(string(b)); tokenRE.MatchString(t) {
				return t, nil
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("watch: %w", err)
	}
	token = NewToken()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".watch-token-*")
	if err != nil {
		return "", fmt.Errorf("watch: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", fmt.Errorf("watch: %w", err)
	}
	if _, err := tmp.WriteString(token + "\n"); err != nil {
		tmp.Close()
		return "", fmt.Errorf("watch: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("watch: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("watch: %w", err)
	}
	return token, nil
}
