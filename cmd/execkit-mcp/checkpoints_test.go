package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckpointTools(t *testing.T) {
	ws := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(ws, "keep.txt"), []byte("v1\n"), 0o644))
	s := start(t, startOpts{env: map[string]string{"XDG_CACHE_HOME": t.TempDir()}})
	id := s.create(map[string]any{"transport": "local", "cwd": ws, "workspace": ws, "auto_snapshot": false})

	cp := ok(t, s.call("session_checkpoint", map[string]any{"session_id": id, "label": "before"}))
	cid, _ := cp["checkpoint_id"].(string)
	require.NotEmpty(t, cid)
	res := s.exec(id, "echo v2 > keep.txt; echo new > created.txt; mkdir -p node_modules && echo dep > node_modules/x", nil)
	assert.Equal(t, map[string]any{"created": 1.0, "modified": 1.0, "deleted": 0.0, "paths": []any{"A created.txt", "M keep.txt"}}, res["files"],
		"the result reports the command's effect on the workspace")
	assert.NotContains(t, s.exec(id, "cat keep.txt", nil), "files", "a read-only command is not measured")

	list := ok(t, s.call("session_checkpoints", map[string]any{"session_id": id}))
	assert.Contains(t, mustJSON(t, list), cid)

	rep := ok(t, s.call("session_restore", map[string]any{"session_id": id, "checkpoint_id": cid}))
	assert.Equal(t, cid, rep["restored_to"])
	assert.EqualValues(t, 2, rep["files_changed"])
	b, err := os.ReadFile(filepath.Join(ws, "keep.txt"))
	require.NoError(t, err)
	assert.Equal(t, "v1\n", string(b))
	assert.NoFileExists(t, filepath.Join(ws, "created.txt"))
	assert.FileExists(t, filepath.Join(ws, "node_modules", "x"), "ignored paths are never touched")

	for _, bad := range []string{"--output=/x", "HEAD~1", "../../x", "zzzz"} {
		toolErr(t, s.call("session_restore", map[string]any{"session_id": id, "checkpoint_id": bad}))
	}
	quiet := s.create(map[string]any{"transport": "local", "cwd": ws, "workspace": ws, "file_changes": false})
	assert.NotContains(t, s.exec(quiet, "echo v3 > keep.txt", nil), "files", "file_changes false turns the report off")

	plain := s.create(nil)
	toolErr(t, s.call("session_checkpoint", map[string]any{"session_id": plain}))
}
