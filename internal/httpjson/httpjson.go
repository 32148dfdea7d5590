// Package httpjson writes the JSON answers of the collector's HTTP APIs: a value, or an error
// as {"error":"…"}, each followed by a newline, with Content-Type application/json and
// X-Content-Type-Options nosniff.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// Error is the body of an error answer. Param names the request parameter at fault, when one is.
type Error struct {
	Error string `json:"error"`
	Param string `json:"param,omitempty"`
}

// encodeFailed is the answer when a value does not marshal (a programming error).
const encodeFailed = `{"error":"encode answer"}`

// SetHeader sets the headers of a JSON answer on h.
func SetHeader(h http.Header) {
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
}

// WriteJSON answers status with v as JSON and a newline. A v that does not marshal is answered
// 500 {"error":"encode answer"}. A failed write is ignored: the client has gone.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(encodeFailed)
	}
	SetHeader(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// WriteError answers status with {"error":msg}.
func WriteError(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, Error{Error: msg})
}

// ErrorBody is the body WriteError writes for msg, for answers built ahead of time.
func ErrorBody(msg string) []byte {
	b, _ := json.Marshal(Error{Error: msg}) // a struct of strings always marshals
	return append(b, '\n')
}
