// Package slack is the Slack receiver: it posts notify.Groups as Block Kit messages through
// slack-go, by incoming webhook or by bot token and channel.
//
// Build is a pure function from a group to a Message (blocks plus fallback text), golden-tested
// in testdata. A message says what changed, where (regions with flags), since when (UTC), the
// signature, a sample answer and the scope. With a bot token, Notify returns the message's ts
// and later messages of the incident (widening, restoration, reminders) are posted in its
// thread; incoming webhooks cannot thread, so each message stands alone.
//
// Failures map to notify's kinds: slack-go's RateLimitedError (a 429 with Retry-After) is
// retryable after that delay; ok:false answers are permanent except Slack's own trouble
// (ratelimited, internal_error, fatal_error, service_unavailable, request_timeout); HTTP 5xx and
// 429 are retryable, other 4xx (an incoming webhook's 404 no_service, 403, 410) permanent;
// transport errors are retryable. The webhook URL and the token never appear in errors.
package slack
