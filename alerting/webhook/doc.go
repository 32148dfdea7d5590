// Package webhook is the generic webhook receiver: it POSTs each event update as JSON, signed
// with HMAC-SHA256 when a secret is configured.
//
// # Body
//
// One request per event update. The body is the event exactly as the events API shows it
// (model.Event marshalled: id, kind, condition, scope, incident_id, provider, model, vantage,
// regions, started_at, ended_at (null while open), updated_at, signature, reason, sample,
// evidence, changes, and outcome once it has ended: restored, recovered or retired) plus these
// top-level fields:
//
//	"phase":          the update's: "opened" | "updated" | "closed" | "reminder"
//	"seq":            the update's sequence number within the event (1 for opened)
//	"incident_phase": the notification's, for the incident: "opened" | "updated" | "closed"
//	                  (its last event ended) | "reminder"
//	"incident_url":   the incident page, server.public_url + incident_path (absent without
//	                  server.public_url)
//	"incident_path":  the incident page's path on the collector, "/incidents/<incident_id>"
//
// kind never changes: a revocation's closing has kind "revoked", phase "closed" and outcome
// "restored".
//
// for example (abridged):
//
//	{"id":"ev-1","kind":"revoked","condition":"revoked","scope":"regional","incident_id":"inc-1",
//	 "provider":"anthropic","model":"claude-fable-5","regions":["india","australia","europe"],
//	 "started_at":"2026-03-02T14:05:00Z","ended_at":null,...,"phase":"opened","seq":1}
//
// # Headers
//
//	Content-Type:            application/json
//	User-Agent:              accesswatch
//	X-Accesswatch-Event:     the event's kind (revoked, outage, degraded, …; it never changes)
//	X-Accesswatch-Phase:     the update's phase (opened, updated, closed, reminder)
//	X-Accesswatch-Outcome:   how the event ended (restored, recovered, retired); closed only
//	X-Accesswatch-Delivery:  "<event id>/<seq>", the same for every retry of one update:
//	                         receivers drop a delivery they have already seen
//	X-Accesswatch-Timestamp: Unix seconds when the request was made (only with a secret)
//	X-Accesswatch-Signature: "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// A 2xx answer is success. 429 and 5xx (and 408) are retried by the dispatcher, after
// Retry-After when the receiver sends one (seconds or an HTTP date); any other status is
// permanent. Each request is bounded by Options.Timeout (default 10s). A group's updates are
// posted in order and the first failure stops the group; the retry resumes at the update that
// failed (the ones answered 2xx are recorded as sent), so a receiver gets each update once. A
// request whose answer was lost (a timeout after the receiver took it) is posted again:
// receivers should still deduplicate on X-Accesswatch-Delivery.
//
// # Verifying a request
//
// Check the signature over the raw body before parsing it, and reject old timestamps to stop
// replays (Verify does the constant-time comparison):
//
//	func handle(w http.ResponseWriter, r *http.Request) {
//		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
//		if err != nil {
//			http.Error(w, "read", http.StatusBadRequest)
//			return
//		}
//		ts := r.Header.Get("X-Accesswatch-Timestamp")
//		sec, err := strconv.ParseInt(ts, 10, 64)
//		if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
//			http.Error(w, "stale", http.StatusUnauthorized)
//			return
//		}
//		if !webhook.Verify(secret, ts, r.Header.Get("X-Accesswatch-Signature"), body) {
//			http.Error(w, "bad signature", http.StatusUnauthorized)
//			return
//		}
//		var p webhook.Payload
//		if err := json.Unmarshal(body, &p); err != nil { ... }
//	}
//
// Without this package, the check is:
//
//	mac := hmac.New(sha256.New, secret)
//	mac.Write([]byte(ts + "."))
//	mac.Write(body)
//	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
//	ok := hmac.Equal([]byte(want), []byte(r.Header.Get("X-Accesswatch-Signature")))
//
// The URL (which may carry credentials) and the secret never appear in errors.
package webhook
