package gws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
)

// ChatServiceURISetting is the setting that points GWS at Digital Channels.
const ChatServiceURISetting = "chat-service-uri"

// Setting is one contact-center setting of the Environment API.
type Setting struct {
	Name     string `json:"name"`
	Location string `json:"location"`
	// Value is the setting's value; a value that is not a JSON string (an
	// object, a number) is kept as its JSON text.
	Value  string `json:"value"`
	Shared bool   `json:"shared"`
	ID     string `json:"id,omitempty"`
}

// UnmarshalJSON accepts any JSON value in "value": other settings of the
// contact center may hold objects, and one such setting must not make the
// whole list unreadable.
func (s *Setting) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name     string          `json:"name"`
		Location string          `json:"location"`
		Value    json.RawMessage `json:"value"`
		Shared   bool            `json:"shared"`
		ID       json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = Setting{Name: raw.Name, Location: raw.Location, Shared: raw.Shared,
		Value: textOf(raw.Value), ID: textOf(raw.ID)}
	return nil
}

// textOf is a JSON string's content, or the JSON text of any other value.
func textOf(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func settingsPath(ccID string) string { return fmt.Sprintf(SettingsPathFormat, url.PathEscape(ccID)) }

func settingPath(ccID, id string) string {
	return fmt.Sprintf(SettingPathFormat, url.PathEscape(ccID), url.PathEscape(id))
}

// SettingsRequest is the request Settings sends.
func (c *Client) SettingsRequest(ccID string) httpx.Request {
	return c.ops(http.MethodGet, settingsPath(ccID), nil)
}

// Settings lists the settings of a contact center.
func (c *Client) Settings(ctx context.Context, ccID string) ([]Setting, error) {
	req := c.SettingsRequest(ccID)
	data, err := c.do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("list settings of contact center %s: %w", ccID, mapNotFound(err))
	}
	var d struct {
		Settings []Setting `json:"settings"`
	}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("list settings of contact center %s: unexpected answer from %s: %w", ccID, c.where(req), c.redactErr(err))
		}
	}
	return d.Settings, nil
}

// CreateSettingRequest is the request CreateSetting sends.
func (c *Client) CreateSettingRequest(ccID string, s Setting) httpx.Request {
	body := struct {
		Name     string `json:"name"`
		Location string `json:"location"`
		Value    string `json:"value"`
		Shared   bool   `json:"shared"`
	}{s.Name, s.Location, s.Value, s.Shared}
	return c.ops(http.MethodPost, settingsPath(ccID), wrapData(body))
}

// CreateSetting adds a setting to a contact center; ErrExists when the
// service says a setting of that name is there.
func (c *Client) CreateSetting(ctx context.Context, ccID string, s Setting) error {
	if _, err := c.do(ctx, c.CreateSettingRequest(ccID, s)); err != nil {
		return fmt.Errorf("create setting %s of contact center %s: %w", s.Name, ccID, mapCreateError(err))
	}
	return nil
}

// DeleteSettingRequest is the request DeleteSetting sends.
func (c *Client) DeleteSettingRequest(ccID, settingID string) httpx.Request {
	return c.ops(http.MethodDelete, settingPath(ccID, settingID), nil)
}

// DeleteSetting removes a setting by id; ErrNotFound when there is none.
func (c *Client) DeleteSetting(ctx context.Context, ccID, settingID string) error {
	if _, err := c.do(ctx, c.DeleteSettingRequest(ccID, settingID)); err != nil {
		return fmt.Errorf("delete setting %s of contact center %s: %w", settingID, ccID, mapNotFound(err))
	}
	return nil
}
