package dashboards

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const testToken = "glsa_secret_token_123456"

// fakeGrafana is the part of Grafana's HTTP API Publish uses, with its state in memory.
type fakeGrafana struct {
	t *testing.T

	mu        sync.Mutex
	folders   []map[string]string
	dashboard map[string]map[string]any // uid → dashboard model
	saves     []map[string]any          // POST /api/dashboards/db payloads
	paths     []string
	status    int    // when set, every request answers it
	saveCode  int    // when set, saves answer it
	saveBody  string // with this body
}

func newFake(t *testing.T) (*fakeGrafana, *httptest.Server) {
	f := &fakeGrafana{t: t, dashboard: map[string]map[string]any{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeGrafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paths = append(f.paths, r.Method+" "+r.URL.Path)
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		http.Error(w, `{"message":"invalid API key"}`, http.StatusUnauthorized)
		return
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, `{"message":"forced"}`)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/folders":
		_ = json.NewEncoder(w).Encode(f.folders)
	case r.Method == http.MethodPost && r.URL.Path == "/api/folders":
		var in map[string]string
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in["title"] == "" {
			http.Error(w, `{"message":"bad folder"}`, http.StatusBadRequest)
			return
		}
		fo := map[string]string{"uid": "f-" + in["title"], "title": in["title"]}
		f.folders = append(f.folders, fo)
		_ = json.NewEncoder(w).Encode(fo)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/dashboards/uid/"):
		d, ok := f.dashboard[strings.TrimPrefix(r.URL.Path, "/api/dashboards/uid/")]
		if !ok {
			http.Error(w, `{"message":"Dashboard not found"}`, http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"dashboard": d, "meta": map[string]any{}})
	case r.Method == http.MethodPost && r.URL.Path == "/api/dashboards/db":
		if r.Header.Get("Content-Type") != "application/json" {
			f.t.Errorf("save: Content-Type %q", r.Header.Get("Content-Type"))
		}
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, `{"message":"bad json"}`, http.StatusBadRequest)
			return
		}
		f.saves = append(f.saves, in)
		if f.saveCode != 0 {
			w.WriteHeader(f.saveCode)
			_, _ = io.WriteString(w, f.saveBody)
			return
		}
		d, _ := in["dashboard"].(map[string]any)
		uid, _ := d["uid"].(string)
		f.dashboard[uid] = d
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "uid": uid})
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	}
}

func opts(srv *httptest.Server) PublishOptions {
	return PublishOptions{URL: srv.URL + "/", Token: testToken, Client: srv.Client()}
}

func TestPublishCreatesThenUpdates(t *testing.T) {
	f, srv := newFake(t)
	ds := all(t)
	for range 2 {
		if err := Publish(context.Background(), opts(srv), ds); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.folders) != 1 || f.folders[0]["title"] != DefaultFolder {
		t.Fatalf("folders %v, want one %q created once", f.folders, DefaultFolder)
	}
	if len(f.saves) != 2*len(ds) {
		t.Fatalf("%d saves, want %d", len(f.saves), 2*len(ds))
	}
	for i, s := range f.saves {
		d := s["dashboard"].(map[string]any)
		want := ds[i%len(ds)].UID
		if d["uid"] != want {
			t.Errorf("save %d: uid %v, want %s (stable across publishes)", i, d["uid"], want)
		}
		if s["overwrite"] != true || s["folderUid"] != "f-"+DefaultFolder || s["message"] != "accesswatch publish" {
			t.Errorf("save %d: overwrite %v folderUid %v message %v", i, s["overwrite"], s["folderUid"], s["message"])
		}
		if _, ok := d["panels"].([]any); !ok {
			t.Errorf("save %d: dashboard has no panels", i)
		}
	}
	if f.paths[0] != "GET /api/folders" || f.paths[1] != "POST /api/folders" || f.paths[2] != "GET /api/dashboards/uid/"+ds[0].UID {
		t.Errorf("first requests %v", f.paths[:3])
	}
}

func TestPublishExistingFolder(t *testing.T) {
	f, srv := newFake(t)
	f.folders = []map[string]string{{"uid": "other", "title": "Other"}, {"uid": "aw-folder", "title": "Models"}}
	o := opts(srv)
	o.Folder = "Models"
	if err := Publish(context.Background(), o, all(t)[:1]); err != nil {
		t.Fatal(err)
	}
	if len(f.folders) != 2 || f.saves[0]["folderUid"] != "aw-folder" {
		t.Errorf("folders %v, folderUid %v: want the existing folder reused", f.folders, f.saves[0]["folderUid"])
	}
}

func TestPublishErrors(t *testing.T) {
	ds := all(t)
	tests := []struct {
		name  string
		setup func(f *fakeGrafana, o *PublishOptions)
		want  string
	}{
		{"bad token", func(_ *fakeGrafana, o *PublishOptions) { o.Token = "glsa_wrong_token_987654" },
			"grafana: authentication failed (check the service-account token)"},
		{"forbidden", func(f *fakeGrafana, _ *PublishOptions) { f.status = http.StatusForbidden },
			"grafana: authentication failed (check the service-account token)"},
		{"foreign dashboard", func(f *fakeGrafana, _ *PublishOptions) {
			f.dashboard[ds[0].UID] = map[string]any{"uid": ds[0].UID, "tags": []string{"team-x"}}
		}, "grafana: dashboard " + ds[0].UID + " exists and was not made by accesswatch"},
		{"rejected", func(f *fakeGrafana, _ *PublishOptions) {
			f.saveCode, f.saveBody = http.StatusBadRequest, `{"message":"Dashboard title cannot be empty","status":"empty-name"}`
		}, "grafana: dashboard " + ds[0].UID + " rejected: Dashboard title cannot be empty"},
		{"version mismatch", func(f *fakeGrafana, _ *PublishOptions) {
			f.saveCode, f.saveBody = http.StatusPreconditionFailed, `{"message":"version-mismatch"}`
		}, "rejected: version-mismatch"},
		{"server error", func(f *fakeGrafana, _ *PublishOptions) { f.status = http.StatusInternalServerError },
			"grafana: list folders: HTTP 500: forced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t)
			o := opts(srv)
			tt.setup(f, &o)
			err := Publish(context.Background(), o, ds)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), o.Token) || strings.Contains(err.Error(), testToken) {
				t.Errorf("error shows the token: %v", err)
			}
			if tt.name == "foreign dashboard" && len(f.saves) != 0 {
				t.Errorf("saved %d dashboards over a foreign one", len(f.saves))
			}
		})
	}
}

func TestPublishAuthIsErrAuth(t *testing.T) {
	_, srv := newFake(t)
	o := opts(srv)
	o.Token = "nope-not-it"
	if err := Publish(context.Background(), o, all(t)); !errors.Is(err, ErrAuth) {
		t.Errorf("err %v, want ErrAuth", err)
	}
}

func TestPublishUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	err := Publish(context.Background(), PublishOptions{URL: u, Token: testToken}, all(t))
	if err == nil || strings.Contains(err.Error(), testToken) {
		t.Errorf("err %v: want an error without the token", err)
	}
}
