package testkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg = format
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = format
}

func TestGoldenCompares(t *testing.T) {
	if Update() {
		t.Skip("comparing is what is tested")
	}
	path := filepath.Join(t.TempDir(), "a.golden")
	if err := os.WriteFile(path, []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	Golden(r, path, []byte("one\ntwo\n"))
	if r.failed {
		t.Errorf("equal content failed: %s", r.msg)
	}
	r = &recorder{TB: t}
	Golden(r, path, []byte("one\nthree\n"))
	if !r.failed {
		t.Error("different content passed")
	}
	r = &recorder{TB: t}
	Golden(r, filepath.Join(t.TempDir(), "missing"), nil)
	if !r.failed {
		t.Error("a missing golden file passed")
	}
}

func TestGoldenUpdate(t *testing.T) {
	t.Setenv("UPDATE_GOLDEN", "1")
	path := filepath.Join(t.TempDir(), "sub", "b.golden")
	r := &recorder{TB: t}
	Golden(r, path, []byte("new\n"))
	if r.failed {
		t.Fatalf("update failed: %s", r.msg)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "new\n" {
		t.Errorf("file = %q, %v", b, err)
	}
}

func TestFirstDiff(t *testing.T) {
	if d := FirstDiff([]byte("a\nb"), []byte("a\nb")); d != "" {
		t.Errorf("equal: %q", d)
	}
	if d := FirstDiff([]byte("a\nb\nc"), []byte("a\nx\nc")); !strings.HasPrefix(d, "line 2 ") || !strings.Contains(d, "b\n--- want\nx") {
		t.Errorf("changed line: %q", d)
	}
	if d := FirstDiff([]byte("a\n"), []byte("a")); !strings.HasPrefix(d, "line 2 ") {
		t.Errorf("trailing newline: %q", d)
	}
}
