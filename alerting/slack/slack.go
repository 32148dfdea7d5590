package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/internal/config"
)

// DefaultTimeout bounds one request to Slack.
const DefaultTimeout = 10 * time.Second

// Options configure a Notifier: either WebhookURL, or Token and Channel.
type Options struct {
	Name       string        // receiver name in routes, log and stats; default "slack"
	WebhookURL config.Secret // incoming webhook (cannot thread: Slack returns no ts)
	Token      config.Secret // bot token (xoxb-…), with Channel
	Channel    string        // channel id or name
	APIURL     string        // Web API base; default https://slack.com/api/
	Broadcast  bool          // threaded replies (restorations) also appear in the channel
	Client     *http.Client  // default: a plain client; each request is bounded by Timeout anyway
	Timeout    time.Duration // per request; default DefaultTimeout
	Now        func() time.Time
}

// Notifier posts groups of event updates to Slack.
type Notifier struct {
	name      string
	webhook   string
	token     string
	channel   string
	broadcast bool
	client    *http.Client
	api       *slack.Client
	timeout   time.Duration
	now       func() time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// New checks o and builds a Notifier.
func New(o Options) (*Notifier, error) {
	n := &Notifier{
		name: o.Name, webhook: o.WebhookURL.Reveal(), token: o.Token.Reveal(), channel: o.Channel,
		broadcast: o.Broadcast, client: o.Client, timeout: o.Timeout, now: o.Now,
	}
	if n.name == "" {
		n.name = "slack"
	}
	switch {
	case n.webhook != "" && n.token != "":
		return nil, errors.New("slack: at most one of webhook_url and token may be set")
	case n.webhook == "" && n.token == "":
		return nil, errors.New("slack: one of webhook_url and token is required")
	case n.token != "" && n.channel == "":
		return nil, errors.New("slack: token requires a channel")
	}
	if n.webhook != "" {
		if u, err := url.Parse(n.webhook); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, errors.New("slack: webhook_url is not an http(s) URL")
		}
	}
	if n.client == nil {
		n.client = &http.Client{}
	}
	if n.timeout <= 0 {
		n.timeout = DefaultTimeout
	}
	if n.now == nil {
		n.now = time.Now
	}
	if n.token != "" {
		api := o.APIURL
		if api == "" {
			api = slack.APIURL
		}
		if !strings.HasSuffix(api, "/") {
			api += "/"
		}
		n.api = slack.New(n.token, slack.OptionAPIURL(api), slack.OptionHTTPClient(n.client))
	}
	return n, nil
}

// Name is the receiver's name.
func (n *Notifier) Name() string { return n.name }

// Notify posts the group as one message; with a bot token it threads under ref when set and
// returns the message's ts.
func (n *Notifier) Notify(ctx context.Context, g notify.Group, ref string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	msg := Build(g, n.now())
	if n.webhook != "" {
		wm := &slack.WebhookMessage{Text: msg.Text, Blocks: &msg.Blocks}
		return "", n.classify(slack.PostWebhookCustomHTTPContext(ctx, n.webhook, n.client, wm))
	}
	opts := []slack.MsgOption{
		slack.MsgOptionText(msg.Text, false),
		slack.MsgOptionBlocks(msg.Blocks.BlockSet...),
		slack.MsgOptionDisableLinkUnfurl(),
	}
	if ref != "" {
		opts = append(opts, slack.MsgOptionTS(ref))
		if n.broadcast {
			opts = append(opts, slack.MsgOptionBroadcast())
		}
	}
	_, ts, err := n.api.PostMessageContext(ctx, n.channel, opts...)
	if err != nil {
		return "", n.classify(err)
	}
	return ts, nil
}

// classify maps slack-go's errors to notify's retryable/permanent kinds, with the webhook URL
// and the token scrubbed from the text.
func (n *Notifier) classify(err error) error {
	if err == nil {
		return nil
	}
	var (
		rl  *slack.RateLimitedError
		api slack.SlackErrorResponse
		sc  slack.StatusCodeError
		ue  *url.Error
	)
	switch {
	case errors.As(err, &rl):
		return notify.Retryable(fmt.Errorf("slack %s: rate limited", n.name), rl.RetryAfter)
	case errors.As(err, &api):
		// Only Slack's own trouble is worth retrying; any other ok:false answer (invalid_auth,
		// channel_not_found, not_in_channel, account_inactive, invalid_blocks, …) means Slack
		// understood the request and refused it.
		e := fmt.Errorf("slack %s: %s", n.name, api.Err)
		switch api.Err {
		case "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return notify.Retryable(e, 0)
		}
		return notify.Permanent(e)
	case errors.As(err, &sc):
		e := fmt.Errorf("slack %s: HTTP %d", n.name, sc.Code)
		if sc.Code == http.StatusTooManyRequests || sc.Code >= 500 {
			return notify.Retryable(e, 0)
		}
		return notify.Permanent(e)
	case errors.As(err, &ue):
		// The transport error without its URL: an incoming webhook's URL is its credential.
		target := "slack"
		if n.webhook != "" {
			target = notify.RedactURL(n.webhook)
		}
		e := fmt.Errorf("slack %s: post %s: %w", n.name, target, ue.Err)
		return notify.Retryable(n.scrub(e), 0)
	}
	return notify.Retryable(n.scrub(fmt.Errorf("slack %s: %w", n.name, err)), 0)
}

func (n *Notifier) scrub(err error) error {
	secrets := []string{n.webhook, n.token}
	if u, perr := url.Parse(n.webhook); perr == nil && n.webhook != "" {
		secrets = append(secrets, u.String(), u.Redacted())
	}
	return notify.Scrub(err, secrets...)
}
