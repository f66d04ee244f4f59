package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
)

// IDChatServiceURI points the contact center's chat-service-uri setting at
// Digital Channels.
const IDChatServiceURI = "chat-service-uri"

// CreatedSetting records (in State.Created) the value of a chat-service-uri
// setting this tool created where there was none.
const CreatedSetting = "chat_service_uri"

const chatSettingName = "chat-service-uri"

var chatServiceURI = Declare(Step{
	ID: IDChatServiceURI, Title: "Set chat-service-uri",
	Doc:     "Set the contact center's chat-service-uri setting to nexus_url, so GWS knows Digital Channels.",
	Needs:   append([]string{KeyNexusURL}, opsNeeds...),
	Uses:    []string{OutCCID},
	Creates: []string{CreatedSetting},
	Plan: func(e *Env) []Planned {
		cc := e.planCCID()
		return []Planned{
			planned(e, "read the current settings", e.Auth.SettingsRequest(cc)),
			planned(e, "unless chat-service-uri already has this value", e.Auth.CreateSettingRequest(cc, gws.Setting{Name: chatSettingName, Location: "/", Value: e.In.Get(KeyNexusURL)})),
		}
	},
}, Does[chatSeen]{
	Check:   checkChatServiceURI,
	Intends: intendsChatServiceURI,
	Run:     runChatServiceURI,
	Undo:    undoChatServiceURI,
})

// chatSeen is the setting's value the check saw: the action replaces it
// and says so, and only a setting made where there was none is ours.
type chatSeen struct {
	checked  bool
	previous string // "" when the contact center had no such setting
}

func checkChatServiceURI(ctx context.Context, e *Env) (Observed[chatSeen], error) {
	set, err := e.Auth.Settings(ctx, e.CCID())
	if err != nil {
		return Observed[chatSeen]{}, err
	}
	seen := chatSeen{checked: true}
	for _, s := range set {
		if s.Name == chatSettingName {
			seen.previous = s.Value
		}
	}
	if seen.previous == e.In.Get(KeyNexusURL) {
		return Observed[chatSeen]{Done: true, Seen: seen, Result: Result{Outputs: map[string]string{"value": seen.previous}, Message: "chat-service-uri already points at " + seen.previous}}, nil
	}
	return Observed[chatSeen]{Seen: seen}, nil
}

func intendsChatServiceURI(e *Env, seen chatSeen) map[string]string {
	if !seen.checked || seen.previous != "" {
		return nil // replacing someone's value creates nothing of ours
	}
	return map[string]string{CreatedSetting: e.In.Get(KeyNexusURL)}
}

func runChatServiceURI(ctx context.Context, e *Env, seen chatSeen) (Result, error) {
	want := e.In.Get(KeyNexusURL)
	var created map[string]string
	if seen.previous == "" {
		created = map[string]string{CreatedSetting: want}
	}
	err := e.Auth.CreateSetting(ctx, e.CCID(), gws.Setting{Name: chatSettingName, Location: "/", Value: want, Shared: false})
	if err != nil {
		return Result{}, err
	}
	res := Result{Outputs: map[string]string{"value": want}, Message: "chat-service-uri set to " + want, Created: created}
	if seen.previous != "" {
		res.Warning = "replaced the previous value " + seen.previous
		res.Outputs["previous"] = seen.previous
	}
	return res, nil
}

// undoChatServiceURI deletes the setting this tool created, if it still
// holds the value this tool set.
func undoChatServiceURI(e *Env, st *State) []Undo {
	v, ok := st.Created[CreatedSetting]
	if !ok {
		return nil
	}
	cc := st.ccLower()
	return []Undo{{Step: IDChatServiceURI, Needs: opsNeeds,
		What: fmt.Sprintf("delete the contact center setting chat-service-uri, if it still is %s", v),
		Plan: []Planned{
			planned(e, "find the setting", e.Auth.SettingsRequest(cc)),
			planned(e, "only if its value is still ours", e.Auth.DeleteSettingRequest(cc, "<setting id>")),
		},
		run: func(ctx context.Context, e *Env) (string, error) { return undoSetting(ctx, e, cc, v) }}}
}

func undoSetting(ctx context.Context, e *Env, cc, ours string) (string, error) {
	set, err := e.Auth.Settings(ctx, cc)
	if err != nil {
		return "", err
	}
	for _, s := range set {
		if s.Name != chatSettingName {
			continue
		}
		if s.Value != ours {
			return "left alone: chat-service-uri is now " + s.Value + ", not the value this tool set", nil
		}
		// An empty id would make the DELETE one of the collection.
		if why := badSegmentID(s.ID); why != "" {
			return "", fmt.Errorf("the contact center lists chat-service-uri with an id that %s, which cannot name that one setting: nothing was deleted; remove the setting in GWS if it must go", why)
		}
		if err := e.Auth.DeleteSetting(ctx, cc, s.ID); err != nil && !errors.Is(err, gws.ErrNotFound) {
			return "", err
		}
		return "deleted chat-service-uri", nil
	}
	return "already gone", nil
}
