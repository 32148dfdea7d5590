package runner

import (
	"errors"
	"net/url"

	"github.com/accesswatch/accesswatch/internal/redact"
	"github.com/accesswatch/accesswatch/probes/httpprobe"
)

// secrets are every credential of the config (not only the probed provider's key: a relay may
// echo another) with the escaped forms a vendor may echo them in.
func (r *Runner) secrets() []string { return r.secretList }

// scrub removes secrets and key shapes from everything an answer brought back — header names
// and values, the body (a JSON body stays JSON), the error text — right after the exchange, so
// classification, signatures, request ids and excerpts only ever see scrubbed data.
func scrub(ex httpprobe.Exchange, secrets []string) httpprobe.Exchange {
	ex.Header = redact.Header(ex.Header, secrets...)
	ex.Body = redact.Body(ex.Body, secrets...)
	if ex.Err != nil {
		ex.Err = scrubErr(ex.Err, secrets)
	}
	return ex
}

func scrubErr(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: redact.String(err.Error(), secrets...), err: err, secrets: secrets}
}

// scrubbedError reads as its redacted text and still unwraps to the original, so errors.Is and
// errors.As classify it as before. A *url.Error (whose text carries the URL) is only ever handed
// out as a redacted copy.
type scrubbedError struct {
	msg     string
	err     error
	secrets []string
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

func (e *scrubbedError) As(target any) bool {
	p, ok := target.(**url.Error)
	if !ok {
		return false
	}
	var ue *url.Error
	if !errors.As(e.err, &ue) {
		return false
	}
	*p = &url.Error{Op: ue.Op, URL: redact.String(ue.URL, e.secrets...), Err: scrubErr(ue.Err, e.secrets)}
	return true
}
