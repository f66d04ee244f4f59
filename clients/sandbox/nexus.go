package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// genesysTenantIDField is the tenant body's field as the vendor page spells it.
const genesysTenantIDField = "genesysenantid"

// Nexus (Digital Channels) provisioning API.

func (s *Sandbox) nexusMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/nexus/v3/provisioning/tenants", s.tenants)
	mux.HandleFunc("/nexus/v3/provisioning/services/{cc}/PlatformUCS", s.platformUCS)
	mux.HandleFunc("/health", health("nexus"))
	mux.HandleFunc("/", notFound)
	return mux
}

// bearer returns the token a request carries, answering 401 itself when it
// is missing or unknown.
func (s *Sandbox) bearer(w http.ResponseWriter, r *http.Request) (tokenInfo, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sandbox nexus"`)
		writeError(w, http.StatusUnauthorized, "Authorization: Bearer <access token> is required")
		return tokenInfo{}, false
	}
	s.mu.Lock()
	info, known := s.tokens[strings.TrimSpace(tok)]
	s.mu.Unlock()
	if !known {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sandbox nexus", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "invalid or expired access token")
		return tokenInfo{}, false
	}
	return info, true
}

func (s *Sandbox) tenants(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, http.MethodPost)
		return
	}
	tok, ok := s.bearer(w, r)
	if !ok {
		return
	}
	if tok.grant != "password" {
		writeError(w, http.StatusForbidden, "the access token must come from the password grant of a tenant user, not client_credentials")
		return
	}
	var body map[string]any
	if !readJSON(w, r, &body) {
		return
	}
	id := str(body, "id")
	switch {
	case id == "":
		writeError(w, http.StatusBadRequest, "id (the contact center id) is required")
		return
	case !s.hasCC(id):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("id %q is not a known contact center", id))
		return
	case id != tok.cc:
		writeError(w, http.StatusForbidden, "the access token belongs to another contact center")
		return
	}
	if msg := validateTenant(body, tok, s.Opts.TenantPassword); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}

	s.mu.Lock()
	if _, exists := s.tenantsByID[id]; exists {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "tenant already exists")
		return
	}
	key, op := newUUID(), newUUID()
	// The user's password ("token") is checked, not kept.
	s.tenantsByID[id] = map[string]any{
		"id": id, "name": str(body, "name"), "type": str(body, "type"),
		"backendurl": str(body, "backendurl"), "username": str(body, "username"),
		genesysTenantIDField: 1, "xapikey": key, "operationId": op, "created": time.Now().UTC(),
	}
	s.tenantOrder = append(s.tenantOrder, id)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"status":      map[string]int{"code": 0},
		"data":        map[string]string{"xapikey": key},
		"operationId": op,
	})
}

func validateTenant(body map[string]any, tok tokenInfo, tenantPassword string) string {
	if str(body, "name") == "" {
		return "name (the tenant name) is required"
	}
	if t := str(body, "type"); t != "PureEngage" {
		return fmt.Sprintf(`type must be "PureEngage", got %q`, t)
	}
	if !isHTTPSURL(str(body, "backendurl")) {
		return "backendurl must be the https URL of GWS"
	}
	if u := str(body, "username"); u != tok.user {
		return fmt.Sprintf("username %q is not the user the access token was issued to", u)
	}
	if t, isStr := body["token"].(string); !isStr || !secureEqual(t, tenantPassword) {
		return "token must be the tenant user's password"
	}
	n, isNum := body[genesysTenantIDField].(json.Number)
	if v, err := n.Float64(); !isNum || err != nil || v != 1 {
		return fmt.Sprintf("%s must be the number 1 (the vendor page's spelling)", genesysTenantIDField)
	}
	return ""
}

func (s *Sandbox) platformUCS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, http.MethodPost)
		return
	}
	cc := r.PathValue("cc")
	if key := r.Header.Get("x-api-key"); key == "" || !secureEqual(key, s.Opts.UCSAPIKey) {
		writeError(w, http.StatusUnauthorized, "x-api-key header missing or not a valid API key")
		return
	}
	if got := r.Header.Get("x-ccid"); got != cc {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("x-ccid header %q must equal the contact center id in the path", got))
		return
	}
	if !s.hasCC(cc) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("contact center %q not found", cc))
		return
	}
	var body map[string]any
	if !readJSON(w, r, &body) {
		return
	}
	if !isHTTPSURL(str(body, "url")) {
		writeError(w, http.StatusBadRequest, "url must be the https URL of UCS")
		return
	}
	for _, k := range []string{"secret", "data"} {
		if v, ok := body[k]; ok {
			if _, isObj := v.(map[string]any); !isObj {
				writeError(w, http.StatusBadRequest, k+" must be a JSON object")
				return
			}
		}
	}
	s.mu.Lock()
	if _, exists := s.ucsByCC[cc]; exists {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "service PlatformUCS already exists for this contact center")
		return
	}
	svc := map[string]any{"ccid": cc, "name": "PlatformUCS", "url": str(body, "url"),
		"secret": deepCopy(body["secret"]), "data": deepCopy(body["data"]), "created": time.Now().UTC()}
	s.ucsByCC[cc] = svc
	s.ucsOrder = append(s.ucsOrder, cc)
	s.mu.Unlock()
	writeData(w, map[string]any{"name": "PlatformUCS", "url": svc["url"]})
}

// plainMux answers the GWS and UCS reachability checks.
func plainMux(service string) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", health(service))
	mux.HandleFunc("/health", health(service))
	mux.HandleFunc("/", notFound)
	return mux
}
