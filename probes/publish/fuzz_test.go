package publish

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSpoolOpen feeds arbitrary segment contents and cursors to the spool: opening never
// panics, keeps only whole valid frames, and everything it counts can be read back.
func FuzzSpoolOpen(f *testing.F) {
	var valid []byte
	for _, r := range results(0, 3) {
		b, _ := json.Marshal(r)
		valid = appendFrame(valid, b)
	}
	f.Add(valid, int64(0))
	f.Add(valid[:len(valid)-7], int64(0))
	f.Add(valid, int64(len(valid)/3))
	f.Add(append(valid, 1, 0, 0, 0), int64(len(valid)))
	f.Add([]byte{}, int64(-1))
	f.Fuzz(func(t *testing.T, data []byte, off int64) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "00000000000000000001"+segSuffix), data, 0o600)
		c, _ := json.Marshal(cursor{Segment: 1, Offset: off})
		os.WriteFile(filepath.Join(dir, cursorName), c, 0o600)
		sp, waiting, _, err := openSpool(dir, 4<<10, 1<<20, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer sp.close()
		if sp.bytes > int64(len(data)) || waiting < 0 || waiting != sp.unread() {
			t.Fatalf("bytes %d of %d, waiting %d, unread %d", sp.bytes, len(data), waiting, sp.unread())
		}
		var r reader
		defer r.close()
		read := 0
		for g, ok := sp.firstUnread(); ok; g, ok = sp.firstUnread() {
			recs, end, err := r.read(sp.path(g.id), g, 1000)
			if err != nil {
				t.Fatalf("reading what open accepted: %v", err)
			}
			if !sp.markRead(g.id, g.readOff, end, len(recs)) || len(recs) == 0 {
				t.Fatal("no progress")
			}
			read += len(recs)
		}
		if read != waiting {
			t.Fatalf("read %d of %d", read, waiting)
		}
	})
}
