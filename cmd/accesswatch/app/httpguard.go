package app

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
)

// streamingWrites lets a handler that streams (the results export) run past the server's
// WriteTimeout: every write pushes the connection's write deadline writeTimeout further, so a
// client that stops reading is still cut off, but a long export that keeps flowing is not.
func streamingWrites(h http.Handler, timeout func() time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: timeout()}, r)
	})
}

type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (d *deadlineWriter) extend() {
	if d.timeout > 0 {
		_ = d.rc.SetWriteDeadline(time.Now().Add(d.timeout)) // unsupported writers keep the server's deadline
	}
}

func (d *deadlineWriter) WriteHeader(code int) { d.extend(); d.ResponseWriter.WriteHeader(code) }

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.extend()
	return d.ResponseWriter.Write(p)
}

func (d *deadlineWriter) Flush() { _ = d.FlushError() }

func (d *deadlineWriter) FlushError() error {
	d.extend()
	return d.rc.Flush()
}

func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// storeDropWindow is how long /healthz stays unavailable after the store dropped a result.
const storeDropWindow = 5 * time.Minute

// storeHealth fails /healthz while the store's queue is full or while it has dropped results
// within storeDropWindow: results are being lost, and whoever watches health should know.
type storeHealth struct {
	st  *store.Store
	now func() time.Time

	mu       sync.Mutex
	seen     uint64    // Dropped() at the last check
	lastDrop time.Time // when a check last saw Dropped() grow
}

func (h *storeHealth) ready() error {
	n, capacity := h.st.QueueLen()
	dropped := h.st.Dropped()
	now := h.now()
	h.mu.Lock()
	if dropped > h.seen {
		h.seen, h.lastDrop = dropped, now
	}
	lastDrop := h.lastDrop
	h.mu.Unlock()
	switch {
	case capacity > 0 && n >= capacity:
		return fmt.Errorf("store queue full (%d of %d results waiting): results are being dropped", n, capacity)
	case !lastDrop.IsZero() && now.Sub(lastDrop) < storeDropWindow:
		return fmt.Errorf("store dropped results recently (%d in total, last seen %s)", dropped, lastDrop.UTC().Format(time.RFC3339))
	}
	return nil
}
