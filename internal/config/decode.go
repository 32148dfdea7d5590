package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the work of decoding: aliases can make a small file expand into a huge tree.
const maxNodes = 100000

// maxMergeDepth bounds nested "<<" merge keys.
const maxMergeDepth = 10

var (
	durationType = reflect.TypeFor[Duration]()
	secretType   = reflect.TypeFor[Secret]()
)

// decoder walks a yaml.Node tree into the Config structs by their yaml tags. Unlike
// yaml.Node.Decode it keeps going after an error, so one run reports every problem, and it
// knows the key path of every value.
type decoder struct {
	src    *source
	getenv func(string) (string, bool)
	errs   []error
	nodes  int
	// allowUnset makes an unset ${VAR} expand to "" and be listed in unset (Options.AllowUnset).
	allowUnset bool
	unset      []Warning
}

func valueOf(c *Config) reflect.Value { return reflect.ValueOf(c).Elem() }

func (d *decoder) errorf(line int, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.src.name, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// budget counts a node and reports false (once) when the file has become too large.
func (d *decoder) budget(n *yaml.Node, path string) bool {
	d.nodes++
	if d.nodes == maxNodes+1 {
		d.errorf(n.Line, path, "too many values after expanding aliases (limit %d)", maxNodes)
	}
	return d.nodes <= maxNodes
}

func resolve(n *yaml.Node) *yaml.Node {
	// An alias never points at another alias, but a bound keeps malformed trees harmless.
	for i := 0; i < 10 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if !d.budget(n, path) {
		return
	}
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		v.SetZero()
		return
	}
	if path != "" {
		d.src.set[path] = true
	}
	switch {
	case v.Type() == durationType:
		s, ok := d.scalar(n, path, "a duration", false)
		if !ok {
			return
		}
		dur, err := ParseDuration(s)
		if err != nil {
			d.errorf(n.Line, path, `want a duration like "10s", "5m" or "90d", got %q`, s)
			return
		}
		v.SetInt(int64(dur))
	case v.Kind() == reflect.Struct:
		d.structure(n, v, path)
	case v.Kind() == reflect.Slice:
		d.sequence(n, v, path)
	case v.Kind() == reflect.Map:
		d.mapping(n, v, path)
	case v.Kind() == reflect.String:
		if s, ok := d.scalar(n, path, "a string", v.Type() == secretType); ok {
			v.SetString(s)
		}
	case v.Kind() == reflect.Bool:
		s, ok := d.scalar(n, path, "true or false", false)
		if !ok {
			return
		}
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			d.errorf(n.Line, path, "want true or false, got %q", s)
			return
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int:
		s, ok := d.scalar(n, path, "an integer", false)
		if !ok {
			return
		}
		i, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			d.errorf(n.Line, path, "want an integer, got %q", s)
			return
		}
		v.SetInt(int64(i))
	default:
		// Only reachable when a field of an unsupported type is added to the structs.
		panic(fmt.Sprintf("config: cannot decode into %s", v.Type()))
	}
}

// scalar returns the expanded text of a scalar node. A secret's value never enters a message.
func (d *decoder) scalar(n *yaml.Node, path, want string, secret bool) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n.Line, path, "want %s, got %s", want, describe(n, secret))
		return "", false
	}
	s, unset, err := expandVars(n.Value, d.getenv, d.allowUnset, secret)
	if err != nil {
		d.errorf(n.Line, path, "%s", err)
		return "", false
	}
	for _, name := range unset {
		d.unset = append(d.unset, Warning{File: d.src.name, Line: n.Line, Path: path, Msg: fmt.Sprintf("environment variable %q is not set", name)})
	}
	return s, true
}

// describe names what a node is, for "want X, got Y" messages.
func describe(n *yaml.Node, secret bool) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if secret {
			return "a scalar"
		}
		return strconv.Quote(n.Value)
	default:
		return "something else"
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, path, "want a mapping, got %s", describe(n, false))
		return
	}
	t := v.Type()
	if f, ok := t.FieldByName("Line"); ok && f.Type.Kind() == reflect.Int {
		v.FieldByIndex(f.Index).SetInt(int64(n.Line))
	}
	index := map[string]int{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if !f.IsExported() || tag == "-" || tag == "" {
			continue
		}
		index[tag] = i
		names = append(names, tag)
	}
	for _, kv := range d.pairs(n, path, 0) {
		key := kv.key.Value
		p := joinPath(path, key)
		i, ok := index[key]
		if !ok {
			d.errorf(kv.key.Line, p, "unknown key %s", suggest(key, names))
			continue
		}
		d.src.lines[p] = kv.key.Line
		d.value(kv.val, v.Field(i), p)
	}
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n.Line, path, "want a list, got %s", describe(n, false))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := indexPath(path, i)
		d.src.lines[p] = item.Line
		d.value(item, s.Index(i), p)
	}
	v.Set(s)
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, path, "want a mapping, got %s", describe(n, false))
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, kv := range d.pairs(n, path, 0) {
		p := joinPath(path, kv.key.Value)
		d.src.lines[p] = kv.key.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(kv.val, elem, p)
		m.SetMapIndex(reflect.ValueOf(kv.key.Value).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

type pair struct{ key, val *yaml.Node }

// pairs lists a mapping's entries: explicit keys first (duplicates are errors), then keys
// brought in by "<<" merge keys that were not written explicitly (the first merge wins).
func (d *decoder) pairs(n *yaml.Node, path string, depth int) []pair {
	var out, merged []pair
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), n.Content[i+1]
		if !d.budget(k, path) {
			return out
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k.Line, path, "want a plain key, got %s", describe(k, true))
			continue
		}
		if k.Tag == "!!merge" {
			merged = append(merged, d.merge(val, path, depth)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k.Line, joinPath(path, k.Value), "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, pair{k, val})
	}
	for _, kv := range merged {
		if _, ok := seen[kv.key.Value]; !ok {
			seen[kv.key.Value] = kv.key.Line
			out = append(out, kv)
		}
	}
	return out
}

// merge returns the entries a "<<" value brings in: a mapping or a list of mappings.
func (d *decoder) merge(val *yaml.Node, path string, depth int) []pair {
	val = resolve(val)
	if depth >= maxMergeDepth {
		d.errorf(val.Line, path, "merge keys nested too deeply")
		return nil
	}
	switch val.Kind {
	case yaml.MappingNode:
		return d.pairs(val, path, depth+1)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range val.Content {
			item = resolve(item)
			if item.Kind != yaml.MappingNode {
				d.errorf(item.Line, path, "want a mapping to merge, got %s", describe(item, false))
				continue
			}
			out = append(out, d.pairs(item, path, depth+1)...)
		}
		return out
	default:
		d.errorf(val.Line, path, "want a mapping to merge, got %s", describe(val, false))
		return nil
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest explains an unknown key: the closest known key when it is a likely typo, else the list.
func suggest(key string, known []string) string {
	best, bestDist := "", -1
	for _, k := range known {
		dist := levenshtein(strings.ToLower(key), k)
		if bestDist < 0 || dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if bestDist >= 0 && bestDist <= max(1, len(best)/3) {
		return fmt.Sprintf("(did you mean %q?)", best)
	}
	return "(want one of " + strings.Join(known, ", ") + ")"
}

// levenshtein is the edit distance between a and b, in bytes; long keys are cut to keep it cheap.
func levenshtein(a, b string) int {
	const limit = 64
	if len(a) > limit {
		a = a[:limit]
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
