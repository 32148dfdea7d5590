package ingest

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Agent is one agent allowed to push.
type Agent struct {
	ID string
	// Tokens are the bearer tokens the agent may present: one, or two while rotating.
	Tokens []string
	// Vantages are the vantage ids the agent may report results for; empty allows any.
	Vantages []string
}

// authTable is an immutable snapshot of the configured agents, swapped whole by SetAgents.
type authTable struct {
	agents  []agentConf
	entries []tokenEntry // every token of every agent
}

type agentConf struct {
	id       string
	vantages map[string]bool // nil: any
}

// tokenEntry holds a token's SHA-256, so that comparing takes the same time whatever the
// lengths of the presented and configured tokens.
type tokenEntry struct {
	sum   [sha256.Size]byte
	agent int // index in authTable.agents
}

// newAuthTable validates agents: ids unique, non-empty and free of spaces and control
// characters (they travel in a header); one or two tokens each, none empty, none shared.
func newAuthTable(agents []Agent) (*authTable, error) {
	t := &authTable{}
	ids := make(map[string]bool, len(agents))
	owner := make(map[[sha256.Size]byte]string)
	for _, a := range agents {
		if a.ID == "" || strings.IndexFunc(a.ID, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
			return nil, fmt.Errorf("ingest: agent id %q is empty or contains spaces or control characters", a.ID)
		}
		if ids[a.ID] {
			return nil, fmt.Errorf("ingest: agent %q is configured twice", a.ID)
		}
		ids[a.ID] = true
		if len(a.Tokens) == 0 || len(a.Tokens) > 2 {
			return nil, fmt.Errorf("ingest: agent %q has %d tokens, want one, or two while rotating", a.ID, len(a.Tokens))
		}
		conf := agentConf{id: a.ID}
		if len(a.Vantages) > 0 {
			conf.vantages = make(map[string]bool, len(a.Vantages))
			for _, v := range a.Vantages {
				conf.vantages[v] = true
			}
		}
		t.agents = append(t.agents, conf)
		for i, tok := range a.Tokens {
			if strings.TrimSpace(tok) == "" {
				return nil, fmt.Errorf("ingest: agent %q: token %d is empty", a.ID, i+1)
			}
			sum := sha256.Sum256([]byte(tok))
			if other, dup := owner[sum]; dup {
				// Never print the token itself.
				if other == a.ID {
					return nil, fmt.Errorf("ingest: agent %q lists the same token twice", a.ID)
				}
				return nil, fmt.Errorf("ingest: agents %q and %q share a token", other, a.ID)
			}
			owner[sum] = a.ID
			t.entries = append(t.entries, tokenEntry{sum: sum, agent: len(t.agents) - 1})
		}
	}
	return t, nil
}

// match returns the agent owning token. It compares against every entry, without an
// early exit, so the time taken does not tell which agent (if any) matched.
func (t *authTable) match(token string) (*agentConf, bool) {
	sum := sha256.Sum256([]byte(token))
	found, idx := 0, 0
	for i := range t.entries {
		eq := subtle.ConstantTimeCompare(sum[:], t.entries[i].sum[:])
		idx = subtle.ConstantTimeSelect(eq, t.entries[i].agent, idx)
		found |= eq
	}
	if found != 1 || token == "" {
		return nil, false
	}
	return &t.agents[idx], true
}

func (t *authTable) ids() []string {
	out := make([]string, len(t.agents))
	for i := range t.agents {
		out[i] = t.agents[i].id
	}
	slices.Sort(out)
	return out
}

var errNoBearer = errors.New("no bearer token")

// bearer extracts the token of an "Authorization: Bearer <token>" header; the scheme is
// case-insensitive (RFC 9110 §11.1).
func bearer(header string) (string, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", errNoBearer
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", errNoBearer
	}
	return token, nil
}
