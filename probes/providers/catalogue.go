package providers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ListedModel is one entry of a vendor's models list, as the vendor serves it.
type ListedModel struct {
	ID string
	// Aliases are other names the vendor gives the same model in the entry itself
	// (Mistral "aliases").
	Aliases []string
	// RetiresAt is the deprecation or retirement date the vendor publishes for the model
	// (Mistral "deprecation", OpenRouter "expiration_date"); nil when it publishes none.
	// Anthropic, OpenAI and Gemini lists carry no such date.
	RetiresAt *time.Time
	// Replacement is the model the vendor names instead (Mistral
	// "deprecation_replacement_model").
	Replacement string
}

// ModelPage is one page of a models list.
type ModelPage struct {
	Models []ListedModel
	// Next is the query that asks for the following page (Anthropic after_id, Gemini
	// pageToken, OpenAI-style after); nil on the last page.
	Next url.Values
	// More is set when the vendor says more pages follow but gives no cursor to ask for
	// them: the list is known to be incomplete.
	More bool
}

// Pager is implemented by adapters that read list pages (every built-in adapter).
type Pager interface {
	ParseModelPage(body []byte) (ModelPage, error)
}

// ParseModelPage reads one page of a models-list answer with a's page parser, or, for an
// adapter without one, as ParseModels' ids on a single page.
func ParseModelPage(a Adapter, body []byte) (ModelPage, error) {
	if p, ok := a.(Pager); ok {
		return p.ParseModelPage(body)
	}
	ids, err := a.ParseModels(body)
	if err != nil {
		return ModelPage{}, err
	}
	page := ModelPage{Models: make([]ListedModel, len(ids))}
	for i, id := range ids {
		page.Models[i] = ListedModel{ID: id}
	}
	return page, nil
}

// WithQuery returns u with q's keys set in its query (replacing any of the same name).
func WithQuery(u *url.URL, q url.Values) *url.URL {
	out := *u
	v := out.Query()
	for k, vs := range q {
		v[k] = vs
	}
	out.RawQuery = v.Encode()
	return &out
}

// dataEntry is an entry of an OpenAI-shaped list ({"data":[…]}): Anthropic, OpenAI and
// compatible vendors, Mistral.
type dataEntry struct {
	ID                          string   `json:"id"`
	Aliases                     []string `json:"aliases"`                       // Mistral
	Deprecation                 *string  `json:"deprecation"`                   // Mistral: ISO 8601 timestamp or null
	DeprecationReplacementModel *string  `json:"deprecation_replacement_model"` // Mistral
	ExpirationDate              *string  `json:"expiration_date"`               // OpenRouter: YYYY-MM-DD or null
}

// dataList is an OpenAI-shaped list with the pagination fields Anthropic (and OpenAI's
// paginated lists) use.
type dataList struct {
	Data    *[]dataEntry `json:"data"`
	HasMore bool         `json:"has_more"`
	LastID  string       `json:"last_id"`
}

// dataOptions say which fields of a data list a vendor really serves.
type dataOptions struct {
	bareOK      bool   // a bare [{"id":…}] array (Together)
	cursorParam string // the query parameter that carries last_id ("" when the vendor does not paginate)
	aliases     bool   // read "aliases"
	deprecation bool   // read "deprecation" and "deprecation_replacement_model"
	expiration  bool   // read "expiration_date"
}

func parseDataPage(kind string, body []byte, o dataOptions) (ModelPage, error) {
	var doc dataList
	trimmed := bytes.TrimSpace(body)
	if o.bareOK && len(trimmed) > 0 && trimmed[0] == '[' {
		var list []dataEntry
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return ModelPage{}, fmt.Errorf("providers: %s: models list: %w", kind, err)
		}
		doc.Data = &list
	} else {
		if err := json.Unmarshal(trimmed, &doc); err != nil {
			return ModelPage{}, fmt.Errorf("providers: %s: models list: %w", kind, err)
		}
		if doc.Data == nil {
			return ModelPage{}, fmt.Errorf("providers: %s: models list: no \"data\" array", kind)
		}
	}
	page := ModelPage{Models: make([]ListedModel, 0, len(*doc.Data))}
	for _, e := range *doc.Data {
		if e.ID == "" {
			continue
		}
		m := ListedModel{ID: e.ID}
		if o.aliases {
			for _, a := range e.Aliases {
				if a != "" && a != e.ID {
					m.Aliases = append(m.Aliases, a)
				}
			}
		}
		if o.deprecation {
			m.RetiresAt = parseVendorDate(e.Deprecation)
			if m.RetiresAt != nil && e.DeprecationReplacementModel != nil {
				m.Replacement = *e.DeprecationReplacementModel
			}
		}
		if o.expiration && m.RetiresAt == nil {
			m.RetiresAt = parseVendorDate(e.ExpirationDate)
		}
		page.Models = append(page.Models, m)
	}
	if doc.HasMore && o.cursorParam != "" {
		cursor := doc.LastID
		if cursor == "" && len(page.Models) > 0 {
			cursor = page.Models[len(page.Models)-1].ID
		}
		if cursor == "" {
			page.More = true
		} else {
			page.Next = url.Values{o.cursorParam: {cursor}}
		}
	}
	return page, nil
}

