package providers_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/accesswatch/accesswatch/probes/providers"
)

func TestRegistry(t *testing.T) {
	t.Parallel()
	reg := providers.NewRegistry()
	want := []string{"anthropic", "gemini", "mistral", "openai", "openai_compatible"}
	if got := providers.Kinds(); !slices.Equal(got, want) {
		t.Errorf("Kinds() = %v, want %v", got, want)
	}
	if got := reg.Kinds(); !slices.Equal(got, want) {
		t.Errorf("reg.Kinds() = %v, want %v", got, want)
	}
	for _, k := range want {
		a, err := reg.Lookup(k)
		if err != nil || a.Kind() != k {
			t.Errorf("Lookup(%q) = %v, %v", k, a, err)
		}
	}
	_, err := reg.Lookup("x")
	if err == nil || err.Error() != `unknown provider kind "x": must be one of [anthropic gemini mistral openai openai_compatible]` {
		t.Errorf("Lookup(x) error = %v", err)
	}
}

type fakeAdapter struct{ kind string }

func (f fakeAdapter) Kind() string                       { return f.kind }
func (fakeAdapter) Supports(string) bool                 { return false }
func (fakeAdapter) ParseModels([]byte) ([]string, error) { return nil, nil }
func (fakeAdapter) Request(context.Context, providers.Target, string, string) (*http.Request, error) {
	return nil, providers.ErrUnsupportedCheck
}

func TestRegister(t *testing.T) {
	t.Parallel()
	reg := providers.NewRegistry()
	if err := reg.Register(fakeAdapter{"cohere"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Lookup("cohere"); err != nil {
		t.Error(err)
	}
	if err := reg.Register(fakeAdapter{"openai"}); err == nil {
		t.Error("registering a built-in kind twice succeeded")
	}
	if err := reg.Register(fakeAdapter{""}); err == nil {
		t.Error("registering an adapter without a kind succeeded")
	}
	if other := providers.NewRegistry(); slices.Contains(other.Kinds(), "cohere") {
		t.Error("registries share state")
	}
}
