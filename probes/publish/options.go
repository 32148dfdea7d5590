package publish

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/push"
)

// Defaults of Options.
const (
	DefaultSpoolMaxBytes = 256 << 20
	DefaultSpoolMaxAge   = 24 * time.Hour
	DefaultSegmentBytes  = 4 << 20
	DefaultBatchSize     = 1000
	DefaultFlushInterval = time.Second
	DefaultBackoff       = 500 * time.Millisecond
	DefaultMaxBackoff    = 30 * time.Second
	DefaultFinalTimeout  = 5 * time.Second
	DefaultClientTimeout = 30 * time.Second

	minSpoolBytes = 64 << 10
	minSegBytes   = 4 << 10
)

// Options configure a Publisher. URL, Agent, Token and SpoolDir are required.
type Options struct {
	URL   string // collector base URL, e.g. https://collector.example.org (push.Path is appended)
	Agent string // agent id, sent in push.HeaderAgent and Batch.Agent
	Token string // bearer token; never logged, never in errors

	SpoolDir      string // directory of the on-disk spool (created, mode 0700)
	SpoolMaxBytes int64  // bound of the spool on disk (default 256 MiB, at least 64 KiB)
	// SegmentBytes is the size at which a spool file is rotated (default 4 MiB, at most
	// SpoolMaxBytes/4): the granularity of fsync, deletion and of dropping at the bound.
	SegmentBytes int64
	// SpoolMaxAge is the oldest a result may be (by its time, on Now's clock) when it is sent:
	// older ones are dropped unsent and counted in Stats.Expired (default 24h). The collector
	// refuses results older than its collector.max_result_age; keep that at least this.
	SpoolMaxAge time.Duration

	BatchSize     int           // results per request (default 1000, at most push.MaxResults)
	FlushInterval time.Duration // longest a result waits before being sent (default 1s)
	Client        *http.Client  // default: a client with a 30 s timeout
	Backoff       time.Duration // first retry delay when the collector is down (default 500 ms)
	MaxBackoff    time.Duration // longest retry delay, and the delay after 401/403 (default 30 s)
	// FinalTimeout bounds the last attempt Run makes once its context is done (default 5 s).
	FinalTimeout time.Duration

	Now    func() time.Time // clock of SentAt, flush ages and LastSuccess (default time.Now)
	Logger *slog.Logger
}

// withDefaults validates o and fills in defaults. Its errors never quote the token.
func (o Options) withDefaults() (Options, string, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return o, "", errors.New("publish: URL must be an absolute http(s) URL")
	}
	if u.User != nil {
		return o, "", errors.New("publish: URL must not carry credentials; use Token")
	}
	endpoint := strings.TrimRight(u.String(), "/") + push.Path
	switch {
	case o.Agent == "":
		return o, "", errors.New("publish: Agent is required")
	case o.Token == "":
		return o, "", errors.New("publish: Token is required")
	case strings.ContainsAny(o.Token, "\r\n"):
		return o, "", errors.New("publish: Token contains a line break")
	case o.SpoolDir == "":
		return o, "", errors.New("publish: SpoolDir is required")
	case o.BatchSize < 0 || o.BatchSize > push.MaxResults:
		return o, "", fmt.Errorf("publish: BatchSize must be between 1 and %d", push.MaxResults)
	case o.SpoolMaxBytes < 0, o.SegmentBytes < 0, o.SpoolMaxAge < 0, o.FlushInterval < 0, o.Backoff < 0,
		o.MaxBackoff < 0, o.FinalTimeout < 0:
		return o, "", errors.New("publish: sizes and durations must not be negative")
	}
	if o.SpoolMaxBytes == 0 {
		o.SpoolMaxBytes = DefaultSpoolMaxBytes
	}
	if o.SpoolMaxBytes < minSpoolBytes {
		return o, "", fmt.Errorf("publish: SpoolMaxBytes must be at least %d", minSpoolBytes)
	}
	if o.SpoolMaxAge == 0 {
		o.SpoolMaxAge = DefaultSpoolMaxAge
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	o.SegmentBytes = max(minSegBytes, min(o.SegmentBytes, o.SpoolMaxBytes/4))
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: DefaultClientTimeout}
	}
	if o.Backoff == 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = max(DefaultMaxBackoff, o.Backoff)
	}
	if o.MaxBackoff < o.Backoff {
		return o, "", errors.New("publish: MaxBackoff must not be below Backoff")
	}
	if o.FinalTimeout == 0 {
		o.FinalTimeout = DefaultFinalTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, endpoint, nil
}
