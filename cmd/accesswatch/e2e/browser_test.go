package e2e

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/accesswatch/accesswatch/internal/model"
)

// browser starts headless Chromium (CHROMIUM, set by scripts/test.sh) with the flags this
// machine's closed network needs, or skips the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		t.Skip("no Chromium: run through scripts/test.sh, which installs Debian's chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// screenshot saves the page as a test artefact under $ARTIFACTS/screenshots.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "accesswatch-artifacts")
	}
	dir = filepath.Join(dir, "screenshots")
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
}

// cellState reads the state the matrix shows for one cell, as the page shows it now.
func cellState(ctx context.Context, provider, modelID, region string) (string, error) {
	js := fmt.Sprintf(`(function(){var c=document.querySelector('#matrix [data-provider=%q][data-model=%q][data-region=%q]');return c?c.getAttribute('data-state')+'|'+c.textContent.trim():'';})()`, provider, modelID, region)
	return chromedp.Run(ctx, chromedp.Evaluate[string](js))
}

// awaitCell waits, without reloading the page, until the cell shows state in data and text.
func awaitCell(t *testing.T, ctx context.Context, provider, modelID, region string, state model.State, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var got string
	for time.Now().Before(deadline) {
		var err error
		if got, err = cellState(ctx, provider, modelID, region); err != nil {
			t.Fatal(err)
		}
		if d, text, _ := strings.Cut(got, "|"); d == string(state) && strings.Contains(text, string(state)) {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("the matrix cell %s/%s/%s never showed %q within %v (last %q)", provider, modelID, region, state, within, got)
}

const browserYAML = `server: { listen: "{{LISTEN}}", page_refresh: 1s }
store: { path: "{{DIR}}/aw.db", flush_interval: 100ms }
geoip: { country_db: "{{COUNTRYDB}}", asn_db: "{{ASNDB}}" }
probing: { timeout: 2s, jitter: 0s }
alerting: { group_wait: 200ms }
vantages:
  - { id: in-mumbai-1, region: india, country: IN, source_ip: 127.0.1.1 }
  - { id: us-virginia-1, region: us, country: US, source_ip: 127.0.4.1 }
providers:
  - { id: anthropic, kind: anthropic, base_url: "{{VENDOR}}/anthropic", api_key: k, models: [claude-fable-5, claude-sonnet-4-5],
      checks: [ { kind: generate, schedule: "@every 1s" }, { kind: status_page, schedule: "@every 1s", url: "{{STATUSPAGE}}" } ] }
`

// vendorStatusPage is the vendor's own Statuspage summary, saying all is well.
const vendorStatusPage = `{"page":{"id":"tymt9n04zgry","name":"Claude","url":"https://status.claude.com","time_zone":"Etc/UTC","updated_at":"2026-11-28T09:00:00.000Z"},
"status":{"indicator":"none","description":"All Systems Operational"},
"components":[{"id":"k8w3r06qmzrp","name":"Claude API (api.anthropic.com)","status":"operational","created_at":"2023-07-11T17:00:00.000Z","updated_at":"2026-11-28T09:00:00.000Z","position":1,"description":null,"showcase":true,"group_id":null,"page_id":"tymt9n04zgry","group":false,"only_show_if_degraded":false}],
"incidents":[],"scheduled_maintenances":[]}`

// TestStatusPageInBrowser drives headless Chromium against a running service fed by the
// simulated vendor: the matrix turns revoked and back without a reload, the incident page lists
// the region, the widget renders inside an iframe from another origin, badges are SVG.
func TestStatusPageInBrowser(t *testing.T) {
	ctx := browser(t)
	w := newWorld(t, "claude-fable-5", "claude-sonnet-4-5")
	status := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		fmt.Fprint(rw, vendorStatusPage)
	}))
	defer status.Close()
	run := w.start(t, strings.ReplaceAll(browserYAML, "{{STATUSPAGE}}", status.URL+"/api/v2/summary.json"), "")
	run.awaitStatus(t, "available", 15*time.Second, func(m map[string]model.TargetStatus) bool {
		return allIn(m, []string{"claude-fable-5"}, []string{"india", "us"}, model.StateAvailable)
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(run.base+"/"), chromedp.WaitVisible(chromedp.CSS("#matrix"))); err != nil {
		t.Fatal(err)
	}
	awaitCell(t, ctx, "anthropic", "claude-fable-5", "india", model.StateAvailable, 10*time.Second)
	screenshot(t, ctx, "status-available")

	w.vendor.Withdraw("claude-fable-5", "IN")
	awaitCell(t, ctx, "anthropic", "claude-fable-5", "india", model.StateRevoked, 45*time.Second)
	awaitCell(t, ctx, "anthropic", "claude-fable-5", "us", model.StateAvailable, time.Second)
	// The vendor's claim stands next to what we observe.
	claim := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		claim, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if strings.Contains(claim, "vendor: operational; observed: revoked in india") {
			break
		}
	}
	if !strings.Contains(claim, "vendor: operational; observed: revoked in india") {
		t.Errorf("the page does not set the vendor's claim against the observation:\n%s", claim)
	}
	screenshot(t, ctx, "status-revoked")

	// The incident page lists the region.
	var evs struct {
		Events []struct {
			model.Event
			VendorClaims []model.Claim `json:"vendor_claims"`
		}
	}
	// Events are judged once the round settles, a moment after the region moved.
	waitFor(t, "the revoked event", 10*time.Second, func() bool {
		run.get(t, "/api/v1/events?kind=revoked", &evs)
		return len(evs.Events) > 0
	})
	// The events API, too, sets the vendor's claim beside the observation.
	if vc := evs.Events[0].VendorClaims; len(vc) != 1 || vc[0].Status != model.ClaimOperational || vc[0].ComponentID != "k8w3r06qmzrp" {
		t.Errorf("events API vendor claims: %+v", vc)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(run.base+"/incidents/"+evs.Events[0].IncidentID), chromedp.WaitVisible(chromedp.CSS("#regions"))); err != nil {
		t.Fatal(err)
	}
	regions, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#regions [data-region]')).map(e=>e.getAttribute('data-region'))`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(regions, ",") != "india" {
		t.Errorf("incident page regions %v, want [india]", regions)
	}
	screenshot(t, ctx, "incident")

	// The widget, embedded by a page of another origin.
	embedURL := run.base + "/embed/anthropic/claude-fable-5"
	host := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(rw, `<!doctype html><title>a newsroom</title><h1>Is Claude Fable 5 usable?</h1><iframe src=%q width="420" height="240" title="accesswatch"></iframe>`, embedURL)
	}))
	defer host.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL), chromedp.Sleep(time.Second)); err != nil {
		t.Fatal(err)
	}
	tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	frames := tree.FrameTree
	if len(frames.ChildFrames) != 1 || frames.ChildFrames[0].Frame.URL != embedURL {
		t.Errorf("the iframe did not load the widget: %+v", frames.ChildFrames)
	}
	screenshot(t, ctx, "embed")

	// Restored: the matrix turns back.
	w.vendor.Restore("claude-fable-5", "IN")
	if err := chromedp.Do(ctx, chromedp.Navigate(run.base+"/")); err != nil {
		t.Fatal(err)
	}
	awaitCell(t, ctx, "anthropic", "claude-fable-5", "india", model.StateAvailable, 45*time.Second)
	screenshot(t, ctx, "status-restored")

	// A badge is an SVG document, in the browser and to an XML parser.
	if err := chromedp.Do(ctx, chromedp.Navigate(run.base+"/badge/anthropic/claude-fable-5/india.svg")); err != nil {
		t.Fatal(err)
	}
	root, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.tagName`))
	if err != nil {
		t.Fatal(err)
	}
	if root != "svg" {
		t.Errorf("badge root element %q, want svg", root)
	}
	body := run.text(t, "/badge/anthropic/claude-fable-5/india/uptime/24h.svg")
	if err := xml.Unmarshal([]byte(body), new(struct{ XMLName xml.Name })); err != nil || !strings.HasPrefix(strings.TrimSpace(body), "<svg") {
		t.Errorf("uptime badge is not SVG: %v\n%s", err, body)
	}
}
