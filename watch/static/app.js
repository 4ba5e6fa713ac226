// execkit watch: the browser viewer of an audit log. Read-only: it only
// GETs. Everything the log holds is put on the page as text (textContent
// and text nodes, never parsed as HTML), so a command or output cannot
// become markup.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    sessions: new Map(), // key -> summary
    key: null,           // the selected session
    events: [],          // its events, oldest first
    more: false,
    cwd: "",             // the prompt's cwd after the last rendered event
    follow: true,
    loading: false,      // a transcript is being fetched: live events wait
    pending: [],
    marks: [],
    mark: -1,
    current: null,       // the .ev element jumped to last
  };

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  async function api(path) {
    const r = await fetch(path, { cache: "no-store", credentials: "same-origin" });
    if (!r.ok) throw new Error(path + ": " + r.status);
    return r.json();
  }

  // Control characters shown, not obeyed (as the terminal viewer does).
  function printable(s) {
    return String(s == null ? "" : s).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g,
      (c) => c === "\u007f" ? "^?" : "^" + String.fromCharCode(c.charCodeAt(0) + 64));
  }

  function fmtTime(ms) {
    if (!ms) return "";
    const d = new Date(ms);
    return d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  // ---- sidebar ----

  const order = { local: 0, ssh: 1, docker: 2 };
  function sortedSessions() {
    const list = Array.from(state.sessions.values());
    list.sort((a, b) => {
      const ra = order[a.transport] ?? 3, rb = order[b.transport] ?? 3;
      if (ra !== rb) return ra - rb;
      if (a.transport !== b.transport) return a.transport < b.transport ? -1 : 1;
      if (a.start !== b.start) return b.start - a.start;
      return a.key < b.key ? 1 : -1;
    });
    return list;
  }

  function renderSidebar() {
    const box = $("sessions");
    const filter = $("filter").value.trim().toLowerCase();
    box.replaceChildren();
    let group = null;
    let shown = 0;
    for (const s of sortedSessions()) {
      if (filter && !(s.id + " " + s.transport + " " + s.file).toLowerCase().includes(filter)) continue;
      if (s.transport !== group) {
        group = s.transport;
        box.append(el("div", "group", group || "other"));
      }
      const b = el("button", "session");
      b.type = "button";
      b.dataset.key = s.key;
      if (s.key === state.key) b.classList.add("selected");
      if (s.closed) b.classList.add("closed");
      b.title = s.file + (s.closed ? " (closed)" : " (live)");
      b.append(el("span", "dot"));
      b.append(el("span", "name", printable(s.id)));
      b.append(el("span", "when", fmtTime(s.start)));
      b.append(el("span", "count", s.commands + (s.counted ? "" : "+")));
      if (s.failed > 0) b.append(el("span", "failed", "\u2717" + s.failed));
      box.append(b);
      shown++;
    }
    if (shown === 0) box.append(el("div", "empty", state.sessions.size ? "No session matches." : "No sessions yet."));
  }

  // Live updates come in bursts: the list is redrawn at most every 150ms.
  let sidebarTimer = 0;
  function scheduleSidebar() {
    if (sidebarTimer) return;
    sidebarTimer = setTimeout(() => { sidebarTimer = 0; renderSidebar(); }, 150);
  }

  $("sessions").addEventListener("click", (e) => {
    const b = e.target.closest(".session");
    if (b) select(b.dataset.key);
  });
  $("filter").addEventListener("input", renderSidebar);

  // ---- transcript ----

  function statusText(r) {
    let s;
    if (r.timed_out) s = "\u2717 timed out, exit " + r.exit_code;
    else if (r.exit_code !== 0) s = "\u2717 exit " + r.exit_code;
    else if (r.session_ended) s = "\u2717 exit 0";
    else s = "\u2713 ok";
    s += " (" + r.duration_ms + "ms";
    if (r.truncated) s += ", output truncated";
    if (r.redacted > 0) s += ", " + r.redacted + " redacted";
    s += ")";
    if (r.session_ended) s += "; session ended: " + r.session_ended;
    return s;
  }

  function failed(ev) {
    if (ev.type === "blocked") return true;
    const r = ev.result;
    return ev.type === "exec" && !!r && (r.exit_code !== 0 || r.timed_out || !!r.session_ended);
  }

  // renderEvent returns the element of one event; cwd is the prompt's
  // directory before it, and the new one is returned with it.
  function renderEvent(ev, cwd) {
    const box = el("div", "ev");
    box.dataset.off = ev.off;
    if (ev.time) box.append(el("span", "time", new Date(ev.time).toLocaleTimeString()));
    switch (ev.type) {
      case "open":
        if (ev.cwd) cwd = ev.cwd;
        box.append(el("pre", "info", "-- session " + printable(ev.session) + " opened (" + printable(ev.transport) + ")" + (ev.cwd ? " in " + printable(ev.cwd) : "")));
        break;
      case "close":
        box.append(el("pre", "info", "-- session " + printable(ev.session) + " closed"));
        break;
      case "exec":
      case "blocked": {
        const r = ev.result;
        let where = cwd || (r && r.cwd) || "?";
        const lines = printable(ev.command).replace(/\n+$/, "").split("\n");
        lines.forEach((line, i) => {
          const p = el("pre", "prompt");
          p.append(el("span", "cwd", i === 0 ? printable(where) : ""));
          p.append(el("span", "dollar", i === 0 ? " $ " : "> "));
          p.append(el("span", "cmd", line));
          box.append(p);
        });
        if (ev.type === "blocked") {
          box.classList.add("failed", "blocked");
          box.append(el("pre", "status blocked", "\u2717 blocked: " + printable(ev.error)));
          break;
        }
        if (!r) break;
        if (r.stdout) box.append(el("pre", "stdout", printable(r.stdout.replace(/\n$/, ""))));
        if (r.stderr) box.append(el("pre", "stderr", printable(r.stderr.replace(/\n$/, ""))));
        const bad = failed(ev);
        if (bad) box.classList.add("failed");
        box.append(el("pre", "status " + (bad ? "fail" : "ok"), statusText(r)));
        if (r.cwd) cwd = r.cwd;
        break;
      }
      default: {
        let text = "-- " + printable(ev.type);
        for (const [k, v] of Object.entries(ev.extra || {})) text += " " + printable(k) + "=" + printable(typeof v === "string" ? v : JSON.stringify(v));
        box.append(el("pre", "info", text));
      }
    }
    return [box, cwd];
  }

  function renderTranscript() {
    const lines = $("lines");
    lines.replaceChildren();
    let cwd = "";
    const frag = document.createDocumentFragment();
    for (const ev of state.events) {
      const [box, next] = renderEvent(ev, cwd);
      cwd = next;
      frag.append(box);
    }
    lines.append(frag);
    state.cwd = cwd;
    $("earlier").hidden = !state.more;
    if (state.events.length === 0) lines.append(el("div", "empty", "No events yet."));
    applySearch(false);
    if (state.follow) toBottom();
  }

  function appendEvent(ev) {
    if (state.loading) { state.pending.push(ev); return; }
    const last = state.events[state.events.length - 1];
    if (last && ev.off <= last.off) return; // already in the transcript
    const lines = $("lines");
    const empty = lines.querySelector(".empty");
    if (empty) empty.remove();
    state.events.push(ev);
    const [box, cwd] = renderEvent(ev, state.cwd);
    state.cwd = cwd;
    lines.append(box);
    if ($("search").value) applySearch(false);
    if (state.follow) toBottom();
  }

  function toBottom() {
    const t = $("transcript");
    t.scrollTop = t.scrollHeight;
  }

  function setFollow(on) {
    state.follow = on;
    $("live").classList.toggle("on", on);
    if (on) toBottom();
  }

  $("transcript").addEventListener("scroll", () => {
    const t = $("transcript");
    const atEnd = t.scrollHeight - t.scrollTop - t.clientHeight < 24;
    if (atEnd !== state.follow) setFollow(atEnd);
  });
  $("live").addEventListener("click", () => setFollow(true));

  function updateTitle() {
    const s = state.sessions.get(state.key);
    if (!s) { $("title").textContent = "No session selected"; return; }
    let t = printable(s.id) + " \u00b7 " + printable(s.transport) + " \u00b7 " + s.commands + (s.counted ? "" : "+") + " commands";
    if (s.failed) t += ", " + s.failed + " failed";
    t += " \u00b7 " + (s.closed ? "closed" : "live");
    $("title").textContent = t;
    for (const f of ["txt", "md", "json"]) {
      const a = $("export-" + f);
      a.href = "export?key=" + encodeURIComponent(s.key) + "&format=" + f;
    }
  }

  let loadSeq = 0;
  async function select(key) {
    if (!key) return;
    state.key = key;
    const seq = ++loadSeq;
    history.replaceState(null, "", "#" + encodeURIComponent(key));
    renderSidebar();
    updateTitle();
    state.loading = true;
    state.pending = [];
    try {
      const tr = await api("api/transcript?key=" + encodeURIComponent(key));
      if (seq !== loadSeq) return;
      state.sessions.set(key, tr.session);
      state.events = tr.events || [];
      state.more = !!tr.more;
      state.current = null;
      state.loading = false;
      setFollow(true);
      renderTranscript();
      updateTitle();
      const pending = state.pending;
      state.pending = [];
      for (const ev of pending) if (ev.key === state.key) appendEvent(ev);
    } catch (err) {
      state.loading = false;
      $("lines").replaceChildren(el("div", "empty", "Cannot read this session: " + err.message));
    }
  }

  $("earlier").addEventListener("click", async () => {
    const button = $("earlier");
    if (!state.key || state.events.length === 0 || state.loading || button.disabled) return;
    const key = state.key, seq = loadSeq, first = state.events[0].off;
    const t = $("transcript");
    const fromBottom = t.scrollHeight - t.scrollTop;
    let tr;
    button.disabled = true;
    try {
      tr = await api("api/transcript?key=" + encodeURIComponent(key) + "&before=" + first);
    } catch (err) {
      $("matches").textContent = "cannot read earlier history: " + err.message;
      return;
    } finally {
      button.disabled = false;
    }
    // Another session, or the same read again (a reset), meanwhile.
    if (key !== state.key || seq !== loadSeq) return;
    state.events = (tr.events || []).concat(state.events);
    state.more = !!tr.more;
    setFollow(false);
    renderTranscript();
    t.scrollTop = t.scrollHeight - fromBottom;
  });

  // ---- search: marks made with DOM nodes, never markup ----

  function clearMarks() {
    for (const m of $("lines").querySelectorAll("mark")) {
      m.replaceWith(document.createTextNode(m.textContent));
    }
    $("lines").normalize();
    state.marks = [];
    state.mark = -1;
  }

  function applySearch(jump) {
    clearMarks();
    const q = $("search").value.toLowerCase();
    if (!q) { $("matches").textContent = ""; return; }
    const walker = document.createTreeWalker($("lines"), NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (const node of nodes) {
      let n = node;
      for (;;) {
        const i = n.nodeValue.toLowerCase().indexOf(q);
        if (i < 0) break;
        const hit = n.splitText(i);
        n = hit.splitText(q.length);
        const m = el("mark", null, hit.nodeValue);
        hit.replaceWith(m);
        state.marks.push(m);
      }
    }
    $("matches").textContent = state.marks.length ? state.marks.length + " found" : "none";
    if (jump && state.marks.length) gotoMark(0);
  }

  function gotoMark(i) {
    if (!state.marks.length) return;
    if (state.mark >= 0 && state.marks[state.mark]) state.marks[state.mark].classList.remove("current");
    state.mark = (i + state.marks.length) % state.marks.length;
    const m = state.marks[state.mark];
    m.classList.add("current");
    setFollow(false);
    m.scrollIntoView({ block: "center" });
    $("matches").textContent = (state.mark + 1) + "/" + state.marks.length;
  }

  let searchTimer = 0;
  $("search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => applySearch(true), 120);
  });
  $("search").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      if (state.mark < 0) applySearch(false);
      gotoMark(state.mark + (e.shiftKey ? -1 : 1));
    } else if (e.key === "Escape") {
      $("search").blur();
    }
  });
  $("next-match").addEventListener("click", () => gotoMark(state.mark + 1));
  $("prev-match").addEventListener("click", () => gotoMark(state.mark - 1));

  // ---- jump to failed or blocked commands ----

  function jumpError(dir) {
    const all = Array.from($("lines").querySelectorAll(".ev.failed"));
    if (!all.length) { $("matches").textContent = "no failures"; return; }
    let i = state.current ? all.indexOf(state.current) : -1;
    if (i < 0) {
      // From what is on screen.
      const top = $("transcript").getBoundingClientRect().top;
      i = dir > 0 ? all.findIndex((e) => e.getBoundingClientRect().top > top + 4) - 1 : all.length;
      if (dir > 0 && i < -1) i = all.length - 1;
    }
    i = Math.max(0, Math.min(all.length - 1, i + dir));
    if (state.current) state.current.classList.remove("current");
    state.current = all[i];
    state.current.classList.add("current");
    setFollow(false);
    state.current.scrollIntoView({ block: "center" });
    $("matches").textContent = "failure " + (i + 1) + "/" + all.length;
  }
  $("next-error").addEventListener("click", () => jumpError(1));
  $("prev-error").addEventListener("click", () => jumpError(-1));

  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
    const list = sortedSessions();
    const i = list.findIndex((s) => s.key === state.key);
    switch (e.key) {
      case "/": e.preventDefault(); $("search").focus(); break;
      case "e": jumpError(1); break;
      case "E": jumpError(-1); break;
      case "G": setFollow(true); break;
      case "j": if (i + 1 < list.length) select(list[i + 1].key); break;
      case "k": if (i > 0) select(list[i - 1].key); break;
    }
  });

  // ---- live ----

  // The browser reconnects a cut stream itself, saying the last id it
  // had; the server then starts the new stream with a reset, and the page
  // reads again what was written while it was away. A stream the browser
  // gave up on (it answered an error) is opened again here, and being new
  // it says no id: the page reads everything again at its hello.
  function connect(again) {
    const es = new EventSource("api/events");
    es.addEventListener("open", () => { $("conn").textContent = "live"; $("conn").className = "conn live"; });
    es.addEventListener("error", () => {
      $("conn").textContent = "reconnecting\u2026";
      $("conn").className = "conn down";
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        setTimeout(() => connect(true), 3000);
      }
    });
    es.addEventListener("hello", () => {
      if (again) { again = false; load().catch(loadFailed); }
    });
    es.addEventListener("ev", (m) => {
      const ev = JSON.parse(m.data);
      if (ev.key === state.key) appendEvent(ev);
    });
    es.addEventListener("session", (m) => {
      const s = JSON.parse(m.data);
      const isNew = !state.sessions.has(s.key);
      state.sessions.set(s.key, s);
      scheduleSidebar();
      if (s.key === state.key) updateTitle();
      if (isNew && !state.key) select(s.key);
    });
    es.addEventListener("gone", (m) => {
      const g = JSON.parse(m.data);
      state.sessions.delete(g.key);
      renderSidebar();
      if (g.key === state.key) {
        $("title").textContent = "This session's audit file was deleted (retention).";
      }
    });
    es.addEventListener("reset", () => { load().catch(loadFailed); });
  }

  function loadFailed(err) {
    $("conn").textContent = "cannot load: " + err.message;
    $("conn").className = "conn down";
  }

  async function load() {
    const data = await api("api/sessions");
    $("source").textContent = (data.dir ? "audit dir " : "audit file ") + printable(data.source) + (data.skipped ? " \u00b7 " + data.skipped + " unreadable lines skipped" : "");
    state.sessions = new Map(data.sessions.map((s) => [s.key, s]));
    renderSidebar();
    let want = decodeURIComponent(location.hash.slice(1));
    if (!state.sessions.has(want)) {
      want = state.key && state.sessions.has(state.key) ? state.key : null;
    }
    if (!want && data.sessions.length) {
      want = data.sessions.reduce((a, b) => (b.last > a.last ? b : a)).key;
    }
    if (want) await select(want);
    else renderTranscript();
  }

  // Listen first, so nothing written while the page loads is missed.
  connect(false);
  load().catch(loadFailed);
})();
