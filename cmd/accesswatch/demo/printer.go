package demo

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// printer prints what the vantages observe: every change of a (provider, model, region)'s class
// as it happens, and a matrix at the end of each timeline step.
type printer struct {
	out   io.Writer
	now   func() time.Time
	start time.Time

	mu      sync.Mutex
	last    map[string]model.Result // provider/model → region → latest
	changes int
	results int
	events  int
	open    map[string]bool // ids of events opened and not yet closed
}

func newPrinter(out io.Writer, now func() time.Time) *printer {
	return &printer{out: out, now: now, start: now(), last: map[string]model.Result{}, open: map[string]bool{}}
}

func key(r model.Result) string { return label(r) + "\x00" + r.Region }

// label names what a result is about: provider/model, or the vantage's control probe.
func label(r model.Result) string {
	if r.Check == model.CheckControl {
		return "(vantage control)"
	}
	return r.Provider + "/" + r.Model
}

func (p *printer) elapsed() string { return fmt.Sprintf("+%5.1fs", p.now().Sub(p.start).Seconds()) }

func (p *printer) observe(rs []model.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range rs {
		p.results++
		k := key(r)
		prev, seen := p.last[k]
		p.last[k] = r
		if seen && prev.Class == r.Class {
			continue
		}
		from := "(first)"
		if seen {
			from = string(prev.Class)
			p.changes++
		}
		fmt.Fprintf(p.out, "%s  %-26s %-10s %-17s -> %-17s %-8s %s\n", p.elapsed(), label(r), r.Region,
			from, r.Class, r.Access, r.Signature)
	}
}

// updates prints what detection announces: events opening, widening and closing.
func (p *printer) updates(us []model.EventUpdate) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, u := range us {
		e := u.Event
		what := e.Provider + "/" + e.Model
		if e.Kind == model.EventVantageFault || e.Vantage != "" {
			what = "vantage " + e.Vantage
		}
		kind := e.Kind
		if u.Phase == model.PhaseClosed && e.Outcome != "" {
			kind = e.Outcome // the event keeps its kind; its end is announced by its outcome
		}
		line := fmt.Sprintf("%s  >> %-8s %-13s %-9s %-26s in %s", p.elapsed(), strings.ToUpper(u.Phase), kind, e.Scope, what, strings.Join(e.Regions, ", "))
		switch {
		case u.Phase == model.PhaseClosed:
			line += fmt.Sprintf(" after %s", e.Duration(p.now()).Round(100*time.Millisecond))
		case u.Phase == model.PhaseOpened:
			line += fmt.Sprintf(" since %s  %s", e.StartedAt.UTC().Format("15:04:05Z"), e.Signature)
		}
		fmt.Fprintln(p.out, line)
		p.events++
		switch u.Phase {
		case model.PhaseOpened:
			p.open[e.ID] = true
		case model.PhaseClosed:
			delete(p.open, e.ID)
		}
	}
}

// openEvents is how many events the demo saw open and not yet close.
func (p *printer) openEvents() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.open)
}

func (p *printer) event(what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "\n%s  == %s ==\n", p.elapsed(), what)
}

// matrix prints the latest access of every model in every region.
func (p *printer) matrix() {
	p.mu.Lock()
	defer p.mu.Unlock()
	regions := map[string]bool{}
	models := map[string]map[string]model.Result{}
	for _, r := range p.last {
		regions[r.Region] = true
		m := label(r)
		if models[m] == nil {
			models[m] = map[string]model.Result{}
		}
		models[m][r.Region] = r
	}
	rs := sortedKeys(regions)
	tw := tabwriter.NewWriter(p.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s  observed now:\t%s\n", p.elapsed(), strings.Join(rs, "\t"))
	for _, m := range sortedKeys(models) {
		cells := make([]string, 0, len(rs))
		for _, region := range rs {
			cells = append(cells, string(models[m][region].Access))
		}
		fmt.Fprintf(tw, "         %s\t%s\n", m, strings.Join(cells, "\t"))
	}
	_ = tw.Flush()
}

func (p *printer) summary() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "\n%s  demo done: %d results stored, %d changes observed, %d event updates\n", p.elapsed(), p.results, p.changes, p.events)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
