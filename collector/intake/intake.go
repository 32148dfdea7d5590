// Package intake is the one door every result enters by, in every mode: the runner's results in
// `run`, agents' pushes in `collector`. Accept stores a batch synchronously and idempotently
// (results are keyed by id, a result stored before is not fresh), then hands the results stored
// for the first time to what follows — InfluxDB, metrics, detection — in the order they were
// stored. Nothing is dropped: while the store is behind, Accept waits (bounded by its context),
// and that back-pressure reaches the caller instead of a silent drop.
//
// Concurrent Accepts are grouped into one store transaction (group commit): at most BatchSize
// results, or what arrives within MaxWait of the first, so one result a call costs no more than
// a batch.
package intake

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Store keeps results idempotently: Insert returns the ones it had not stored before.
type Store interface {
	Insert(ctx context.Context, rs []model.Result) (fresh []model.Result, err error)
}

// Next receives the results a source's Accept stored for the first time, one call at a time,
// in the order they were stored.
type Next func(source string, fresh []model.Result)

// Defaults for the zero Options.
const (
	DefaultBatchSize = 500
	DefaultMaxWait   = 2 * time.Millisecond
)

// ErrClosed is returned by Accept after Close.
var ErrClosed = errors.New("intake: closed")

// Options configure an Intake.
type Options struct {
	Store     Store
	Next      Next
	BatchSize int           // most results in one store transaction
	MaxWait   time.Duration // longest a batch waits for more Accepts after its first
}

// Intake is the door. It is safe for concurrent use.
type Intake struct {
	o    Options
	reqs chan *request
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

type request struct {
	ctx    context.Context
	source string
	rs     []model.Result
	fresh  []model.Result
	err    error
	reply  chan struct{}
}

// New starts an Intake's writer.
func New(o Options) *Intake {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	in := &Intake{o: o, reqs: make(chan *request), quit: make(chan struct{}), done: make(chan struct{})}
	go in.write()
	return in
}

// Accept stores rs and hands the fresh ones on before it returns them. It waits while the store
// is busy, until ctx is done.
func (in *Intake) Accept(ctx context.Context, source string, rs []model.Result) ([]model.Result, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	r := &request{ctx: ctx, source: source, rs: rs, reply: make(chan struct{})}
	select {
	case in.reqs <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-in.quit:
		return nil, ErrClosed
	}
	<-r.reply // the writer always answers a request it took
	return r.fresh, r.err
}

// Close stops taking results; Accepts already taken are finished first.
func (in *Intake) Close() {
	in.once.Do(func() { close(in.quit) })
	<-in.done
}

func (in *Intake) write() {
	defer close(in.done)
	for {
		var first *request
		select {
		case first = <-in.reqs:
		case <-in.quit:
			return
		}
		batch, n := []*request{first}, len(first.rs)
		timer := time.NewTimer(in.o.MaxWait)
	collect:
		for n < in.o.BatchSize {
			select {
			case r := <-in.reqs:
				batch, n = append(batch, r), n+len(r.rs)
			case <-timer.C:
				break collect
			}
		}
		timer.Stop()
		in.commit(batch, n)
	}
}

// commit stores the batch in one transaction, then hands each request's fresh results on in
// order and answers it.
func (in *Intake) commit(batch []*request, n int) {
	all := make([]model.Result, 0, n)
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil { // the caller gave up waiting: store nothing of it
			r.err = err
			close(r.reply)
			continue
		}
		all = append(all, r.rs...)
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	fresh, err := in.o.Store.Insert(context.WithoutCancel(live[0].ctx), all)
	byID := make(map[string]model.Result, len(fresh))
	for _, f := range fresh {
		byID[f.ID] = f
	}
	for _, r := range live {
		if err != nil {
			r.err = err
			close(r.reply)
			continue
		}
		for _, x := range r.rs {
			if f, ok := byID[x.ID]; ok {
				r.fresh = append(r.fresh, f)
				delete(byID, x.ID) // a result twice in one batch is fresh once
			}
		}
		if len(r.fresh) > 0 && in.o.Next != nil {
			in.o.Next(r.source, r.fresh)
		}
		close(r.reply)
	}
}
