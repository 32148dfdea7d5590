package providers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"

	"github.com/accesswatch/accesswatch/internal/vendors"
)

// Provider kinds.
const (
	KindAnthropic        = vendors.KindAnthropic
	KindOpenAI           = vendors.KindOpenAI
	KindOpenAICompatible = vendors.KindOpenAICompatible
	KindGemini           = vendors.KindGemini
	KindMistral          = vendors.KindMistral
)

// Target is one configured vendor API as the adapter needs it.
type Target struct {
	Kind    string
	BaseURL string // "" for the vendor's public API (required for openai_compatible)
	APIKey  string // sent only in the vendor's auth header; none is sent when empty
	// Headers are extra request headers (e.g. OpenAI-Organization, anthropic-beta). They may
	// override the defaults (Accept, anthropic-version, …) but not the auth header.
	Headers   map[string]string
	UserAgent string // DefaultUserAgent when empty
	// TokenParam is the token-limit field of an openai/openai_compatible generate
	// (TokenParamMaxTokens or TokenParamMaxCompletionTokens); vendors.DefaultTokenParam when empty.
	TokenParam string
}

// Adapter builds requests for one vendor API.
type Adapter interface {
	// Kind is the provider kind the adapter serves.
	Kind() string
	// Supports reports whether the API has a request for a check kind (model.Check*).
	Supports(check string) bool
	// Request builds the request for check; modelID is ignored (and may be "") for models.
	Request(ctx context.Context, t Target, check, modelID string) (*http.Request, error)
	// ParseModels returns the model ids in a models-list answer, in answer order.
	ParseModels(body []byte) ([]string, error)
}

// Registry maps provider kinds to adapters.
type Registry struct {
	adapters map[string]Adapter
}

// ErrUnsupportedCheck is returned by Request for a check the adapter does not support.
var ErrUnsupportedCheck = errors.New("check not supported")

// NewRegistry returns a registry holding every built-in adapter.
func NewRegistry() *Registry {
	r := &Registry{adapters: map[string]Adapter{}}
	for _, a := range builtins() {
		r.adapters[a.Kind()] = a
	}
	return r
}

func builtins() []Adapter {
	return []Adapter{
		anthropic{},
		openAI{kind: KindOpenAI, defaultBase: "https://api.openai.com/v1"},
		openAI{kind: KindOpenAICompatible},
		gemini{},
		mistral{},
	}
}

// Register adds an adapter; a kind can be registered once.
func (r *Registry) Register(a Adapter) error {
	if a == nil || a.Kind() == "" {
		return errors.New("providers: adapter without a kind")
	}
	if _, dup := r.adapters[a.Kind()]; dup {
		return fmt.Errorf("providers: kind %q already registered", a.Kind())
	}
	r.adapters[a.Kind()] = a
	return nil
}

// Lookup returns the adapter of a kind.
func (r *Registry) Lookup(kind string) (Adapter, error) {
	if a, ok := r.adapters[kind]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("unknown provider kind %q: must be one of %v", kind, r.Kinds())
}

// Kinds lists the registered kinds, sorted.
func (r *Registry) Kinds() []string {
	ks := make([]string, 0, len(r.adapters))
	for k := range r.adapters {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Kinds lists the built-in provider kinds, sorted.
func Kinds() []string {
	ks := []string{}
	for _, a := range builtins() {
		ks = append(ks, a.Kind())
	}
	slices.Sort(ks)
	return ks
}
