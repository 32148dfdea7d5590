package deploy

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/accesswatch/accesswatch/dashboards"
)

// TestGrafanaIsExported keeps deploy/grafana equal to what `accesswatch dashboards export --out
// deploy/grafana` writes: a dashboard or datasource changed in code must be re-exported.
func TestGrafanaIsExported(t *testing.T) {
	dir := t.TempDir()
	if err := dashboards.Export(dir); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			want[rel], _ = os.ReadFile(p)
		}
		return nil
	})
	got := map[string][]byte{}
	_ = filepath.WalkDir("grafana", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel("grafana", p)
			got[rel], _ = os.ReadFile(p)
		}
		return nil
	})
	if len(want) == 0 {
		t.Fatal("export wrote nothing")
	}
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("deploy/grafana/%s differs from the export: run go run ./cmd/accesswatch dashboards export --out deploy/grafana", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("deploy/grafana/%s is not written by the export", name)
		}
	}
}
