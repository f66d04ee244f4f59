#!/usr/bin/env bash
# .ci/cost-curl.sh CONFIG — the vendor page's procedure as an admin scripts
# it today: the calls `nexus-onboard plan` lists for a first run, one curl
# process each (--cacert, as the tool's ca_file), and one psql for the
# nex_gapis row. It is .ci/cost's yardstick, not a tool: it keeps no state,
# checks nothing twice and stores no secret anywhere.
set -euo pipefail
cfg=$1
# val KEY: the config's value of KEY, YAML quoting undone ('…' and "…").
val() {
	local v
	v=$(sed -n "s/^$1: //p" "$cfg")
	case $v in
	\'*\') v=${v:1:${#v}-2} v=${v//\'\'/\'} ;;
	\"*\") v=${v:1:${#v}-2} v=${v//\\\"/\"} v=${v//\\\\/\\} ;;
	esac
	printf '%s' "$v"
}
auth=$(val auth_url) gws=$(val gws_url) nexus=$(val nexus_url) ucs=$(val ucs_url)
ops=$(val gws_admin_user):$(val gws_admin_password)
user=$(val tenant_user) pass=$(val tenant_password) cc=$(val cc_id)
name=$(val tenant_name) client=$(val client_id) ca=$(val ca_file) db=$(val db_url)
secret=$(head -c 36 /dev/urandom | base64 | tr '+/' '-_')
c() { curl -sS --fail-with-body --cacert "$ca" "$@"; echo; }

c -u "$ops" "$auth/environment/v3/contact-centers" >/dev/null
c -u "$ops" -o /dev/null -w '%{http_code}' "$auth/auth/v3/ops/clients/$client" || true
c -u "$ops" -H 'Content-Type: application/json' "$auth/auth/v3/ops/clients" -d @- >/dev/null <<EOF
{"data":{"accessTokenExpirationTimeout":43200,"authorities":["ROLE_INTERNAL_CLIENT"],
"authorizedGrantTypes":["refresh_token","password","client_credentials","authorization_code"],
"clientType":"CONFIDENTIAL","client_id":"$client","client_secret":"$secret","description":"$client",
"internalClient":true,"name":"$client","redirectURIs":["$nexus"],"refreshTokenExpirationTimeout":2592000,"scope":["*"]}}
EOF
c -u "$client:$secret" "$auth/auth/v3/oauth/token" -d 'grant_type=client_credentials&scope=*' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 "$db" -v url="$gws" -v id="$client" -v s="$secret" >/dev/null <<'EOF'
SELECT id, clientsecret FROM nex_gapis WHERE url = :'url' AND clientid = :'id';
INSERT INTO nex_gapis (url, clientid, apikey, clientsecret, created) VALUES (:'url', :'id', 'NA', :'s', now());
EOF
c -u "$ops" "$auth/environment/v3/contact-centers/$cc/settings" >/dev/null
c -u "$ops" -H 'Content-Type: application/json' "$auth/environment/v3/contact-centers/$cc/settings" \
	-d "{\"data\":{\"location\":\"/\",\"name\":\"chat-service-uri\",\"shared\":false,\"value\":\"$nexus\"}}" >/dev/null
token=$(c -u "$client:$secret" "$auth/auth/v3/oauth/token" \
	--data-urlencode "client_id=$client" -d grant_type=password --data-urlencode "password=$pass" \
	--data-urlencode "username=$cc\\$user" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "no access token" >&2; exit 1; }
c -H 'Content-Type: application/json' -H "X-Api-Key: $(val ucs_api_key)" -H "X-Ccid: $cc" \
	"$nexus/nexus/v3/provisioning/services/$cc/PlatformUCS" -d "{\"data\":{},\"secret\":{},\"url\":\"$ucs\"}" >/dev/null
c -H 'Content-Type: application/json' -H "Authorization: Bearer $token" "$nexus/nexus/v3/provisioning/tenants" \
	-d "{\"backendurl\":\"$gws\",\"genesysenantid\":1,\"id\":\"$cc\",\"name\":\"$name\",\"token\":\"$pass\",\"type\":\"PureEngage\",\"username\":\"$user\"}" >/dev/null
