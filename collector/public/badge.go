package public

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strconv"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Badge colours (shields.io's palette), with the Shields endpoint's names.
const (
	colorBrightGreen = "#4c1"
	colorGreen       = "#97ca00"
	colorYellow      = "#dfb317"
	colorOrange      = "#fe7d37"
	colorRed         = "#e05d44"
	colorGrey        = "#9f9f9f"
)

var colorNames = map[string]string{
	colorBrightGreen: "brightgreen", colorGreen: "green", colorYellow: "yellow",
	colorOrange: "orange", colorRed: "red", colorGrey: "lightgrey",
}

// stateColor: revoked is red (the signal), down orange, degraded yellow, unknown grey.
func stateColor(st model.State) string {
	switch st {
	case model.StateAvailable:
		return colorBrightGreen
	case model.StateDegraded:
		return colorYellow
	case model.StateDown:
		return colorOrange
	case model.StateRevoked:
		return colorRed
	}
	return colorGrey
}

// uptimeColor grades a percentage in basis points (10000 = 100%); total 0 is grey.
func uptimeColor(bp, total int64) string {
	switch {
	case total == 0:
		return colorGrey
	case bp >= 9990:
		return colorBrightGreen
	case bp >= 9900:
		return colorGreen
	case bp >= 9500:
		return colorYellow
	case bp >= 9000:
		return colorOrange
	}
	return colorRed
}

// charWidth approximates Verdana 11px advance widths (shields.io measures the same font),
// in tenths of a pixel.
func charWidth(r rune) int {
	switch {
	case r == ' ':
		return 39
	case r == 'i' || r == 'l' || r == 'j' || r == '.' || r == ',' || r == ':' || r == ';' || r == '!' || r == '|' || r == '\'':
		return 35
	case r == 'f' || r == 't' || r == 'r' || r == 'I' || r == '(' || r == ')' || r == '/' || r == '[' || r == ']' || r == '-':
		return 45
	case r == 'm' || r == 'w':
		return 107
	case r == 'M' || r == 'W' || r == '%' || r == '@':
		return 110
	case r >= 'A' && r <= 'Z':
		return 75
	case r >= '0' && r <= '9':
		return 70
	case r < 0x80:
		return 65
	}
	return 90 // wider scripts: err on the wide side
}

func textWidth(s string) int {
	w := 0
	for _, r := range s {
		w += charWidth(r)
	}
	return (w + 9) / 10
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// renderBadge draws a shields.io "flat" badge: SVG 1.1 with a <title> and aria-label.
func renderBadge(label, message, color string) []byte {
	lw, mw := textWidth(label)+10, textWidth(message)+10
	w := lw + mw
	title := xmlEscape(label + ": " + message)
	l, m := xmlEscape(label), xmlEscape(message)
	itoa := strconv.Itoa
	// Text is drawn at 10× scale for sub-pixel centring, like shields.io.
	lx, mx := itoa(lw*5), itoa(lw*10+mw*5)
	ltl, mtl := itoa((lw-10)*10), itoa((mw-10)*10)
	var b bytes.Buffer
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="` + itoa(w) + `" height="20" role="img" aria-label="` + title + `">`)
	b.WriteString(`<title>` + title + `</title>`)
	b.WriteString(`<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`)
	b.WriteString(`<clipPath id="r"><rect width="` + itoa(w) + `" height="20" rx="3" fill="#fff"/></clipPath>`)
	b.WriteString(`<g clip-path="url(#r)"><rect width="` + itoa(lw) + `" height="20" fill="#555"/><rect x="` + itoa(lw) + `" width="` + itoa(mw) + `" height="20" fill="` + color + `"/><rect width="` + itoa(w) + `" height="20" fill="url(#s)"/></g>`)
	b.WriteString(`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="110">`)
	for _, t := range [...]struct{ x, tl, s string }{{lx, ltl, l}, {mx, mtl, m}} {
		b.WriteString(`<text aria-hidden="true" x="` + t.x + `" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="` + t.tl + `">` + t.s + `</text>`)
		b.WriteString(`<text x="` + t.x + `" y="140" transform="scale(.1)" fill="#fff" textLength="` + t.tl + `">` + t.s + `</text>`)
	}
	b.WriteString("</g></svg>\n")
	return b.Bytes()
}

// shields is the Shields.io endpoint schema (https://shields.io/badges/endpoint-badge).
type shields struct {
	SchemaVersion int    `json:"schemaVersion"`
	Label         string `json:"label"`
	Message       string `json:"message"`
	Color         string `json:"color"`
}

func renderShields(label, message, color string) []byte {
	b, _ := json.Marshal(shields{SchemaVersion: 1, Label: label, Message: message, Color: color})
	return append(b, '\n')
}

// percentBP is ok/total in basis points, rounded down so 99.999% never reads 100%.
func percentBP(ok, total int64) int64 {
	if total <= 0 {
		return 0
	}
	if ok > total {
		ok = total
	}
	return ok * 10000 / total
}

// formatPercent renders basis points without trailing zeros: 100%, 99.5%, 99.95%.
func formatPercent(bp int64) string {
	s := strconv.FormatInt(bp/100, 10)
	if f := bp % 100; f != 0 {
		d := strconv.FormatInt(f+100, 10)[1:]
		if d[1] == '0' {
			d = d[:1]
		}
		s += "." + d
	}
	return s + "%"
}

// addBadges renders one target's state badge and its uptime badges into next.
func (s *Server) addBadges(next, prev *snapshot, t model.TargetStatus, figs map[uptimeKey]uptimeFigure,
	keep func(old *entry, mime, cc string, body []byte) *entry) {
	label := t.Model + " " + t.Region
	put := func(k badgeKey, label, message, color string) {
		k.json = false
		next.badges[k] = keep(prev.badges[k], mimeSVG, ccBadge, renderBadge(label, message, color))
		k.json = true
		next.badges[k] = keep(prev.badges[k], mimeJSON, ccBadge, renderShields(label, message, colorNames[color]))
	}
	k := badgeKey{provider: t.Provider, model: t.Model, region: t.Region}
	st := t.State
	if st == "" {
		st = model.StateUnknown
	}
	put(k, label, string(st), stateColor(st))
	for _, w := range uptimeWindows[:3] {
		f := figs[uptimeKey{t.Provider, t.Model, t.Region, w.name}]
		k.window = w.name
		msg := "no data"
		bp := percentBP(f.ok, f.total)
		if f.total > 0 {
			msg = formatPercent(bp)
		}
		put(k, label+" "+w.name, msg, uptimeColor(bp, f.total))
	}
}