// parseVendorDate reads a published date: RFC 3339 (with or without a zone) or a bare
// YYYY-MM-DD (midnight UTC). Anything else, or a year outside 2000–2199, is no date.
func parseVendorDate(s *string) *time.Time {
	if s == nil || *s == "" {
		return nil
	}
	v := strings.TrimSpace(*s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		if t.Year() < 2000 || t.Year() > 2199 {
			return nil
		}
		t = t.UTC()
		return &t
	}
	return nil
}

// ParseModelPage reads {"data":[…],"has_more":…,"last_id":…}; the next page is asked with
// after_id=<last_id>.
func (anthropic) ParseModelPage(body []byte) (ModelPage, error) {
	return parseDataPage(KindAnthropic, body, dataOptions{cursorParam: "after_id"})
}

// ParseModelPage reads {"object":"list","data":[…]}. OpenAI's own list is not paginated;
// a compatible vendor that paginates OpenAI-style (has_more, last_id) is asked with
// after=<last_id>. OpenRouter's expiration_date is read for compatible vendors.
func (o openAI) ParseModelPage(body []byte) (ModelPage, error) {
	compat := o.kind == KindOpenAICompatible
	return parseDataPage(o.kind, body, dataOptions{bareOK: compat, cursorParam: "after", expiration: compat})
}

// ParseModelPage reads Mistral's model cards: id, aliases, deprecation and its replacement.
// The list is not paginated.
func (mistral) ParseModelPage(body []byte) (ModelPage, error) {
	return parseDataPage(KindMistral, body, dataOptions{aliases: true, deprecation: true})
}

// ParseModelPage reads {"models":[{"name":"models/…"}],"nextPageToken":…}; the next page is
// asked with pageToken=<nextPageToken>. An account that sees no model gets {} rather than
// {"models":[]}: an empty page.
func (gemini) ParseModelPage(body []byte) (ModelPage, error) {
	var doc struct {
		Models *[]struct {
			Name string `json:"name"`
		} `json:"models"`
		NextPageToken string `json:"nextPageToken"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return ModelPage{}, fmt.Errorf("providers: gemini: models list: %w", err)
	}
	if doc.Models == nil {
		if strings.TrimSpace(string(body)) == "{}" {
			return ModelPage{Models: []ListedModel{}}, nil
		}
		return ModelPage{}, fmt.Errorf("providers: gemini: models list: no \"models\" array")
	}
	page := ModelPage{Models: make([]ListedModel, 0, len(*doc.Models))}
	for _, m := range *doc.Models {
		if id := strings.TrimPrefix(m.Name, "models/"); id != "" {
			page.Models = append(page.Models, ListedModel{ID: id})
		}
	}
	if doc.NextPageToken != "" {
		page.Next = url.Values{"pageToken": {doc.NextPageToken}}
	}
	return page, nil
}

// FindModel returns the entry of list that a configured model id names, in this order: the
// entry with that id; an entry that lists it among its own aliases; the newest dated
// snapshot of it, <id>-YYYYMMDD or <id>-YYYY-MM-DD (Anthropic lists only dated ids, OpenAI
// lists snapshots beside aliases), where a trailing -latest is dropped first
// (claude-3-7-sonnet-latest names claude-3-7-sonnet-20250219). Gemini's "models/" prefix is
// ignored. No other guess is made: a model not found this way is confirmed with a get.
func FindModel(kind string, list []ListedModel, id string) (ListedModel, bool) {
	if kind == KindGemini {
		id = strings.TrimPrefix(id, "models/")
	}
	if id == "" {
		return ListedModel{}, false
	}
	for _, m := range list {
		if m.ID == id {
			return m, true
		}
	}
	for _, m := range list {
		for _, a := range m.Aliases {
			if a == id {
				return m, true
			}
		}
	}
	base := strings.TrimSuffix(id, "-latest")
	var best ListedModel
	var bestDate string
	found := false
	for _, m := range list {
		if base != id && m.ID == base {
			return m, true
		}
		rest, ok := strings.CutPrefix(m.ID, base+"-")
		if !ok {
			continue
		}
		if d, ok := snapshotDate(rest); ok && (!found || d > bestDate) {
			best, bestDate, found = m, d, true
		}
	}
	return best, found
}

// snapshotDate reads a snapshot suffix, YYYYMMDD or YYYY-MM-DD, as a sortable YYYYMMDD.
func snapshotDate(s string) (string, bool) {
	var layout string
	switch len(s) {
	case 8:
		layout = "20060102"
	case 10:
		layout = "2006-01-02"
	default:
		return "", false
	}
	t, err := time.Parse(layout, s)
	if err != nil || t.Year() < 2000 {
		return "", false
	}
	return t.Format("20060102"), true
}
