package dashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// DefaultFolder is the Grafana folder of the dashboards unless PublishOptions says otherwise.
const DefaultFolder = "accesswatch"

// ErrAuth is the error of a request Grafana refused for its credentials.
var ErrAuth = errors.New("grafana: authentication failed (check the service-account token)")

// PublishOptions say where and how to publish.
type PublishOptions struct {
	URL    string // Grafana's base URL, e.g. http://127.0.0.1:3000
	Token  string // service-account token (Editor on the folder); never logged
	Folder string // folder title; DefaultFolder when empty
	Client *http.Client
	Logger *slog.Logger
}

// maxBody bounds what is read of a Grafana answer.
const maxBody = 1 << 20

// Publish creates or updates ds in Grafana: it finds or creates the folder, refuses to
// overwrite a dashboard with one of our uids that accesswatch did not make (no Tag), and saves
// each dashboard with overwrite set, so uids stay stable across publishes.
func Publish(ctx context.Context, o PublishOptions, ds []Dashboard) error {
	if o.URL == "" {
		return errors.New("grafana: no URL configured")
	}
	if o.Folder == "" {
		o.Folder = DefaultFolder
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &client{o: o, base: strings.TrimSuffix(o.URL, "/")}
	folder, err := c.folder(ctx)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if err := c.checkOwner(ctx, d.UID); err != nil {
			return err
		}
		if err := c.save(ctx, d, folder); err != nil {
			return err
		}
		o.Logger.Info("grafana: dashboard published", "uid", d.UID, "folder", o.Folder)
	}
	return nil
}

type client struct {
	o    PublishOptions
	base string
}

// do sends a JSON request and returns the status and body; it maps 401/403 to ErrAuth.
func (c *client) do(ctx context.Context, method, path string, in any) (int, []byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, nil, fmt.Errorf("grafana: encode %s: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, nil, fmt.Errorf("grafana: bad URL: %w", c.scrub(err))
	}
	req.Header.Set("Authorization", "Bearer "+c.o.Token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.o.Client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("grafana: %s %s: %w", method, path, c.scrub(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, fmt.Errorf("grafana: %s %s: read answer: %w", method, path, c.scrub(err))
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return resp.StatusCode, b, ErrAuth
	}
	return resp.StatusCode, b, nil
}

// scrub keeps the token out of an error's text (a proxy or URL error could echo it).
func (c *client) scrub(err error) error {
	if c.o.Token == "" || !strings.Contains(err.Error(), c.o.Token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), c.o.Token, "<redacted>"))
}

// folder returns the uid of the folder titled o.Folder, creating it if needed.
func (c *client) folder(ctx context.Context) (string, error) {
	code, b, err := c.do(ctx, http.MethodGet, "/api/folders?limit=1000", nil)
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", unexpected("list folders", code, b)
	}
	var folders []struct{ UID, Title string }
	if err := json.Unmarshal(b, &folders); err != nil {
		return "", fmt.Errorf("grafana: list folders: %w", err)
	}
	for _, f := range folders {
		if f.Title == c.o.Folder {
			return f.UID, nil
		}
	}
	code, b, err = c.do(ctx, http.MethodPost, "/api/folders", map[string]string{"title": c.o.Folder})
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", unexpected("create folder "+c.o.Folder, code, b)
	}
	var created struct{ UID string }
	if err := json.Unmarshal(b, &created); err != nil || created.UID == "" {
		return "", fmt.Errorf("grafana: create folder %s: no uid in the answer", c.o.Folder)
	}
	c.o.Logger.Info("grafana: folder created", "folder", c.o.Folder, "uid", created.UID)
	return created.UID, nil
}

// checkOwner fails when a dashboard with uid exists and is not tagged as ours.
func (c *client) checkOwner(ctx context.Context, uid string) error {
	code, b, err := c.do(ctx, http.MethodGet, "/api/dashboards/uid/"+url.PathEscape(uid), nil)
	if err != nil {
		return err
	}
	switch code {
	case http.StatusNotFound:
		return nil
	case http.StatusOK:
	default:
		return unexpected("get dashboard "+uid, code, b)
	}
	var got struct {
		Dashboard struct{ Tags []string } `json:"dashboard"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		return fmt.Errorf("grafana: get dashboard %s: %w", uid, err)
	}
	if !slices.Contains(got.Dashboard.Tags, Tag) {
		return fmt.Errorf("grafana: dashboard %s exists and was not made by accesswatch (no %q tag): refusing to overwrite it", uid, Tag)
	}
	return nil
}

func (c *client) save(ctx context.Context, d Dashboard, folderUID string) error {
	payload := map[string]any{
		"dashboard": json.RawMessage(d.JSON),
		"folderUid": folderUID,
		"overwrite": true,
		"message":   "accesswatch publish",
	}
	code, b, err := c.do(ctx, http.MethodPost, "/api/dashboards/db", payload)
	if err != nil {
		return err
	}
	switch code {
	case http.StatusOK:
		return nil
	case http.StatusBadRequest, http.StatusPreconditionFailed:
		return fmt.Errorf("grafana: dashboard %s rejected: %s", d.UID, message(b))
	default:
		return unexpected("save dashboard "+d.UID, code, b)
	}
}

// message is Grafana's error message from a JSON answer, or the start of the body.
func message(b []byte) string {
	var m struct{ Message string }
	if json.Unmarshal(b, &m) == nil && m.Message != "" {
		return m.Message
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "no message"
	}
	return s
}

func unexpected(what string, code int, b []byte) error {
	return fmt.Errorf("grafana: %s: HTTP %d: %s", what, code, message(b))
}
