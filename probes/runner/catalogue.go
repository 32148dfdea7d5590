package runner

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/redact"
	"github.com/accesswatch/accesswatch/probes/httpprobe"
	"github.com/accesswatch/accesswatch/probes/providers"
)

// Bounds of one read of a models list.
const (
	// MaxListPages bounds the pages of one list read; a list still continuing after it is
	// read as incomplete (models not seen are confirmed with a get, never called absent).
	MaxListPages = 20
	// DefaultMaxListBytes bounds one list page when the config gives no probing.max_list_kib.
	DefaultMaxListBytes = 4 << 20
)

// Rules of the classifications the catalogue writes.
const (
	ruleListTooLarge   = "runner.models_too_large"
	ruleUnparseable    = "runner.models_unparseable"
	ruleUnconfirmed    = "runner.absent_unconfirmed"
	ruleConfirmPrefix  = "confirm:" // prefixed to the rule of the confirming get's classification
	ruleListPageFailed = "page:"    // prefixed to the rule of a failed later page
)

// CatalogueCounts are the requests models checks made beyond their first list page.
type CatalogueCounts struct {
	Pages         uint64 `json:"pages"`         // list pages after the first
	Confirmations uint64 `json:"confirmations"` // gets confirming a model the list did not show
}

type catalogueCounts struct{ pages, confirmations atomic.Uint64 }

// CatalogueRequests returns how many extra requests models checks have made so far: later
// list pages and confirming gets. Each costs a request of the vendor's rate limit.
func (r *Runner) CatalogueRequests() CatalogueCounts {
	return CatalogueCounts{Pages: r.cat.pages.Load(), Confirmations: r.cat.confirmations.Load()}
}

// request builds t's request for modelID, with the page query of a later list page.
func (r *Runner) request(ctx context.Context, ad providers.Adapter, t Target, modelID string) (*http.Request, error) {
	req, err := ad.Request(ctx, r.target(t), t.Check.Kind, modelID)
	if err != nil || len(t.page) == 0 {
		return req, err
	}
	req.URL = providers.WithQuery(req.URL, t.page)
	return req, nil
}

// bodyLimit is how much of t's answer is read: list pages get probing.max_list_kib.
func (r *Runner) bodyLimit(t Target) int64 {
	if t.Check.Kind != model.CheckModels {
		return r.maxBody
	}
	if r.maxList > 0 {
		return r.maxList
	}
	return DefaultMaxListBytes
}

// listRead is what reading every page of a list gave.
type listRead struct {
	base     model.Result // the first page's result; its classification is the list's
	models   []providers.ListedModel
	read     bool          // every page read was parsed: models may be looked up
	failed   *model.Result // a later page that failed: models not seen take its result
	complete bool          // the last page said it was the last
	pages    int
}

// probeCatalogue reads the models list as the vendor serves it (every page, within one
// probe timeout and MaxListPages) and decides each model's presence: a model the list
// shows (by id, alias or dated snapshot) is available; one it does not show is confirmed
// with one get through the same vantage. Only a get the vendor itself answers with
// not-found (model_unavailable) makes it absent; a broken, truncated or empty list never
// does. What the list decided goes to emit at once, as the last page ends; each confirmed
// model then goes on its own, as its get ends.
func (r *Runner) probeCatalogue(ctx context.Context, t Target, scheduled time.Time, emit func([]model.Result)) {
	lr := r.readList(ctx, t, scheduled)
	decided := make([]model.Result, 0, len(t.Models))
	var absent []string
	for _, m := range t.Models {
		res := lr.base
		res.ID = model.NewID(res.Time)
		res.Model = m
		if lr.read {
			if e, ok := providers.FindModel(t.Provider.Kind, lr.models, m); ok {
				res.RetiresAt, res.Replacement = e.RetiresAt, e.Replacement
			} else if lr.failed != nil {
				res = *lr.failed
				res.ID, res.Model = model.NewID(res.Time), m
			} else {
				absent = append(absent, m)
				continue
			}
		}
		// Otherwise the list itself failed or cannot be read: its classification stands.
		decided = append(decided, res)
	}
	if len(decided) > 0 {
		emit(decided)
	}
	for _, m := range absent {
		emit([]model.Result{r.confirmAbsent(ctx, t, m, scheduled)})
	}
}

