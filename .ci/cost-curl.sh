#!/usr/bin/env bash
# .ci/cost-curl.sh — the vendor page's procedure as an admin scripts it
# today: the calls `nexus-onboard plan` lists for a first run, one curl
# process each (--cacert, as the tool's ca_file), and one psql for the
# nex_gapis row. It is .ci/cost's yardstick, not a tool: it keeps no state,
# checks nothing twice and stores no secret anywhere. Its values come from
# the environment, set before it is timed (.ci/cost reads them from the
# sandbox's config), so its time is the calls' and nothing else:
# AUTH_URL GWS_URL NEXUS_URL UCS_URL OPS_USER OPS_PASSWORD TENANT_USER
# TENANT_PASSWORD CC_ID TENANT_NAME CLIENT_ID CA_FILE DB_URL UCS_API_KEY.
set -euo pipefail
secret=$(head -c 36 /dev/urandom | base64 | tr '+/' '-_')
c() { curl -sS --fail-with-body --cacert "$CA_FILE" "$@"; echo; }
ops=$OPS_USER:$OPS_PASSWORD

c -u "$ops" "$AUTH_URL/environment/v3/contact-centers" >/dev/null
c -u "$ops" -o /dev/null -w '%{http_code}' "$AUTH_URL/auth/v3/ops/clients/$CLIENT_ID" 2>/dev/null || true
c -u "$ops" -H 'Content-Type: application/json' "$AUTH_URL/auth/v3/ops/clients" -d @- >/dev/null <<JSON
{"data":{"accessTokenExpirationTimeout":43200,"authorities":["ROLE_INTERNAL_CLIENT"],
"authorizedGrantTypes":["refresh_token","password","client_credentials","authorization_code"],
"clientType":"CONFIDENTIAL","client_id":"$CLIENT_ID","client_secret":"$secret","description":"$CLIENT_ID",
"internalClient":true,"name":"$CLIENT_ID","redirectURIs":["$NEXUS_URL"],"refreshTokenExpirationTimeout":2592000,"scope":["*"]}}
JSON
c -u "$CLIENT_ID:$secret" "$AUTH_URL/auth/v3/oauth/token" -d 'grant_type=client_credentials&scope=*' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 "$DB_URL" -v url="$GWS_URL" -v id="$CLIENT_ID" -v s="$secret" >/dev/null <<'SQL'
SELECT id, clientsecret FROM nex_gapis WHERE url = :'url' AND clientid = :'id';
INSERT INTO nex_gapis (url, clientid, apikey, clientsecret, created) VALUES (:'url', :'id', 'NA', :'s', now());
SQL
c -u "$ops" "$AUTH_URL/environment/v3/contact-centers/$CC_ID/settings" >/dev/null
c -u "$ops" -H 'Content-Type: application/json' "$AUTH_URL/environment/v3/contact-centers/$CC_ID/settings" \
	-d "{\"data\":{\"location\":\"/\",\"name\":\"chat-service-uri\",\"shared\":false,\"value\":\"$NEXUS_URL\"}}" >/dev/null
token=$(c -u "$CLIENT_ID:$secret" "$AUTH_URL/auth/v3/oauth/token" \
	--data-urlencode "client_id=$CLIENT_ID" -d grant_type=password --data-urlencode "password=$TENANT_PASSWORD" \
	--data-urlencode "username=$CC_ID\\$TENANT_USER" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "no access token" >&2; exit 1; }
c -H 'Content-Type: application/json' -H "X-Api-Key: $UCS_API_KEY" -H "X-Ccid: $CC_ID" \
	"$NEXUS_URL/nexus/v3/provisioning/services/$CC_ID/PlatformUCS" -d "{\"data\":{},\"secret\":{},\"url\":\"$UCS_URL\"}" >/dev/null
c -H 'Content-Type: application/json' -H "Authorization: Bearer $token" "$NEXUS_URL/nexus/v3/provisioning/tenants" \
	-d "{\"backendurl\":\"$GWS_URL\",\"genesysenantid\":1,\"id\":\"$CC_ID\",\"name\":\"$TENANT_NAME\",\"token\":\"$TENANT_PASSWORD\",\"type\":\"PureEngage\",\"username\":\"$TENANT_USER\"}" >/dev/null
