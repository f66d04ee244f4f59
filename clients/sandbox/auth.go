package sandbox

import (
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Auth service: /environment/v3/... and /auth/v3/..., as the Auth PE guide and
// the Digital Channels page use them.

func (s *Sandbox) authMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/environment/v3/contact-centers", s.opsOnly(s.contactCenters))
	mux.HandleFunc("/environment/v3/contact-centers/{cc}/settings", s.opsOnly(s.settings))
	mux.HandleFunc("/environment/v3/contact-centers/{cc}/settings/{id}", s.opsOnly(s.setting))
	mux.HandleFunc("/auth/v3/ops/clients", s.opsOnly(s.clients))
	mux.HandleFunc("/auth/v3/ops/clients/{id}", s.opsOnly(s.client))
	mux.HandleFunc("/auth/v3/oauth/token", s.token)
	mux.HandleFunc("/health", health("auth"))
	mux.HandleFunc("/", notFound)
	return mux
}

// opsOnly requires the GWS ops credentials as HTTP basic auth.
func (s *Sandbox) opsOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || !secureEqual(user, s.Opts.OpsUser) || !secureEqual(pass, s.Opts.OpsPassword) {
			w.Header().Set("WWW-Authenticate", `Basic realm="sandbox ops"`)
			writeError(w, http.StatusUnauthorized, "Bad credentials: ops user and password required (HTTP basic)")
			return
		}
		h(w, r)
	}
}

func (s *Sandbox) contactCenters(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, http.MethodGet)
		return
	}
	list := make([]map[string]any, 0, len(s.ccs))
	for _, cc := range s.ccs {
		list = append(list, map[string]any{"id": cc.id, "environmentId": cc.envID, "domains": []string{}, "auth": "configServer"})
	}
	writeData(w, map[string]any{"contactCenters": list})
}

// knownCC answers 404 and returns false when cc is not a contact center.
func (s *Sandbox) knownCC(w http.ResponseWriter, cc string) bool {
	if s.hasCC(cc) {
		return true
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("contact center %q not found", cc))
	return false
}

func (s *Sandbox) hasCC(cc string) bool {
	for _, c := range s.ccs {
		if c.id == cc {
			return true
		}
	}
	return false
}

func (s *Sandbox) settings(w http.ResponseWriter, r *http.Request) {
	cc := r.PathValue("cc")
	switch r.Method {
	case http.MethodGet:
		if !s.knownCC(w, cc) {
			return
		}
		s.mu.Lock()
		list := make([]map[string]any, 0, len(s.settingsByCC[cc]))
		for _, st := range s.settingsByCC[cc] {
			list = append(list, copyMap(st))
		}
		s.mu.Unlock()
		writeData(w, map[string]any{"settings": list})
	case http.MethodPost:
		if !s.knownCC(w, cc) {
			return
		}
		var body struct {
			Data map[string]any `json:"data"`
		}
		if !readJSON(w, r, &body) {
			return
		}
		d := body.Data
		if d == nil {
			writeError(w, http.StatusBadRequest, `body must be {"data":{"name","location","value","shared"}}`)
			return
		}
		name := str(d, "name")
		if name == "" {
			writeError(w, http.StatusBadRequest, "data.name is required")
			return
		}
		if _, ok := d["value"]; !ok {
			writeError(w, http.StatusBadRequest, "data.value is required")
			return
		}
		if loc, ok := d["location"]; ok {
			if l, _ := loc.(string); !strings.HasPrefix(l, "/") {
				writeError(w, http.StatusBadRequest, `data.location must be a path such as "/"`)
				return
			}
		}
		if sh, ok := d["shared"]; ok {
			if _, isBool := sh.(bool); !isBool {
				writeError(w, http.StatusBadRequest, "data.shared must be true or false")
				return
			}
		}
		st := copyMap(d)
		if _, ok := st["location"]; !ok {
			st["location"] = "/"
		}
		if _, ok := st["shared"]; !ok {
			st["shared"] = false
		}
		s.mu.Lock()
		list := s.settingsByCC[cc]
		i := slices.IndexFunc(list, func(x map[string]any) bool { return x["name"] == name })
		if i >= 0 {
			// An existing name is overwritten in place and keeps its id.
			st["id"] = list[i]["id"]
			list[i] = st
		} else {
			st["id"] = newUUID()
			s.settingsByCC[cc] = append(list, st)
		}
		out := copyMap(st)
		s.mu.Unlock()
		writeData(w, out)
	default:
		methodNotAllowed(w, r, http.MethodGet, http.MethodPost)
	}
}

