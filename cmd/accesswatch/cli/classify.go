package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/redact"
	"github.com/accesswatch/accesswatch/probes/classify"
	"github.com/accesswatch/accesswatch/probes/providers"
)

// classifyOutput is what `accesswatch classify` prints.
type classifyOutput struct {
	Provider string `json:"provider"`
	Status   int    `json:"status"`
	model.Classification
	RequestID  string `json:"request_id,omitempty"`
	EdgeColo   string `json:"edge_colo,omitempty"`
	EdgeRegion string `json:"edge_region,omitempty"`
	Excerpt    string `json:"excerpt,omitempty"`
}

const maxClassifyBody = 1 << 20

func classifyCmd(_ context.Context, env Env, args []string) error {
	fs := newFlags(env, "classify", "--provider KIND --status N [--header 'K: V']... [--body FILE|-]")
	kind := fs.String("provider", "", "provider kind: "+strings.Join(providers.Kinds(), ", "))
	status := fs.Int("status", 0, "HTTP status of the answer")
	bodyPath := fs.String("body", "", "file holding the answer body, or - for standard input")
	modelID := fs.String("model", "", "model id the request was for (normalised out of the signature)")
	check := fs.String("check", model.CheckGenerate, "check kind the answer came from: models, model, count_tokens, generate")
	var headers multiFlag
	fs.Var(&headers, "header", "an answer header as 'Name: value' (repeatable)")
	if err := parse(env, fs, args); err != nil {
		return err
	}
	if !slices.Contains(providers.Kinds(), *kind) {
		return fmt.Errorf("%w: --provider: want one of %s, got %q", errUsage, strings.Join(providers.Kinds(), ", "), *kind)
	}
	if *status < 100 || *status > 599 {
		return fmt.Errorf("%w: --status: want an HTTP status from 100 to 599, got %d", errUsage, *status)
	}
	h := http.Header{}
	for _, kv := range headers {
		name, value, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("%w: --header: want 'Name: value', got %q", errUsage, kv)
		}
		h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	body, err := readBody(env, *bodyPath)
	if err != nil {
		return err
	}
	c := classify.Classify(classify.Observation{Kind: *kind, Check: *check, Model: *modelID, Status: *status, Header: h, Body: body})
	meta := providers.ExtractMeta(h, body)
	out := classifyOutput{
		Provider: *kind, Status: *status, Classification: c,
		RequestID: meta.RequestID, EdgeColo: meta.EdgeColo, EdgeRegion: meta.EdgeRegion,
		Excerpt: redact.Excerpt(body, 512),
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func readBody(env Env, path string) ([]byte, error) {
	var r io.Reader
	switch path {
	case "":
		return nil, nil
	case "-":
		r = env.Stdin
	default:
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--body: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxClassifyBody+1))
	if err != nil {
		return nil, fmt.Errorf("--body: %w", err)
	}
	if len(b) > maxClassifyBody {
		return nil, fmt.Errorf("--body: longer than %d bytes", maxClassifyBody)
	}
	return b, nil
}
