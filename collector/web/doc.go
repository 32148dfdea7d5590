// Package web serves the public, server-rendered status page: the provider × model ×
// region matrix of current states, a 90-day history bar per target, the incident
// timeline with vendor claims next to our observations, one page per incident, and a
// compact widget for iframes. Templates, the stylesheet and the refresh script are
// embedded; the pages load nothing from other origins.
package web
