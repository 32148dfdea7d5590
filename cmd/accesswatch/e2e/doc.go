// Package e2e holds the end-to-end tests: the real service (scheduler, vantages, classifier,
// store, detection, notifiers, API) against the simulated vendor on loopback, with vantages bound
// to different 127.x addresses, a generated GeoIP database and a webhook receiver.
package e2e
