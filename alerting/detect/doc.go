// Package detect is the pure detection engine: it turns probe Results into per-region access
// states and into events (revocation, outage, degradation, misconfiguration, vantage fault)
// that notifiers announce. It does no I/O, starts no goroutine and reads time only through
// Options.Now; states and events are dated by the Results' own times.
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
// A region is decided by the confirmed views of its healthy vantages: one decides alone;
// several move it only when a strict majority agree on a state (or, failing that, when a
// majority is down or degraded together: the commoner of the two). One of two failing leaves
// the region as it was (Reason "vantages disagree"); with no healthy vantage it keeps its state
// (Reason "no healthy vantage") and never turns available because of it. A region never
// decided is unknown. Since is when a majority first pointed to the new state (the k-th
// earliest Since among the agreeing views), never earlier than the previous Since. Each change
// of a region's state is a model.Transition, drained by Engine.Transitions. The region's
// Signature is the one most agreeing views show.
//
// # Events (per provider, model, condition)
//
// Judged across the regions of one (provider, model) after any region change:
//   - revoked: a region is revoked. Scope global when every region with a known state is in it,
//     else regional. Closes as "restored".
//   - fault: a region is down or degraded. Kind outage when every known region is in it (scope
//     global), else degraded (regional); the kind moves with the scope. Closes as "recovered".
//   - misconfigured: a region is unknown for a misconfiguration reason; scope global. Closes as
//     "recovered" as soon as the region shows any other state.
//
// A region stays in a revoked or fault event until it is seen available: a geo block followed
// by timeouts, an expired key or a dead vantage do not announce a restoration that nobody saw.
// Opening emits PhaseOpened (Seq 1) and records the first Changes entry; every change of
// regions, scope or kind appends to Changes and emits PhaseUpdated (a revocation that widens
// from three regions to all goes regional -> global and stays revoked). When no region is left
// the event closes (PhaseClosed) with EndedAt = the Since of the state that ended it (the first
// good observation), Regions the union of every region it covered and Scope its widest.
// Evidence holds the ids of the results that moved its regions (bounded by MaxEvidence),
// Signature the one most regions show and Sample an excerpt of one failing answer. Seq grows
// by one per update of an event. Reminders re-announces open revoked and outage events.
//
// Incidents: an event whose provider and condition group (revoked, fault, misconfigured,
// vantage_fault) match an incident with an open event, and which starts within IncidentWindow
// of that incident's first event, takes its IncidentID (the first event's id). So one vendor
// decision that revokes two models in three regions is one incident.
//
// # Batches
//
// Observe judges regions and events after every result; ObserveBatch judges them once at the
// end of the batch, so a round is read as a whole: a revocation confirmed in three regions in
// one batch opens as one event over three regions (fed one by one, it opens with the first
// and widens twice, still one event), and the order of results within a batch never matters.
//
// # Restarts
//
// Snapshot and Restore carry every streak, state, open event (with its Seq) and incident.
// After Restore nothing is re-emitted; the next Results continue the streaks, so a restoration
// that happened while the process was down is announced by the first Results that show it.
//
// # Cost
//
// Observe costs O(vantages of the touched region) plus, when a region moves, O(regions of its
// (provider, model)); a vantage health change re-evaluates each region the vantage is in.
// Status is O(targets) (sorted lazily when targets are added). The Engine is not safe for
// concurrent use.
package detect
