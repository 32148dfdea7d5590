// Package slack is the Slack receiver: it posts notify.Groups as Block Kit messages through
// slack-go, by incoming webhook or by bot token and channel.
//
// Build is a pure function from a group to a Message (blocks plus fallback text), golden-tested
// in testdata. A message is one notification of one incident: it says what changed (opened; an
// update naming the models that joined, the regions gained or lost and the models restored;
// "Restored after 2h", "Recovered after 47m", "Retired as announced" from the events' Outcome),
// where (regions with flags), since when (UTC), the signature, a sample answer, the scope, and
// links the incident page (a button and the footer; the collector path without
// server.public_url). Whatever the group's size, the message stays within Block Kit's limits
// (see MaxBlocks and the other limits): lists are summarised ("and 23 more models", "and 12
// more regions") rather than cut, and the incident page has the full list. With a bot token, Notify returns the message's ts
// and later messages of the incident (widening, restoration, reminders) are posted in its
// thread; incoming webhooks cannot thread, so each message stands alone.
//
// Failures map to notify's kinds: slack-go's RateLimitedError (a 429 with Retry-After) is
// retryable after that delay; ok:false answers are permanent except Slack's own trouble
// (ratelimited, internal_error, fatal_error, service_unavailable, request_timeout); HTTP 5xx and
// 429 are retryable, other 4xx (an incoming webhook's 404 no_service, 403, 410) permanent;
// transport errors are retryable. The webhook URL and the token never appear in errors.
package slack
