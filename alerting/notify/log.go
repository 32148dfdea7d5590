package notify

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Log is the notification log: what was sent to which receiver. It is the dedup memory that
// survives restarts (collector/store keeps it in SQLite).
type Log interface {
	Get(ctx context.Context, receiver, key string) (Entry, bool, error)
	Put(ctx context.Context, receiver, key string, e Entry) error
}

// Entry is one log record.
type Entry struct {
	SentAt time.Time
	Ref    string // receiver's reference of the message (Slack ts), "" if none
}

// UpdateKey is the log key of one event update: "<event id>/<seq>".
func UpdateKey(u model.EventUpdate) string {
	return u.Event.ID + "/" + strconv.Itoa(u.Seq)
}

// IncidentKey is the log key holding the reference of an incident's first message:
// "incident/<incident id>".
func IncidentKey(incidentID string) string { return "incident/" + incidentID }

// incidentOf is the incident an update belongs to; an event without one is its own incident.
func incidentOf(u model.EventUpdate) string {
	if u.Event.IncidentID != "" {
		return u.Event.IncidentID
	}
	return u.Event.ID
}

// MemLog is an in-memory Log, for tests and for running without a store.
type MemLog struct {
	mu sync.Mutex
	m  map[[2]string]Entry
}

// NewMemLog returns an empty MemLog.
func NewMemLog() *MemLog { return &MemLog{m: map[[2]string]Entry{}} }

// Get returns the entry of (receiver, key).
func (l *MemLog) Get(_ context.Context, receiver, key string) (Entry, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.m[[2]string{receiver, key}]
	return e, ok, nil
}

// Put records the entry of (receiver, key).
func (l *MemLog) Put(_ context.Context, receiver, key string, e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m[[2]string{receiver, key}] = e
	return nil
}

// Len is the number of entries.
func (l *MemLog) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
