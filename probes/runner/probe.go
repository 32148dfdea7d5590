package runner

import (
	"context"
	"net/http"
	"time"

	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/redact"
	"github.com/accesswatch/accesswatch/probes/classify"
	"github.com/accesswatch/accesswatch/probes/httpprobe"
	"github.com/accesswatch/accesswatch/probes/providers"
	"github.com/accesswatch/accesswatch/probes/verify"
)

// Probe runs one target now and returns one Result per model it covers (one for a control
// target). It never fails: every failure is a Result with a failing classification.
func (r *Runner) Probe(ctx context.Context, t Target, scheduled time.Time) []model.Result {
	var out []model.Result
	r.ProbeEach(ctx, t, scheduled, func(rs []model.Result) { out = append(out, rs...) })
	return out
}

// ProbeEach runs one target now and hands its results to emit as each request ends: one call
// per request of a generate, count or model check (one result), of a control probe, and of a
// confirming get; one call with every model a models list decided. emit is called from this
// goroutine, in order, and may keep the slice.
func (r *Runner) ProbeEach(ctx context.Context, t Target, scheduled time.Time, emit func([]model.Result)) {
	switch t.Check.Kind {
	case model.CheckModels:
		r.probeCatalogue(ctx, t, scheduled, emit)
		return
	case model.CheckControl:
		emit([]model.Result{r.control(ctx, t, scheduled)})
		return
	}
	for _, m := range t.Models {
		res, _ := r.exchange(ctx, t, m, scheduled)
		emit([]model.Result{res})
	}
}

// exchange sends one request of t's check for modelID and returns its Result and the raw exchange.
func (r *Runner) exchange(ctx context.Context, t Target, modelID string, scheduled time.Time) (model.Result, httpprobe.Exchange) {
	v := r.vantages[t.Vantage.ID]
	start := r.now()
	res := model.Result{
		ID: model.NewID(start), SchemaVersion: model.SchemaVersion, Time: start, ScheduledAt: scheduled,
		Vantage: t.Vantage.ID, Region: t.Vantage.Region, Country: t.Vantage.Country,
		Provider: t.Provider.ID, Kind: t.Provider.Kind, Model: modelID, Check: t.Check.Kind,
	}
	if vd := v.verdict.Load(); vd != nil {
		res.EgressIP, res.EgressASN, res.VantageMismatch = vd.EgressIP, vd.ASN, vd.Mismatch()
	}
	secrets := r.secrets()
	ad, err := r.reg.Lookup(t.Provider.Kind)
	var req *http.Request
	if err == nil {
		req, err = r.request(ctx, ad, t, modelID)
	}
	if err != nil {
		// Only a config the loader should have refused gets here.
		res.Classification = model.Classification{Layer: model.LayerHTTP, Class: model.ClassBadRequest,
			Access: model.AccessMisconfigured, Signature: t.Provider.Kind + ":request:cannot build", Rule: "runner.build"}
		res.Error = redact.String(err.Error(), secrets...)
		res.EndedAt = r.now()
		return res, httpprobe.Exchange{}
	}
	res.Method, res.URL = req.Method, redact.String(redact.URL(req.URL), secrets...)

	pctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	// Scrubbed before anything reads it: classify (which lower-cases), meta and excerpt.
	ex := scrub(httpprobe.Do(pctx, v.rt, req.WithContext(pctx), r.bodyLimit(t)), secrets)
	res.EndedAt = r.now()
	res.Classification = classify.Classify(classify.Observation{
		Kind: t.Provider.Kind, Check: t.Check.Kind, Model: modelID,
		Status: ex.Status, Header: ex.Header, Body: ex.Body, Err: ex.Err, Op: ex.Op,
	})
	res.HTTPStatus = ex.Status
	res.Timings = ex.Timings
	res.RemoteIP, res.TLSVersion, res.CertSHA256 = ex.RemoteIP, ex.TLSVersion, ex.CertSHA256
	if ex.Err != nil {
		res.Error = redact.String(ex.Err.Error(), secrets...)
	} else {
		meta := providers.ExtractMeta(ex.Header, ex.Body, secrets...)
		res.RequestID, res.EdgeColo, res.EdgeRegion = meta.RequestID, meta.EdgeColo, meta.EdgeRegion
		if res.Class != model.ClassOK {
			res.Excerpt = redact.Excerpt(ex.Body, 512, secrets...)
		}
	}
	r.log.Debug("probe", "vantage", res.Vantage, "provider", res.Provider, "model", modelID,
		"check", res.Check, "class", res.Class, "status", res.HTTPStatus, "ms", res.Timings.TotalMs)
	return res, ex
}

