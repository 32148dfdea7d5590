// Package publish is the agent side of the fleet: it takes the results an agent's vantages
// produce and pushes them to the collector (see internal/push), storing them on disk first so
// that none is lost while the collector is down and none is sent out of order.
//
// # Design: a write-ahead spool
//
// Add appends every result to an on-disk spool before anything is sent: a directory of
// segment files (NNNNNNNNNNNNNNNNNNNN.seg, rotated at Options.SegmentBytes), each a sequence of
// frames [payload length uint32 LE][CRC-32C of payload uint32 LE][result JSON]. Run reads
// batches from the head of the spool in order, POSTs them, and on a 200 moves an acknowledged
// cursor (cursor.json: segment id and byte offset) past them; segments wholly behind the cursor
// are deleted. There is therefore one queue, one order, and nothing to merge when the collector
// comes back: a restart simply resumes at the cursor. Results wait at most FlushInterval
// (or until BatchSize are pending) before being sent; a backlog is sent at once.
//
// The spool is bounded by SpoolMaxBytes: when an append would exceed it, whole segments are
// dropped, oldest first, and the results in them that were never delivered are counted in
// Stats.Dropped (exactly: results of a dropped segment that a request in flight then delivers
// count as sent, not dropped). It is also bounded in age: a result older than SpoolMaxAge
// (default 24h, agent.spool_max_age) when its turn comes is dropped unsent and counted in
// Stats.Expired, since the collector would refuse it (collector.max_result_age).
//
// # Durability
//
//   - Once Add returns, its results are in the kernel: they survive the process being killed
//     (SIGKILL, panic, OOM) and are replayed by the next Publisher on the same directory.
//   - Segments are fsynced when they are rotated, and the tail when Run stops and on Close. An
//     operating-system crash or power loss can lose what was appended since the last fsync
//     (at most one segment); a torn frame at the end of a segment is detected by its length
//     or CRC, cut off at open and counted in Stats.Corrupt, never a panic.
//   - The cursor is replaced by rename after every acknowledged batch, without fsync: after an
//     operating-system crash it may lag, and the results behind it are sent again. The collector
//     is idempotent by result id, so this duplicates nothing that is stored.
//
// One Publisher per directory: two processes sharing a spool directory corrupt each other.
//
// # Collector answers
//
// 200 with a push.Response acknowledges the batch. 5xx, 408, 429 (Retry-After honoured) and
// network errors keep the batch and retry it with exponential backoff (Backoff..MaxBackoff,
// jittered). 401 and 403 are logged as errors and retried every MaxBackoff: a token is fixed by
// an operator, and data is never dropped for it; other unexpected answers (404, 3xx, …) are
// treated alike. 413 halves the request until it fits (a single result still refused is
// dropped and counted in Stats.Rejected); 400 and 422 drop the batch, counted in
// Stats.Rejected and logged with the count. Results a 200 answers as refused
// (push.Response.Refused: a provider, model or check the collector does not watch, or a time
// outside its window) are dropped with the batch's acknowledgement, counted in Stats.Refused and
// logged at most once a minute with the collector's first reason: one of them never holds back
// the rest of the spool. The token never appears in logs or errors.
package publish
