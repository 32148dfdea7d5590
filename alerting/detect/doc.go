// Package detect is the pure detection engine: it turns probe Results into per-region access
// states and into events (revocation, outage, degradation, misconfiguration, vantage fault)
// that notifiers announce. It does no I/O, starts no goroutine and reads time only through
// Options.Now; states and events are dated by the Results' own times: a Result's EndedAt (when
// its answer or failure came, the evidence) when set, else its Time (when the probe started).
//
// # Views (per provider, model, vantage)
//
// Each Result points to a state (model.StateOf). A view moves to a failing state only after
// FailAfter consecutive observations point to it, and back to available after RecoverAfter
// consecutive available ones, so a single lost packet never moves anything. Down and degraded
// continue one streak (a vendor alternating 503s and timeouts is failing); the view then takes
// the state of the latest. Since is the time of the first observation of the streak that moved
// the view. auth_failed, billing and bad_request move it to unknown with the class as Reason
// (misconfigured: an expired key is not a revocation). Every check kind (models, generate, …)
// keeps its own streak; the view shows the most severe confirmed one (revoked > down > degraded
// > misconfigured > available > unreadable), so a model that is listed but refused is revoked.
// A Result older than the newest one already applied to its check is ignored (a late batch).
//
// # Vantage health
//
// Control results (Check control) decide only vantage health. FailAfter consecutive failing
// control results, or any result flagged VantageMismatch, make the vantage unhealthy; it is
// healthy again after RecoverAfter consecutive OK, non-mismatched control results (a vantage
// without a control probe: RecoverAfter consecutive non-mismatched results). A vantage without
// control results yet is healthy. Mismatched results are otherwise ignored. An unhealthy
// vantage opens a vantage_fault event (scope vantage, Regions its region) and its views stop
// counting in their regions. From its first failing control result a vantage is already held
// back (its views do not count, its regions keep their state) until the streak resolves: so
// a dead proxy never moves a region, whichever of its results is stored first. A healthy vantage whose vendor requests time out or are reset
// counts fully: that is the regional disruption to report.
//
// # Regions (per provider, model, region)
//
// A region is decided by the confirmed views of its counting vantages (healthy, and no control
// failure in progress): it takes the best state any of them confirms, available > degraded >
// down > revoked. So a region is available while any of its healthy vantages reaches the
// model, and revoked only when every one of them confirms a policy answer: a vantage that
// disagrees with another healthy one never makes the region worse than the other sees it (a
// false revocation is the mistake we must not make, and one vantage's own network is not the
// region's). Views that confirm unknown (misconfigured, unreadable) abstain unless every view
// is unknown. When the voting views differ the Reason is "vantages disagree". An unhealthy
// vantage (its control fails, or its egress is in the wrong country) does not count at all,
// from its first failing control result: so one broken vantage of two never moves the region,
// whether it broke at start-up (the other decides alone) or later. With no counting vantage
// the region keeps its state (Reason "no healthy vantage") and never turns available because
// of it; a region never decided is unknown. Since is when the region entered its state:
// for available the earliest Since among the available views, otherwise the latest Since
// among the voting views (when the last of them left a better state), never earlier than the
// previous Since. Each change of a region's state is a model.Transition, drained by
// Engine.Transitions. The region's Signature is the one most views in its state show.
//
// # Rounds
//
// Regions move as results arrive, one at a time. Events are judged per round: when a region
// of a (provider, model) moves, its events wait Options.Settle (on the Now clock) and are then
// judged once, over every region as it is then (Flush, which the caller runs every fraction of
// Settle, and every Observe before it applies its result). Settle should cover the spread of
// one round's results on arrival (probing jitter, agents' push interval, answer times): the
// regions that one vendor change moves within a round then open, widen or recover as one
// update, and a fault that hits every region within one round opens as one global outage.
// ObserveBatch only batches region evaluation (two vantages confirming opposite states in one
// batch are read together, whatever their order).
//
// # Events (per provider, model, condition)
//
// Judged across the regions of one (provider, model) when its round settles:
//   - revoked: a region is revoked. Closes with Outcome restored.
//   - fault: a region is down or degraded. The kind is chosen once, when the event opens: an
//     outage when every region with a known state is failing, in any mix of down and
//     degraded (a 529 for everyone is an outage), else degraded. Closes with Outcome
//     recovered.
//   - misconfigured: a region is unknown for a misconfiguration reason; scope global. Closes
//     with Outcome recovered as soon as the region shows any other state.
//
// An event is of one kind from its opening to its end (Kind == Condition, in every Changes
// entry too); scope is global once the event has covered every region with a known state and
// only widens while it is open (an outage stays global while its regions recover; a
// degradation that spreads everywhere stays degraded and becomes global). Regions says where
// it is now. A region stays in a revoked or fault event until it is seen available: a geo
// block followed by timeouts, an expired key or a dead vantage do not announce a restoration
// that nobody saw. Opening emits PhaseOpened (Seq 1) and records the first Changes entry;
// every change of regions or scope appends to Changes and emits PhaseUpdated, so a partial
// recovery is one update whose last two Changes entries say where it recovered and where it is
// still down. When no region is left the event closes (PhaseClosed): EndedAt is when the last
// of its regions left it (the Since of its new state, the first good observation), Outcome says
// how it ended, Regions is the union of every region it covered and Scope its widest; its kind
// is unchanged. Evidence holds the ids of the results that moved its regions (bounded by
// MaxEvidence), Signature the one most regions show and Sample an excerpt of one failing
// answer. Seq grows by one per update of an event. Reminders re-announces open revoked and
// outage events. Vantage faults are judged per vantage at once and close with Outcome
// recovered; deprecations close with retired (the model is gone) or recovered (the date was
// lifted).
//
// Incidents: an event whose provider and condition group (revoked, fault, misconfigured,
// vantage_fault) match an incident with an open event, and which starts within IncidentWindow
// of that incident's first event, takes its IncidentID (the first event's id). So one vendor
// decision that revokes two models in three regions is one incident.
//
// # Restarts
//
// Snapshot and Restore carry every streak, state, open event (with its Seq) and incident.
// After Restore nothing is re-emitted; every (provider, model) is judged once a round later
// (a round that was waiting when the snapshot was taken is not lost), and the next Results
// continue the streaks, so a restoration that happened while the process was down is
// announced by the first Results that show it. An event of a snapshot from before kinds were
// fixed is restored as the kind it opened as (its Condition).
//
// # Cost
//
// Observe costs O(vantages of the touched region) plus O(pending rounds); judging a round
// costs O(regions of its (provider, model)); a vantage health change re-evaluates each region the vantage is in.
// Status is O(targets) (sorted lazily when targets are added). The Engine is not safe for
// concurrent use.
package detect