func (s *Sandbox) setting(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodDelete {
		methodNotAllowed(w, r, http.MethodDelete)
		return
	}
	cc, id := r.PathValue("cc"), r.PathValue("id")
	if !s.knownCC(w, cc) {
		return
	}
	s.mu.Lock()
	list := s.settingsByCC[cc]
	i := slices.IndexFunc(list, func(x map[string]any) bool { return x["id"] == id })
	if i >= 0 {
		s.settingsByCC[cc] = slices.Delete(list, i, i+1)
	}
	s.mu.Unlock()
	if i < 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("setting %q not found", id))
		return
	}
	writeData(w, map[string]any{})
}

// publicClient is a client as GET shows it: everything but the secret.
func publicClient(c map[string]any) map[string]any {
	out := copyMap(c)
	delete(out, "client_secret")
	return out
}

// validateClient checks what the token endpoint later relies on.
func validateClient(d map[string]any, needSecret bool) string {
	if str(d, "client_id") == "" {
		return "data.client_id is required"
	}
	if needSecret && str(d, "client_secret") == "" {
		return "data.client_secret is required"
	}
	if v, ok := d["client_secret"]; ok {
		if _, isStr := v.(string); !isStr {
			return "data.client_secret must be a string"
		}
	}
	if str(d, "clientType") != "CONFIDENTIAL" {
		return `data.clientType must be "CONFIDENTIAL"`
	}
	grants := grantTypes(d)
	for _, g := range []string{"password", "client_credentials"} {
		if !slices.Contains(grants, g) {
			return fmt.Sprintf("data.authorizedGrantTypes must include %q", g)
		}
	}
	return ""
}

func grantTypes(d map[string]any) []string {
	var out []string
	list, _ := d["authorizedGrantTypes"].([]any)
	for _, g := range list {
		if s, ok := g.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func (s *Sandbox) clients(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		list := make([]map[string]any, 0, len(s.clientOrder))
		for _, id := range s.clientOrder {
			list = append(list, publicClient(s.clientsByID[id]))
		}
		s.mu.Unlock()
		writeData(w, list)
	case http.MethodPost:
		var body struct {
			Data map[string]any `json:"data"`
		}
		if !readJSON(w, r, &body) {
			return
		}
		if body.Data == nil {
			writeError(w, http.StatusBadRequest, `body must be {"data":{...client properties...}}`)
			return
		}
		if msg := validateClient(body.Data, true); msg != "" {
			writeError(w, http.StatusBadRequest, msg)
			return
		}
		id := str(body.Data, "client_id")
		s.mu.Lock()
		if _, exists := s.clientsByID[id]; exists {
			s.mu.Unlock()
			writeError(w, http.StatusConflict, fmt.Sprintf("client %q already exists", id))
			return
		}
		c := copyMap(body.Data)
		s.clientsByID[id] = c
		s.clientOrder = append(s.clientOrder, id)
		out := publicClient(c)
		s.mu.Unlock()
		writeData(w, out)
	default:
		methodNotAllowed(w, r, http.MethodGet, http.MethodPost)
	}
}

func (s *Sandbox) client(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		c, ok := s.clientsByID[id]
		var out map[string]any
		if ok {
			out = publicClient(c)
		}
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("client %q not found", id))
			return
		}
		writeData(w, out)
	case http.MethodPut:
		var body struct {
			Data map[string]any `json:"data"`
		}
		if !readJSON(w, r, &body) {
			return
		}
		if body.Data == nil {
			writeError(w, http.StatusBadRequest, `body must be {"data":{...client properties...}}`)
			return
		}
		d := copyMap(body.Data)
		if got := str(d, "client_id"); got == "" {
			d["client_id"] = id
		} else if got != id {
			writeError(w, http.StatusBadRequest, "data.client_id must match the client id in the path")
			return
		}
		// GET never shows the secret, so an update may leave it out and keep it.
		if msg := validateClient(d, false); msg != "" {
			writeError(w, http.StatusBadRequest, msg)
			return
		}
		s.mu.Lock()
		old, ok := s.clientsByID[id]
		if ok {
			if str(d, "client_secret") == "" {
				d["client_secret"] = old["client_secret"]
			}
			s.clientsByID[id] = d
		}
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("client %q not found", id))
			return
		}
		writeData(w, publicClient(d))
	case http.MethodDelete:
		s.mu.Lock()
		_, ok := s.clientsByID[id]
		if ok {
			delete(s.clientsByID, id)
			s.clientOrder = slices.DeleteFunc(s.clientOrder, func(x string) bool { return x == id })
		}
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("client %q not found", id))
			return
		}
		writeData(w, map[string]any{})
	default:
		methodNotAllowed(w, r, http.MethodGet, http.MethodPut, http.MethodDelete)
	}
}

