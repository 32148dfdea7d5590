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
}

func newPrinter(out io.Writer, now func() time.Time) *printer {
	return &printer{out: out, now: now, start: now(), last: map[string]model.Result{}}
}

func key(r model.Result) string { return r.Provider + "/" + r.Model + "\x00" + r.Region }

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
		fmt.Fprintf(p.out, "%s  %-26s %-10s %-17s -> %-17s %-8s %s\n", p.elapsed(), r.Provider+"/"+r.Model, r.Region,
			from, r.Class, r.Access, r.Signature)
	}
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
		m := r.Provider + "/" + r.Model
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
	fmt.Fprintf(p.out, "\n%s  demo done: %d results stored, %d changes observed\n", p.elapsed(), p.results, p.changes)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
