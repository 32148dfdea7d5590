// Package notify delivers detection's event updates to receivers (Slack, webhooks) once each.
//
// Detection emits []model.EventUpdate; Dispatcher.Submit queues them without blocking and
// Dispatcher.Run delivers them:
//
//   - Grouping: updates of one incident and phase that arrive within GroupWait of the first
//     become one Group, so one vendor decision that revokes two models in three regions is one
//     message. Updates of an event still collecting are coalesced: a later update replaces an
//     unsent opening's or update's event (a revocation seen region by region opens once with
//     every region), and a closing drops the unsent updates before it.
//   - Routing: each Route names receivers and optional matchers (providers, models, regions,
//     kinds); an update goes to the union of the receivers of every route it matches. Kinds
//     match an event's Kind or its Condition, so a route for "revoked" also carries the
//     "restored" that ends it. With no routes every update goes to every receiver.
//   - Silences: an update that matches an active silence (Starts <= now < Ends) is counted as
//     suppressed and dropped. It is not recorded in the log: the log says only what was really
//     sent. The dispatcher holds no silenced update for later, so nothing silenced during a
//     maintenance window pops out when it ends; what does reach people afterwards is whatever
//     detection emits next for the event (a reminder, the closing), which is how a revocation
//     that outlives the window still surfaces.
//   - Dedup and threading: the Log holds, per receiver, "<event id>/<seq>" for every update
//     sent, so a resubmitted update (after a restart) is skipped, and "incident/<incident id>"
//     holding the reference (Slack ts) of the incident's first message, passed to Notify so
//     later messages thread under it. Entries are written only after a successful send.
//   - Retries: notifiers classify failures as RetryableError (with RetryAfter from a 429) or
//     PermanentError; the dispatcher retries with exponential backoff (no jitter: each
//     receiver sends one delivery at a time, in order), waits RetryAfter when given, and stops
//     at MaxAttempts, on a permanent error or when its context ends. Errors it cannot classify
//     are retried.
//
// Each receiver has its own worker, so a receiver that is retrying does not hold back the
// others, and a receiver's messages stay in order (an opening is sent before its closing, so
// the closing finds the opening's thread).
package notify
