package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is one problem in a configuration. Its text is "file:line: key.path: message"; the line
// is left out when unknown (a Config built in code), the path when the problem is the whole file.
type Error struct {
	File string // the name given to Parse (Load passes the path)
	Line int    // 1-based; 0 when unknown
	Path string // dotted key path, e.g. "providers[0].checks[1].schedule"
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// source is what the decoder learnt about the file: its name, where each key path was
// written, and which keys had a non-null value (so an explicit 0 is not replaced by a default).
type source struct {
	name  string
	lines map[string]int
	set   map[string]bool
}

// Load reads the file at path and parses it with Parse; the result's Path is set.
// getenv resolves ${VAR}; nil means an empty environment (pass os.LookupEnv for the real one).
func Load(path string, getenv func(string) (string, bool)) (*Config, error) {
	return LoadWith(path, getenv, Options{})
}

// Options change how LoadWith and ParseWith treat a file.
type Options struct {
	// AllowUnset checks a config without its secrets at hand: an unset ${VAR} (with no default)
	// expands to "" instead of failing the load, is listed in Config.Unset, and the validation
	// errors of the values that held one are dropped, so the rest is still validated. Such a
	// Config is for checking and reading, not for running.
	AllowUnset bool
}

// LoadWith is Load with Options.
func LoadWith(path string, getenv func(string) (string, bool), o Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := ParseWith(data, path, getenv, o)
	if err != nil {
		return nil, err
	}
	c.Path = path
	return c, nil
}

// Parse decodes a YAML configuration strictly (unknown and duplicate keys are errors), expands
// ${VAR} in scalar values, applies defaults and validates. name is used in messages. Every
// problem found is returned, joined with errors.Join; each is an *Error.
func Parse(data []byte, name string, getenv func(string) (string, bool)) (*Config, error) {
	return ParseWith(data, name, getenv, Options{})
}

// ParseWith is Parse with Options.
func ParseWith(data []byte, name string, getenv func(string) (string, bool), o Options) (*Config, error) {
	if getenv == nil {
		getenv = func(string) (string, bool) { return "", false }
	}
	root, err := parseYAML(data, name)
	if err != nil {
		return nil, err
	}
	d := &decoder{
		src:    &source{name: name, lines: map[string]int{}, set: map[string]bool{}},
		getenv: getenv, allowUnset: o.AllowUnset,
	}
	c := &Config{}
	if root != nil {
		d.value(root, valueOf(c), "")
	}
	if len(d.errs) > 0 {
		return nil, joinSorted(d.errs)
	}
	c.src = d.src
	c.Unset = d.unset
	c.ApplyDefaults()
	if err := withoutUnset(c.Validate(), d.unset); err != nil {
		return nil, err
	}
	return c, nil
}

// withoutUnset drops from err the problems of values that held an unset variable.
func withoutUnset(err error, unset []Warning) error {
	if err == nil || len(unset) == 0 {
		return err
	}
	held := map[string]bool{}
	for _, u := range unset {
		held[u.Path] = true
	}
	var all []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		all = j.Unwrap()
	} else {
		all = []error{err}
	}
	var keep []error
	for _, e := range all {
		var ce *Error
		if errors.As(e, &ce) && held[ce.Path] {
			continue
		}
		keep = append(keep, e)
	}
	if len(keep) == 0 {
		return nil
	}
	return errors.Join(keep...)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML returns the root node of the single document in data, or nil for an empty file.
func parseYAML(data []byte, name string) (root *yaml.Node, err error) {
	defer func() {
		// The YAML parser is third-party code fed untrusted bytes: a panic there is a bad file.
		if r := recover(); r != nil {
			root, err = nil, &Error{File: name, Msg: "invalid YAML"}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(name, err)
		}
		return nil, &Error{File: name, Line: extra.Line, Msg: "more than one YAML document"}
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	return &doc, nil
}

// yamlError turns "yaml: line 3: text" into an *Error with the line.
func yamlError(name string, err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: name, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: name, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// joinSorted joins errors in line order (stable, so problems on one line keep their order).
func joinSorted(errs []error) error {
	sort.SliceStable(errs, func(i, j int) bool {
		var a, b *Error
		if errors.As(errs[i], &a) && errors.As(errs[j], &b) {
			return a.Line < b.Line
		}
		return false
	})
	return errors.Join(errs...)
}
