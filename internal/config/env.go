package config

import (
	"errors"
	"fmt"
	"strings"
)

// expand replaces ${VAR} and ${VAR:-default} in one scalar value; "$$" is a literal dollar, and
// a "$" not followed by a name or "{" is kept as written. "$NAME" without braces is an error: it
// is almost always a variable meant as ${NAME}. ${VAR:-default} uses the default when VAR is
// unset or empty, as in the shell. Errors name the variable, never a value: the scalar may be a
// secret.
func expand(s string, getenv func(string) (string, bool)) (string, error) {
	out, _, err := expandVars(s, getenv, false, false)
	return out, err
}

// expandVars is expand; with allowUnset an unset variable (without a default) expands to "" and
// is listed in unset instead of being an error. secret keeps the text of a bare "$name" out of
// the error unless it has the shape of an environment variable (upper case, digits, "_").
func expandVars(s string, getenv func(string) (string, bool), allowUnset, secret bool) (_ string, unset []string, _ error) {
	if !strings.Contains(s, "$") {
		return s, nil, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case s[i] != '$':
			b.WriteByte(s[i])
			i++
			continue
		case strings.HasPrefix(s[i:], "$$"):
			b.WriteByte('$')
			i += 2
			continue
		case !strings.HasPrefix(s[i:], "${"):
			if name := leadingName(s[i+1:]); name != "" {
				if secret && !envShaped(name) {
					return "", nil, errors.New(`a "$" followed by a name looks like a variable: write ${NAME}, or $$ for a literal $`)
				}
				return "", nil, fmt.Errorf("%q looks like a variable: write ${%s}, or $$ for a literal $", "$"+name, name)
			}
			b.WriteByte('$')
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", nil, errors.New(`unterminated "${" (write "$$" for a literal dollar)`)
		}
		name, def, hasDef := strings.Cut(s[i+2:i+2+end], ":-")
		if !validVarName(name) {
			return "", nil, errors.New(`invalid variable name in "${...}" (want letters, digits and "_", not starting with a digit)`)
		}
		val, ok := getenv(name)
		switch {
		case ok && (val != "" || !hasDef):
			b.WriteString(val)
		case hasDef:
			b.WriteString(def)
		case allowUnset:
			unset = append(unset, name)
		default:
			return "", nil, fmt.Errorf("environment variable %q is not set", name)
		}
		i += 2 + end + 1
	}
	return b.String(), unset, nil
}

// leadingName is the variable name s starts with ("" when none): a letter or "_", then letters,
// digits and "_".
func leadingName(s string) string {
	n := 0
	for n < len(s) {
		c := s[n]
		if c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || n > 0 && '0' <= c && c <= '9' {
			n++
			continue
		}
		break
	}
	return s[:n]
}

// envShaped reports whether name is written like an environment variable: OPENAI_KEY, not "word".
func envShaped(name string) bool {
	return strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == ""
}

func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