// tokenInfo is what the sandbox knows about an access token it issued.
type tokenInfo struct {
	grant    string // "password" or "client_credentials"
	clientID string
	cc, user string // password grant only
	issued   time.Time
	refresh  string // the refresh token issued with it, if any
}

const tokenLifetime = 43199 // seconds, as the vendor's sample answers show

func oauthError(w http.ResponseWriter, status int, code, description string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="sandbox oauth"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// token is the OAuth 2 token endpoint: client_credentials (grant_type and
// scope in a form body, or in the query) and password (form body). The
// client authenticates with HTTP basic, as in the page. The page's
// client_credentials request also puts client_id and client_secret in the
// query: wrap refuses any credential in a URL before this handler runs.
func (s *Sandbox) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, http.MethodPost)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "token requests must be application/x-www-form-urlencoded")
			return
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "cannot parse the form body")
		return
	}

	id, secret, ok := r.BasicAuth()
	if !ok {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication with HTTP basic (client_id:client_secret) is required")
		return
	}
	s.mu.Lock()
	c, known := s.clientsByID[id]
	var wantSecret string
	if known {
		wantSecret = str(c, "client_secret")
	}
	s.mu.Unlock()
	if !known || !secureEqual(secret, wantSecret) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Bad client credentials")
		return
	}
	if p := r.Form.Get("client_id"); p != "" && p != id {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client_id parameter does not match the authenticated client")
		return
	}
	if p := r.Form.Get("client_secret"); p != "" && !secureEqual(p, wantSecret) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Bad client credentials")
		return
	}

	grant := r.Form.Get("grant_type")
	switch grant {
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	case "client_credentials", "password":
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("unsupported grant type %q", grant))
		return
	}
	// Every client the sandbox accepts has both grant types (validateClient),
	// so there is no unauthorized_client case.
	if sc := r.Form.Get("scope"); sc != "" && sc != "*" {
		oauthError(w, http.StatusBadRequest, "invalid_scope", fmt.Sprintf("scope %q is not allowed; use *", sc))
		return
	}

	info := tokenInfo{grant: grant, clientID: id, issued: time.Now()}
	if grant == "password" {
		if r.URL.Query().Has("password") {
			// A password in the URL ends up in proxy and server logs.
			oauthError(w, http.StatusBadRequest, "invalid_request", "send the password in the form body, not in the URL")
			return
		}
		username, password := r.PostForm.Get("username"), r.PostForm.Get("password")
		if username == "" || password == "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "username and password are required in the form body")
			return
		}
		cc, user, found := strings.Cut(username, `\`)
		if !found || cc == "" || user == "" || strings.Contains(user, `\`) {
			oauthError(w, http.StatusBadRequest, "invalid_grant", `username must be <contact center id>\<user> with exactly one backslash`)
			return
		}
		if !s.hasCC(cc) {
			oauthError(w, http.StatusBadRequest, "invalid_grant", fmt.Sprintf("unknown contact center %q in username", cc))
			return
		}
		if !secureEqual(user, s.Opts.TenantUser) || !secureEqual(password, s.Opts.TenantPassword) {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Bad credentials")
			return
		}
		info.cc, info.user = cc, user
	}

	access := newUUID()
	answer := map[string]any{"access_token": access, "token_type": "bearer", "expires_in": tokenLifetime, "scope": "*"}
	if grant == "password" {
		info.refresh = newUUID()
		answer["refresh_token"] = info.refresh
	}
	s.mu.Lock()
	s.tokens[access] = info
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, answer)
}

// health answers the reachability checks.
func health(service string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, r, http.MethodGet, http.MethodHead)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "service": service})
	}
}
