// Package testkit holds what the project's tests share: golden files with a single -update flag.
//
// A test package that imports testkit gets the -update flag; `go test ./pkg -update` (or
// UPDATE_GOLDEN=1 go test ./..., which also reaches packages without golden files) rewrites
// the golden files that its tests compare with instead of comparing.
package testkit

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata instead of comparing with them")

// Update reports whether golden files are being rewritten: -update, or UPDATE_GOLDEN=1.
func Update() bool {
	return *update || os.Getenv("UPDATE_GOLDEN") == "1"
}

// Golden compares got with the file at path. Under Update it first writes got there (creating
// the directory), so a rewritten file is also read back. A missing file or a difference fails t.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if Update() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff): %s", path, FirstDiff(got, want))
	}
}

// FirstDiff describes where got and want first differ, by line: "" when they are equal.
func FirstDiff(got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if i >= len(g) || i >= len(w) || gl != wl {
			return fmt.Sprintf("line %d (got %d lines, want %d):\n--- got\n%s\n--- want\n%s", i+1, len(g), len(w), clip(gl), clip(wl))
		}
	}
	return "" // unreachable: unequal bytes differ on some line
}

func clip(s string) string {
	const n = 2000
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