// control fetches the vantage's control URL: any answer from it means the vantage's own path works.
func (r *Runner) control(ctx context.Context, t Target, scheduled time.Time) model.Result {
	v := r.vantages[t.Vantage.ID]
	start := r.now()
	res := model.Result{
		ID: model.NewID(start), SchemaVersion: model.SchemaVersion, Time: start, ScheduledAt: scheduled,
		Vantage: t.Vantage.ID, Region: t.Vantage.Region, Country: t.Vantage.Country, Check: model.CheckControl,
		Method: http.MethodGet,
	}
	if vd := v.verdict.Load(); vd != nil {
		res.EgressIP, res.EgressASN, res.VantageMismatch = vd.EgressIP, vd.ASN, vd.Mismatch()
	}
	pctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	secrets := r.secrets()
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, r.controlURL(t.Vantage), nil)
	if err != nil {
		res.Classification = model.Classification{Layer: model.LayerHTTP, Class: model.ClassBadRequest,
			Access: model.AccessMisconfigured, Signature: "control:request:cannot build", Rule: "runner.build"}
		res.Error = redact.String(err.Error(), secrets...)
		res.EndedAt = r.now()
		return res
	}
	req.Header.Set("User-Agent", r.ua)
	res.URL = redact.String(redact.URL(req.URL), secrets...)
	// A proxy may forward its Proxy-Authorization and an echo repeat it: scrubbed first.
	ex := scrub(httpprobe.Do(pctx, v.rt, req, 4<<10), secrets)
	res.EndedAt = r.now()
	res.Classification = classify.Classify(classify.Observation{
		Kind: "control", Check: model.CheckControl, Status: ex.Status, Header: ex.Header, Body: ex.Body, Err: ex.Err, Op: ex.Op,
	})
	res.HTTPStatus, res.Timings = ex.Status, ex.Timings
	res.RemoteIP, res.TLSVersion, res.CertSHA256 = ex.RemoteIP, ex.TLSVersion, ex.CertSHA256
	if ex.Err != nil {
		res.Error = redact.String(ex.Err.Error(), secrets...)
	}
	return res
}

func (r *Runner) controlURL(v config.Vantage) string {
	if r.cfg.Probing.ControlURL != "" {
		return r.cfg.Probing.ControlURL
	}
	if v.EchoURL != "" {
		return v.EchoURL
	}
	return r.cfg.Probing.EchoURL
}

func (r *Runner) target(t Target) providers.Target {
	return providers.Target{
		Kind: t.Provider.Kind, BaseURL: t.Provider.BaseURL, APIKey: t.Provider.APIKey.Reveal(),
		Headers: t.Provider.Headers, UserAgent: r.ua, TokenParam: t.Provider.TokenParam,
	}
}

// Verify checks every vantage's egress country now, remembers the verdicts for later results,
// and logs a mismatch loudly.
func (r *Runner) Verify(ctx context.Context) []verify.Verdict {
	out := make([]verify.Verdict, 0, len(r.vantages))
	for _, v := range r.cfg.Vantages {
		st := r.vantages[v.ID]
		echo := v.EchoURL
		if echo == "" {
			echo = r.cfg.Probing.EchoURL
		}
		vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		vd := verify.Check(vctx, st.rt, v.ID, echo, v.Country, r.geo, r.now)
		cancel()
		st.verdict.Store(&vd)
		switch {
		case vd.Mismatch():
			r.log.Error("VANTAGE MISMATCH: egress is not in the configured country; its results are marked vantage_mismatch and will not count for its region",
				"vantage", v.ID, "want_country", v.Country, "egress_ip", vd.EgressIP, "egress_country", vd.Country)
		case vd.Err != "":
			r.log.Warn("vantage verification failed", "vantage", v.ID, "err", vd.Err)
		default:
			r.log.Info("vantage verified", "vantage", v.ID, "country", vd.Country, "egress_ip", vd.EgressIP)
		}
		out = append(out, vd)
	}
	return out
}

// Verdicts returns the latest verification verdict of every vantage that has one.
func (r *Runner) Verdicts() []verify.Verdict {
	var out []verify.Verdict
	for _, v := range r.cfg.Vantages {
		if vd := r.vantages[v.ID].verdict.Load(); vd != nil {
			out = append(out, *vd)
		}
	}
	return out
}
