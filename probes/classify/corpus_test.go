package classify

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// corpusCase is one real-world answer from testdata/corpus: a fixture (same head keys and body)
// plus where it was seen, when, why its class is what it is, and whether that class is settled.
type corpusCase struct {
	fixture
	source  string
	date    string
	note    string
	settled bool
}

// minCorpus is the size the corpus must keep: field truth is only as good as its sample.
const minCorpus = 150

var sourceURL = regexp.MustCompile(`^https://[a-z0-9.-]+\.[a-z]{2,}/\S+$`)

func parseCorpusCase(name string, data []byte) (corpusCase, error) {
	c := corpusCase{}
	head, _, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		return c, fmt.Errorf("%s: no blank line before the body", name)
	}
	// The provenance keys are taken out here; the rest is an ordinary fixture head.
	var rest bytes.Buffer
	seen := map[string]bool{}
	for line := range strings.SplitSeq(string(head), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "source", "date", "note", "settled":
			if seen[k] {
				return c, fmt.Errorf("%s: %s given twice", name, k)
			}
			seen[k] = true
		}
		switch k {
		case "source":
			c.source = strings.TrimSpace(v)
		case "date":
			c.date = strings.TrimSpace(v)
		case "note":
			c.note = strings.TrimSpace(v)
		case "settled":
			switch strings.TrimSpace(v) {
			case "true":
				c.settled = true
			case "false":
			default:
				return c, fmt.Errorf("%s: settled: want true or false, got %q", name, v)
			}
		default:
			rest.WriteString(line)
			rest.WriteByte('\n')
		}
	}
	switch {
	case !sourceURL.MatchString(c.source):
		return c, fmt.Errorf("%s: source: want a public https URL, got %q", name, c.source)
	case c.note == "":
		return c, fmt.Errorf("%s: note: required (why the class is what it is)", name)
	case !seen["settled"]:
		return c, fmt.Errorf("%s: settled: required", name)
	}
	if _, err := time.Parse(time.DateOnly, c.date); err != nil {
		return c, fmt.Errorf("%s: date: want YYYY-MM-DD, got %q", name, c.date)
	}
	body := data[len(head):]
	f, err := parseFixture(name, append(rest.Bytes(), body[1:]...))
	if err != nil {
		return c, err
	}
	c.fixture = f
	return c, nil
}

func loadCorpus(tb testing.TB) []corpusCase {
	tb.Helper()
	paths, err := filepath.Glob("testdata/corpus/*.txt")
	if err != nil {
		tb.Fatal(err)
	}
	cs := make([]corpusCase, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		c, err := parseCorpusCase(strings.TrimSuffix(filepath.Base(p), ".txt"), data)
		if err != nil {
			tb.Error(err)
			continue
		}
		cs = append(cs, c)
	}
	return cs
}

// TestCorpus classifies every real-world answer in testdata/corpus, prints the accuracy (class
// and access both right), and fails on any settled case read wrongly. Judgement calls
// (settled: false) are reported, not failed: their fixture says why they are hard.
func TestCorpus(t *testing.T) {
	t.Parallel()
	cases := loadCorpus(t)
	if len(cases) < minCorpus {
		t.Errorf("corpus has %d cases, want at least %d", len(cases), minCorpus)
	}
	var right, settled, settledRight int
	byAccess := map[model.Access][2]int{}
	var wrong []string
	for _, c := range cases {
		got := Classify(c.obs)
		wantAccess := c.wantAccess
		if wantAccess == "" {
			wantAccess = model.AccessOf(c.want)
		}
		ok := got.Class == c.want && got.Access == wantAccess
		n := byAccess[wantAccess]
		n[1]++
		if ok {
			right++
			n[0]++
		}
		byAccess[wantAccess] = n
		if c.settled {
			settled++
			if ok {
				settledRight++
			}
		}
		if !ok {
			line := fmt.Sprintf("%s: got %s/%s (rule %s), want %s/%s; %s", c.name, got.Class, got.Access, got.Rule,
				c.want, wantAccess, got.Signature)
			if c.settled {
				t.Error("settled case read wrongly: " + line)
			} else {
				wrong = append(wrong, line)
			}
		}
		checkInvariants(t, got)
		// The worst mistake: a revocation where the case says it is none.
		if got.Access == model.AccessRevoked && wantAccess != model.AccessRevoked {
			t.Errorf("false revocation: %s read as %s (rule %s)", c.name, got.Class, got.Rule)
		}
	}
	if len(cases) == 0 {
		return
	}
	t.Logf("corpus: %d cases, %d right (%.1f%%); settled %d, right %d (%.1f%%)", len(cases), right,
		100*float64(right)/float64(len(cases)), settled, settledRight, pct(settledRight, settled))
	accesses := make([]string, 0, len(byAccess))
	for a := range byAccess {
		accesses = append(accesses, string(a))
	}
	sort.Strings(accesses)
	for _, a := range accesses {
		n := byAccess[model.Access(a)]
		t.Logf("  want %-13s %3d/%3d right", a, n[0], n[1])
	}
	for _, w := range wrong {
		t.Log("judgement call read otherwise: " + w)
	}
}

func pct(a, b int) float64 {
	if b == 0 {
		return 100
	}
	return 100 * float64(a) / float64(b)
}

func TestParseCorpusCaseErrors(t *testing.T) {
	t.Parallel()
	good := "source: https://github.com/o/r/issues/1\ndate: 2025-01-02\nnote: why\nsettled: true\n" +
		"kind: openai\ncheck: generate\nstatus: 429\nwant: billing\n\n{}\n"
	if c, err := parseCorpusCase("good", []byte(good)); err != nil || !c.settled || c.obs.Status != 429 ||
		string(c.obs.Body) != "{}" {
		t.Fatalf("good case: %+v, %v", c, err)
	}
	for name, tc := range map[string]struct{ from, to, want string }{
		"no source":   {"source: https://github.com/o/r/issues/1\n", "", "source: want a public https URL"},
		"http source": {"https://github", "http://github", "source: want a public https URL"},
		"bad date":    {"2025-01-02", "2025-13-02", "date: want YYYY-MM-DD"},
		"no note":     {"note: why\n", "", "note: required"},
		"no settled":  {"settled: true\n", "", "settled: required"},
		"settled yes": {"settled: true", "settled: yes", "settled: want true or false"},
		"twice":       {"note: why\n", "note: why\nnote: again\n", "note given twice"},
		"no want":     {"want: billing\n", "", "want are required"},
	} {
		_, err := parseCorpusCase(name, []byte(strings.Replace(good, tc.from, tc.to, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to say %q", name, err, tc.want)
		}
	}
}
