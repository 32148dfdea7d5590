package store

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

func TestStateKV(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	s := openStore(t, Options{Path: path})
	if data, ok, err := s.LoadState(ctx, "detect"); ok || err != nil || data != nil {
		t.Fatalf("LoadState before any save = %q, %v, %v; want nil, false, nil", data, ok, err)
	}
	steps := []struct {
		key  string
		data []byte
	}{
		{"detect", []byte(`{"v":1}`)},
		{"detect", []byte(`{"v":2,"targets":[]}`)}, // overwrite
		{"other", []byte{0, 1, 2, 255}},            // binary, under another key
		{"empty", nil},                             // saved as empty, still found
	}
	for _, st := range steps {
		if err := s.SaveState(ctx, st.key, st.data); err != nil {
			t.Fatalf("SaveState(%q): %v", st.key, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again := openStore(t, Options{Path: path}) // survives a restart
	for key, want := range map[string][]byte{"detect": []byte(`{"v":2,"targets":[]}`), "other": {0, 1, 2, 255}, "empty": {}} {
		data, ok, err := again.LoadState(ctx, key)
		if err != nil || !ok || !bytes.Equal(data, want) || data == nil {
			t.Errorf("LoadState(%q) = %q, %v, %v; want %q", key, data, ok, err, want)
		}
	}
}

func TestNotificationLog(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	if _, ok, err := s.LogGet(ctx, "slack", "e1/1"); ok || err != nil {
		t.Fatalf("LogGet before put = %v, %v; want false, nil", ok, err)
	}
	first := LogEntry{SentAt: base.Add(-time.Minute), Ref: "1700000000.000100"}
	second := LogEntry{SentAt: base, Ref: "1700000000.000200"}
	nowEntry := LogEntry{SentAt: base, Ref: ""} // zero SentAt becomes the store clock
	for _, p := range []struct {
		receiver, key string
		e             LogEntry
	}{
		{"slack", "e1/1", first},
		{"webhook", "e1/1", LogEntry{SentAt: base.Add(-time.Hour)}},
		{"slack", "e1/1", second}, // overwrite
		{"slack", "e1/2", LogEntry{}},
	} {
		if err := s.LogPut(ctx, p.receiver, p.key, p.e); err != nil {
			t.Fatalf("LogPut: %v", err)
		}
	}
	for _, g := range []struct {
		receiver, key string
		want          LogEntry
	}{
		{"slack", "e1/1", second},
		{"webhook", "e1/1", LogEntry{SentAt: base.Add(-time.Hour)}},
		{"slack", "e1/2", nowEntry},
	} {
		got, ok, err := s.LogGet(ctx, g.receiver, g.key)
		if err != nil || !ok || !reflect.DeepEqual(got, g.want) {
			t.Errorf("LogGet(%q, %q) = %+v, %v, %v; want %+v", g.receiver, g.key, got, ok, err, g.want)
		}
	}
	if _, ok, _ := s.LogGet(ctx, "webhook", "e1/2"); ok {
		t.Error("an entry of one receiver was found under another")
	}
}

func TestPruneDetection(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{Retention: 24 * time.Hour})
	old, recent := -25*time.Hour, -time.Hour
	openOld := fullEvent("open-old")
	openOld.StartedAt, openOld.EndedAt = base.Add(-10*24*time.Hour), nil
	endedOld := fullEvent("ended-old")
	endedOld.StartedAt, endedOld.EndedAt = base.Add(-30*time.Hour), at(old)
	endedRecent := fullEvent("ended-recent")
	endedRecent.StartedAt, endedRecent.EndedAt = base.Add(-30*time.Hour), at(recent)
	mustUpsert(t, s, openOld, endedOld, endedRecent)
	if err := s.AddTransitions(ctx, []model.Transition{
		transition("a", "in", 25*time.Hour, model.StateRevoked),
		transition("a", "in", time.Hour, model.StateAvailable),
	}); err != nil {
		t.Fatal(err)
	}
	for key, sent := range map[string]time.Duration{"old": old, "recent": recent} {
		if err := s.LogPut(ctx, "slack", key, LogEntry{SentAt: base.Add(sent)}); err != nil {
			t.Fatal(err)
		}
	}
	oldResult := fullResult(1)
	oldResult.Time = base.Add(old)
	if err := s.Write(ctx, []model.Result{oldResult, fullResult(2)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(ctx, "detect", []byte("{}")); err != nil {
		t.Fatal(err)
	}

	n, err := s.Prune(ctx)
	if err != nil || n != 4 { // one each: result, event, transition, log entry
		t.Fatalf("Prune = %d, %v; want 4", n, err)
	}
	got, err := s.Events(ctx, EventFilter{})
	if err != nil || !slices.Equal(eventIDs(got), []string{"ended-recent", "open-old"}) {
		t.Errorf("events after prune = %v, %v; want [ended-recent open-old]", eventIDs(got), err)
	}
	if rs := regionRows(t, s, "ended-old"); len(rs) != 0 {
		t.Errorf("the pruned event's regions are still stored: %v", rs)
	}
	if rs := regionRows(t, s, "open-old"); len(rs) != 2 {
		t.Errorf("the open event's regions = %v, want 2", rs)
	}
	if ts, _ := s.Transitions(ctx, "", "", "", time.Time{}, 0); len(ts) != 1 || !ts[0].At.Equal(base.Add(-time.Hour)) {
		t.Errorf("transitions after prune = %+v, want the recent one", ts)
	}
	if _, ok, _ := s.LogGet(ctx, "slack", "old"); ok {
		t.Error("the old log entry survived")
	}
	if _, ok, _ := s.LogGet(ctx, "slack", "recent"); !ok {
		t.Error("the recent log entry was pruned")
	}
	if _, ok, _ := s.LoadState(ctx, "detect"); !ok {
		t.Error("the state snapshot was pruned")
	}
	if n := mustCount(t, s); n != 1 {
		t.Errorf("results after prune = %d, want 1", n)
	}
}

// A database created by the previous binary (schema version 1) with results in it is
// upgraded on Open without losing them.
func TestMigrateFromVersion1KeepsResults(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	db := rawDB(t, path)
	if err := migrateSteps(ctx, db, migrations()[:1], 0); err != nil {
		t.Fatal(err)
	}
	rs := []model.Result{fullResult(1), fullResult(2)}
	var args []any
	for i := range rs {
		doc := mustJSON(t, &rs[i])
		args = appendRowArgs(args, &rs[i], doc)
	}
	if _, err := db.Exec(insertSQL(len(rs)), args...); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, Options{Path: path})
	if v, err := s.SchemaVersion(ctx); err != nil || v != len(migrations()) {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, len(migrations()))
	}
	got, err := s.Query(ctx, Filter{})
	if err != nil || !reflect.DeepEqual(got, rs) {
		t.Errorf("results after upgrade = %v, %v; want %v", ids(got), err, ids(rs))
	}
	mustUpsert(t, s, fullEvent("e1"))
	if es, err := s.Events(ctx, EventFilter{Region: "in"}); err != nil || len(es) != 1 {
		t.Errorf("Events on the upgraded database = %v, %v", eventIDs(es), err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
