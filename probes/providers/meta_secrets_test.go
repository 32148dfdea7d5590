package providers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/probes/providers"
)

func TestExtractMetaEchoedKey(t *testing.T) {
	t.Parallel()
	canary := "Zq8T0mVx4LpR2sKd9NwY7cHb1JfG6uAe3XiO5nBt"
	tests := []struct {
		name string
		h    http.Header
		body string
	}{
		{"request-id", hdr("request-id", canary), ""},
		{"x-request-id upper-cased", hdr("x-request-id", "req-"+strings.ToUpper(canary)), ""},
		{"body request_id", hdr(), `{"request_id":"` + canary + `"}`},
		{"key-shaped id, not configured", hdr("request-id", "sk-ant-api03-"+strings.Repeat("aB3dE5gH7j", 4)), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := providers.ExtractMeta(tc.h, []byte(tc.body), canary)
			low := strings.ToLower(m.RequestID)
			if strings.Contains(low, strings.ToLower(canary)) || strings.Contains(low, "sk-ant") {
				t.Errorf("RequestID %q keeps the key", m.RequestID)
			}
			if !strings.Contains(m.RequestID, "[REDACTED]") {
				t.Errorf("RequestID %q: want the marker in place of the key", m.RequestID)
			}
		})
	}
}

func TestExtractMetaSecretAcrossBound(t *testing.T) {
	t.Parallel()
	canary := "Zq8T0mVx4LpR2sKd9NwY7cHb1JfG6uAe3XiO5nBt"
	// ExtractMeta bounds request ids at 128 bytes: an echoed key that crosses the bound goes too.
	id := strings.Repeat("r", 110) + strings.ToUpper(canary)
	m := providers.ExtractMeta(hdr("request-id", id), nil, canary)
	if strings.Contains(strings.ToLower(m.RequestID), strings.ToLower(canary[:8])) {
		t.Errorf("RequestID %q keeps the key's head", m.RequestID)
	}
}
