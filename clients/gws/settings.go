package gws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

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

// settingsPath is the settings collection of a contact center; the error
// matches ErrBadID when ccID cannot name exactly one contact center (the
// path is then one send refuses).
func settingsPath(ccID string) (string, error) {
	cc, err := segment("contact center id", ccID)
	return fmt.Sprintf(SettingsPathFormat, cc), err
}

// settingPath is one setting of a contact center; see settingsPath.
func settingPath(ccID, id string) (string, error) {
	cc, ccErr := segment("contact center id", ccID)
	sid, idErr := segment("setting id", id)
	if ccErr != nil {
		idErr = ccErr
	}
	return fmt.Sprintf(SettingPathFormat, cc, sid), idErr
}

// settingsRequest is SettingsRequest with the id's error.
func (c *Client) settingsRequest(ccID string) (httpx.Request, error) {
	p, err := settingsPath(ccID)
	return c.ops(http.MethodGet, p, nil), err
}

// SettingsRequest is the request Settings sends. For a contact center id
// that cannot name exactly one (see ErrBadID) it is a request that is never
// sent.
func (c *Client) SettingsRequest(ccID string) httpx.Request {
	req, _ := c.settingsRequest(ccID)
	return req
}

// Settings lists the settings of a contact center; ErrBadID (nothing sent)
// for a contact center id that cannot name exactly one.
func (c *Client) Settings(ctx context.Context, ccID string) ([]Setting, error) {
	req, err := c.settingsRequest(ccID)
	if err != nil {
		return nil, fmt.Errorf("list settings: %w", err)
	}
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

// createSettingRequest is CreateSettingRequest with the id's error.
func (c *Client) createSettingRequest(ccID string, s Setting) (httpx.Request, error) {
	body := struct {
		Name     string `json:"name"`
		Location string `json:"location"`
		Value    string `json:"value"`
		Shared   bool   `json:"shared"`
	}{s.Name, s.Location, s.Value, s.Shared}
	p, err := settingsPath(ccID)
	return c.ops(http.MethodPost, p, wrapData(body)), err
}

// CreateSettingRequest is the request CreateSetting sends. For a contact
// center id that cannot name exactly one (see ErrBadID) it is a request that
// is never sent.
func (c *Client) CreateSettingRequest(ccID string, s Setting) httpx.Request {
	req, _ := c.createSettingRequest(ccID, s)
	return req
}

// CreateSetting adds a setting to a contact center; ErrExists when the
// service says a setting of that name is there, ErrBadID (nothing sent) for
// a contact center id that cannot name exactly one.
func (c *Client) CreateSetting(ctx context.Context, ccID string, s Setting) error {
	req, err := c.createSettingRequest(ccID, s)
	if err != nil {
		return fmt.Errorf("create setting %s: %w", s.Name, err)
	}
	if _, err := c.do(ctx, req); err != nil {
		return fmt.Errorf("create setting %s of contact center %s: %w", s.Name, ccID, mapCreateError(err))
	}
	return nil
}

// deleteSettingRequest is DeleteSettingRequest with the ids' error.
func (c *Client) deleteSettingRequest(ccID, settingID string) (httpx.Request, error) {
	p, err := settingPath(ccID, settingID)
	return c.ops(http.MethodDelete, p, nil), err
}

// DeleteSettingRequest is the request DeleteSetting sends. For ids that
// cannot name exactly one setting (see ErrBadID) it is a request that is
// never sent: an empty setting id would make it a DELETE of the collection.
func (c *Client) DeleteSettingRequest(ccID, settingID string) httpx.Request {
	req, _ := c.deleteSettingRequest(ccID, settingID)
	return req
}

// DeleteSetting removes a setting by id; ErrNotFound when there is none,
// ErrBadID (nothing sent) for ids that cannot name exactly one setting.
func (c *Client) DeleteSetting(ctx context.Context, ccID, settingID string) error {
	req, err := c.deleteSettingRequest(ccID, settingID)
	if err != nil {
		return fmt.Errorf("delete setting: %w", err)
	}
	if _, err := c.do(ctx, req); err != nil {
		return fmt.Errorf("delete setting %s of contact center %s: %w", settingID, ccID, mapNotFound(err))
	}
	return nil
}
