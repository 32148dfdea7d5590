// Package notify delivers detection's event updates to receivers (Slack, webhooks) once each.
//
// Detection emits []model.EventUpdate; Dispatcher.Submit queues them without blocking and
// Dispatcher.Run delivers them:
//
//   - One notification per incident and change: an incident (one vendor decision, the events
//     of one provider and condition that detection gives one incident id) is announced once
//     when it opens, naming its models and regions, once per real change (an event joins,
//     widens, narrows or ends while others stay open) and once when its last event ends. The
//     first updates of an incident collect for GroupWait; after a notification, the next waits
//     until GroupInterval has passed since it (like Alertmanager's group_interval), and every
//     change in between is coalesced: an unsent opening or update takes the event's newer state
//     (keeping its key), a reminder gives way to anything else, a closing drops the unsent
//     updates before it. The incident's end is not held back by the interval: it goes out
//     GroupWait after it arrives. Group.Phase is the incident's (opened, updated, closed,
//     reminder); each update keeps its own phase and seq.
//   - The bound: a vendor that flaps for a duration D produces, per event and receiver, at
//     most 1 + ceil(D / GroupInterval) + 1 notifications (the opening, at most one per interval,
//     the end), and per incident no more than that in all. Detection's fail_after and
//     recover_after bound how often an event can open and close in the first place.
//   - Per receiver: a receiver whose routes matched none of an incident's earlier events (or
//     whose earlier ones were silenced) gets its first notification of the incident as the
//     opening; one that already had it (a replay after a restart) gets an opening as an update.
//   - Links: Group.Path is the incident page on the collector (/incidents/{id}) and Group.URL
//     the same under Options.PublicURL (server.public_url), "" without one.
//   - Routing: each Route names receivers and optional matchers (providers, models, regions,
//     kinds); an update goes to the union of the receivers of every route it matches. Kinds
//     match an event's Kind (= Condition, which never changes) or, once it has ended, its
//     Outcome: a route for "revoked" carries a revocation's opening, changes and closing, one
//     for "restored" only the closing. With no routes every update goes to every receiver.
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
//     PermanentError, wrapped in a PartialError when the first updates of a group went out
//     before the failure (a webhook posts one request per update): those are recorded as sent
//     and only the rest is retried, so each update reaches each receiver exactly once; the dispatcher retries with exponential backoff (no jitter: each
//     receiver sends one delivery at a time, in order), waits RetryAfter when given, and stops
//     at MaxAttempts, on a permanent error or when its context ends. Errors it cannot classify
//     are retried.
//
// Each receiver has its own worker, so a receiver that is retrying does not hold back the
// others, and a receiver's messages stay in order (an opening is sent before its closing, so
// the closing finds the opening's thread).
package notify
