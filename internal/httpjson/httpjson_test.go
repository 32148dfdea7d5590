package httpjson

import (
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, http.StatusNotFound, `no route for /a<b>&"c"`)
	if rec.Code != http.StatusNotFound {
		t.Errorf("status %d, want 404", rec.Code)
	}
	want := `{"error":"no route for /a\u003cb\u003e\u0026\"c\""}` + "\n"
	if got := rec.Body.String(); got != want {
		t.Errorf("body %q, want %q", got, want)
	}
	if got := ErrorBody(`no route for /a<b>&"c"`); string(got) != want {
		t.Errorf("ErrorBody %q, want %q", got, want)
	}
	h := rec.Header()
	if h.Get("Content-Type") != "application/json" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", h)
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteJSON(rec, http.StatusOK, map[string]string{"status": "ok"})
	if rec.Code != http.StatusOK || rec.Body.String() != `{"status":"ok"}`+"\n" {
		t.Errorf("got %d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	WriteJSON(rec, http.StatusOK, Error{Error: "bad", Param: "since"})
	if rec.Body.String() != `{"error":"bad","param":"since"}`+"\n" {
		t.Errorf("param: got %q", rec.Body.String())
	}
	rec = httptest.NewRecorder()
	WriteJSON(rec, http.StatusOK, math.NaN())
	if rec.Code != http.StatusInternalServerError || rec.Body.String() != encodeFailed+"\n" {
		t.Errorf("unmarshalable: got %d %q", rec.Code, rec.Body.String())
	}
}
