// Package grafana is the receiver that marks event updates on Grafana's timeline: one
// organisation-wide annotation per update (POST /api/annotations, service-account token), tagged
// "accesswatch", the event kind and phase, provider, model and each region, so the dashboards
// of package dashboards, which query annotations by the "accesswatch" tag, show them.
//
// An opened, updated or reminder update is a point at the update's time; a closed update is a
// region from the event's start to its end. 401 and 403 are permanent (a bad token does not
// heal by retrying); 408, 429 and 5xx and transport errors are retried by the dispatcher, after
// Retry-After when Grafana sends one. A group's updates are posted in order and the first
// failure stops it; a retry posts the whole group again, so an update can appear twice.
package grafana
