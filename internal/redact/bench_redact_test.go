package redact_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/internal/redact"
)

func BenchmarkRedactBodyList(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"data":[`)
	for i := 0; sb.Len() < 4<<20; i++ {
		fmt.Fprintf(&sb, `{"id":"org/model-%d","object":"model","created":1700000000,"owned_by":"org","description":"A model; see https://example.com/m/%d"},`, i, i)
	}
	sb.WriteString(`{"id":"last"}]}`)
	body := []byte(sb.String())
	secrets := redact.WithEncodings([]string{"Zq8T0mVx4LpR2sKd9NwY7cHb1JfG6uAe3XiO5nBt", "sk-ant-api03-abcdefghijklmnop", "e2e-agent-token-0123456789", "https://hooks.slack.com/services/T000/B000/XXXX"})
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		redact.Body(body, secrets...)
	}
}