// readList reads the first page and follows the vendor's cursor.
func (r *Runner) readList(ctx context.Context, t Target, scheduled time.Time) listRead {
	lctx, cancel := context.WithTimeout(ctx, t.Timeout) // every page shares one probe timeout
	defer cancel()
	ad, _ := r.reg.Lookup(t.Provider.Kind)
	var lr listRead
	seen := map[string]bool{}
	pt := t
	for lr.pages < MaxListPages {
		res, ex := r.exchange(lctx, pt, "", scheduled)
		lr.pages++
		if lr.pages > 1 {
			r.cat.pages.Add(1)
		}
		page, ok := r.readPage(t, ad, &res, ex)
		if lr.pages == 1 {
			lr.base = res
		} else {
			lr.base.EndedAt = res.EndedAt // the list is known once its last page came
		}
		if !ok {
			if lr.pages == 1 {
				return lr
			}
			res.Rule = ruleListPageFailed + res.Rule
			lr.failed = &res
			break
		}
		lr.read = true
		lr.models = append(lr.models, page.Models...)
		if page.Next == nil {
			lr.complete = !page.More
			break
		}
		cursor := page.Next.Encode()
		if seen[cursor] {
			r.log.Warn("models list cursor repeats; reading it as incomplete", "provider", t.Provider.ID, "vantage", t.Vantage.ID)
			break
		}
		seen[cursor] = true
		pt.page = page.Next
	}
	if lr.read && !lr.complete && lr.failed == nil {
		r.log.Debug("models list incomplete; models not seen will be confirmed", "provider", t.Provider.ID,
			"vantage", t.Vantage.ID, "pages", lr.pages)
	}
	return lr
}

// readPage parses one page's answer; ok is false when res (rewritten when needed) is the
// list's failure: an error answer, a page beyond probing.max_list_kib, an unparseable body.
// ex comes scrubbed from exchange; the excerpt is redacted once more like exchange's own.
func (r *Runner) readPage(t Target, ad providers.Adapter, res *model.Result, ex httpprobe.Exchange) (providers.ModelPage, bool) {
	kind := t.Provider.Kind
	if ex.Err == nil && ex.Status/100 == 2 && ex.Truncated {
		res.Classification = model.Classification{Layer: model.LayerAPI, Class: model.ClassUnexpectedResponse,
			Access: model.AccessUnknown, Signature: kind + ":models:list too large", Rule: ruleListTooLarge}
		res.Excerpt = ""
		r.log.Warn("models list larger than probing.max_list_kib; presence unknown", "provider", t.Provider.ID,
			"vantage", t.Vantage.ID, "max_list_kib", r.bodyLimit(t)>>10)
		return providers.ModelPage{}, false
	}
	if res.Class != model.ClassOK || ad == nil {
		return providers.ModelPage{}, false
	}
	page, err := providers.ParseModelPage(ad, ex.Body)
	if err != nil {
		res.Classification = model.Classification{Layer: model.LayerAPI, Class: model.ClassUnexpectedResponse,
			Access: model.AccessUnknown, Signature: kind + ":models:unparseable list", Rule: ruleUnparseable}
		res.Excerpt = redact.Excerpt(ex.Body, 512, r.secrets()...)
		return providers.ModelPage{}, false
	}
	return page, true
}

// confirmAbsent asks the vendor for one model the list did not show, through the same
// vantage, and reads the answer as the models check's result for it: absent (the get's
// vendor-authored not-found, revoked) only when the get says so; available when the get
// succeeds; otherwise whatever the get's answer is (a fault, unknown, …). Without a get
// endpoint the model is unknown.
func (r *Runner) confirmAbsent(ctx context.Context, t Target, m string, scheduled time.Time) model.Result {
	ad, err := r.reg.Lookup(t.Provider.Kind)
	if err != nil || !ad.Supports(model.CheckModel) {
		now := r.now()
		res := model.Result{ID: model.NewID(now), SchemaVersion: model.SchemaVersion, Time: now, EndedAt: now, ScheduledAt: scheduled,
			Vantage: t.Vantage.ID, Region: t.Vantage.Region, Country: t.Vantage.Country,
			Provider: t.Provider.ID, Kind: t.Provider.Kind, Model: m, Check: model.CheckModels,
			Classification: model.Classification{Layer: model.LayerAPI, Class: model.ClassUnexpectedResponse,
				Access: model.AccessUnknown, Signature: t.Provider.Kind + ":absent:unconfirmed", Rule: ruleUnconfirmed}}
		if vd := r.vantages[t.Vantage.ID].verdict.Load(); vd != nil {
			res.EgressIP, res.EgressASN, res.VantageMismatch = vd.EgressIP, vd.ASN, vd.Mismatch()
		}
		return res
	}
	gt := t
	gt.Check.Kind, gt.page = model.CheckModel, nil
	r.cat.confirmations.Add(1)
	res, _ := r.exchange(ctx, gt, m, scheduled)
	res.Check = model.CheckModels
	if !strings.HasPrefix(res.Rule, ruleConfirmPrefix) {
		res.Rule = ruleConfirmPrefix + res.Rule
	}
	r.log.Debug("model absent from list; confirmed with one get", "vantage", t.Vantage.ID, "provider", t.Provider.ID,
		"model", m, "class", res.Class, "access", res.Access)
	return res
}
