#!/usr/bin/env bash
# End to end, as a person at a terminal: builds nexus-onboard and drives the
# real binary in tmux by keystrokes, reading the screen with capture-pane.
#
#  1. `nexus-onboard sandbox` at 80x24: the whole onboarding through the form,
#     preflight, plan, run and summary (reveal the key, export the report);
#     then the state file and the keyring entries are checked (secret-tool).
#  2. The support path at 120x40, against `sandbox --serve` with an injected
#     failure: the wizard stops at the failed step; reopened, it shows the
#     step menu on that step; the step is re-run alone, then the rest.
#  3. Ctrl+C while auth-client waits for its answer, then the wizard again:
#     it resumes and finishes with no rotation.
#  4. The sandbox with no D-Bus session and an empty HOME: secrets in memory,
#     said on every screen, and the onboarding finishes.
#  5. `sandbox --accessible`: plain sequential text answered by keys; it ends
#     with the DesignerEnv values and, after exit, the scrollback still holds
#     the preflight and the plan.
#
# Needs tmux, gnome-keyring, dbus and secret-tool (.ci/test installs them);
# PostgreSQL makes register-gws real. It runs in its own keyring session.
# Usage: bash .ci/e2e-tmux.sh   (KEEP=1 keeps the work directory)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

if [ -z "${NEXUS_E2E_SESSION:-}" ]; then
  data=$(mktemp -d)
  status=0
  NEXUS_E2E_SESSION=1 KEYRING_PW=$(head -c 24 /dev/urandom | base64) XDG_DATA_HOME="$data" \
    dbus-run-session -- bash -c \
    'printf %s "$KEYRING_PW" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec bash "$0"' "$0" || status=$?
  rm -rf "$data"
  exit "$status"
fi

work=$(mktemp -d /tmp/nexus-e2e.XXXXXX)
sock="$work/tmux.sock"
T() { tmux -S "$sock" -f /dev/null "$@"; }
cleanup() {
  T kill-server 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

echo "building"
go build -o "$work/nexus-onboard" .
bin="$work/nexus-onboard"

fail() {
  echo "FAIL: $*" >&2
  echo "---- screen ($pane) ----" >&2
  T capture-pane -p -t "$pane" >&2 || true
  exit 1
}

# wait_for TEXT [SECONDS]: until the pane shows TEXT.
wait_for() {
  local text=$1 timeout=${2:-20} i
  for ((i = 0; i < timeout * 10; i++)); do
    if T capture-pane -p -t "$pane" | grep -qF -- "$text"; then
      return 0
    fi
    sleep 0.1
  done
  fail "the screen never showed: $text"
}

# keys K...: send keys one by one, as typed.
keys() {
  local k
  for k in "$@"; do
    T send-keys -t "$pane" "$k"
    sleep 0.05
  done
}

# wait_exit FILE [SECONDS]: the exit status the pane's command wrote.
wait_exit() {
  local file=$1 timeout=${2:-20} i
  for ((i = 0; i < timeout * 10; i++)); do
    if [ -s "$file" ]; then
      cat "$file"
      return 0
    fi
    sleep 0.1
  done
  fail "the program did not exit"
}

# fill_form: the four pages with the pre-filled values, then preflight.
fill_form() {
  wait_for "1 Endpoints"
  keys Enter Enter Enter Enter
  wait_for "GWS ops user"
  keys Enter Enter Enter Enter
  wait_for "listed by"
  keys Enter Enter
  wait_for "Nexus database URL"
  keys Enter Enter Enter
  wait_for "All checks passed" 30
}

cfg_value() { sed -n "s/^$2: *//p" "$1" | tr -d "'\""; }

# check_state DIR CC: every step OK in the state file, no secret in it.
check_state() {
  local file="$1/$2.json" ok
  [ -f "$file" ] || fail "no state file $file"
  ok=$(grep -cE '"status": "(done|already-done|skipped|manual)"' "$file" || true)
  [ "$ok" -eq 9 ] || fail "state file: $ok of 9 steps OK ($file)"
  ! grep -q '"status": "failed"' "$file" || fail "state file has a failed step"
  local secret
  for secret in "${secrets_seen[@]}"; do
    ! grep -qF -- "$secret" "$file" || fail "the state file holds a secret"
  done
  echo "state ok: $file"
}

# check_keyring CC CONFIG: both entries present, read back outside the tool:
# the client secret under the environment's account (auth host, client id),
# the API key under the contact center's.
check_keyring() {
  local auth acct value
  auth=$(cfg_value "$2" auth_url)
  auth=${auth#https://}
  for acct in "$auth/nexus_client/client_secret" "$1/nexus_api_key"; do
    value=$(secret-tool lookup service nexus-onboard username "$acct") || fail "keyring: no $acct"
    [ ${#value} -ge 16 ] || fail "keyring: $acct is too short"
    secrets_seen+=("$value")
  done
  echo "keyring ok: nexus-onboard / $auth/nexus_client/client_secret, $1/nexus_api_key"
}

# ---- 1. the whole onboarding with `nexus-onboard sandbox`, 80x24 -------------
echo "pass 1: nexus-onboard sandbox at 80x24"
pane=one
T new-session -d -s one -x 80 -y 24 \
  "cd '$work' && '$bin' sandbox --dir '$work/sbx'; echo \$? > '$work/exit1'; sleep 600"
fill_form
keys Enter
wait_for "Plan: 8 steps will run, 1 already done"
keys Enter
wait_for "Finished: 8 of 9 done; 1 for you to do by hand" 60
keys Enter
wait_for "8 of 9 steps done for contact center"
cc=$(cfg_value "$work/sbx/nexus-onboard.yaml" cc_id)
secrets_seen=("$(cfg_value "$work/sbx/nexus-onboard.yaml" gws_admin_password)"
  "$(cfg_value "$work/sbx/nexus-onboard.yaml" tenant_password)"
  "$(cfg_value "$work/sbx/nexus-onboard.yaml" ucs_api_key)")
check_keyring "$cc" "$work/sbx/nexus-onboard.yaml"
apikey=$(secret-tool lookup service nexus-onboard username "$cc/nexus_api_key")
T capture-pane -p -t one | grep -qF -- "$apikey" && fail "the summary shows the API key before r"
keys r
wait_for "$apikey"
keys r x
wait_for "The report is in"
report=$(ls "$work/sbx/state"/report-*.md)
for secret in "${secrets_seen[@]}"; do
  ! grep -qF -- "$secret" "$report" || fail "the report holds a secret"
done
keys q
[ "$(wait_exit "$work/exit1")" = 0 ] || fail "exit status $(cat "$work/exit1") after a complete onboarding"
check_state "$work/sbx/state" "$cc"

# ---- 2. the support path, 120x40 ---------------------------------------------
echo "pass 2: injected failure, reopen, step menu, re-run (120x40)"
# The sandbox removed its keyring entries when it stopped: a new sandbox
# (its own contact center and ports) meets none of them.
! secret-tool lookup service nexus-onboard username "$cc/nexus_api_key" >/dev/null || fail "the stopped sandbox left its API key in the keyring"
pane=srv
T new-session -d -s srv -x 120 -y 40 \
  "NEXUS_SANDBOX_FAULTS='POST /nexus/v3/provisioning/tenants 500 x1' '$bin' sandbox --serve --dir '$work/srv'"
wait_for "config:"
cfg="$work/srv/nexus-onboard.yaml"
wizard="cd '$work' && '$bin' --config '$cfg' --state-dir '$work/srv/state'"

pane=two
T new-session -d -s two -x 120 -y 40 "$wizard; echo \$? > '$work/exit2'; sleep 600"
fill_form
keys Enter
wait_for "Plan: 8 steps will run"
keys Enter
wait_for "Stopped at tenant" 60
wait_for "r retry"
keys q
[ "$(wait_exit "$work/exit2")" = 1 ] || fail "exit status $(cat "$work/exit2") after a failed step, want 1"

pane=three
T new-session -d -s three -x 120 -y 40 "$wizard; echo \$? > '$work/exit3'; sleep 600"
wait_for "Step menu"
wait_for "› ✗  tenant"
keys Enter
wait_for "All checks passed" 30
keys Enter
wait_for "Re-run tenant: 2 steps will run"
keys Enter
wait_for "Finished: 2 of 2 done" 60
keys m
wait_for "› ✓  tenant"
keys a
wait_for "All checks passed" 30
keys Enter
wait_for "Plan: "
keys Enter
wait_for "Finished: 8 of 9 done; 1 for you to do by hand" 60
keys Enter
wait_for "8 of 9 steps done for contact center"
keys q
[ "$(wait_exit "$work/exit3")" = 0 ] || fail "exit status $(cat "$work/exit3") after the re-run"
secrets_seen+=("$(cfg_value "$cfg" gws_admin_password)" "$(cfg_value "$cfg" tenant_password)")
cc=$(cfg_value "$cfg" cc_id)
check_keyring "$cc" "$cfg"
check_state "$work/srv/state" "$cc"
# ---- 3. Ctrl+C during auth-client, then start again --------------------------
# The client secret is stored before the POST; the answer never comes (the
# sandbox holds it 8 s, once). Starting the wizard again must finish the
# onboarding with no rotation and no hand-typed command.
echo "pass 3: Ctrl+C while auth-client waits, then start again (80x24)"
pane=srv3
T new-session -d -s srv3 -x 120 -y 40 \
  "NEXUS_SANDBOX_FAULTS='POST /auth/v3/ops/clients latency=8s x1' '$bin' sandbox --serve --dir '$work/srv3'"
wait_for "config:"
cfg3="$work/srv3/nexus-onboard.yaml"
wizard3="cd '$work' && '$bin' --config '$cfg3' --state-dir '$work/srv3/state'"
pane=four
T new-session -d -s four -x 80 -y 24 "$wizard3; echo \$? > '$work/exit4'; sleep 600"
fill_form
keys Enter
wait_for "Plan: 8 steps will run"
keys Enter
wait_for "waiting for the answer" 30
keys C-c
sleep 0.3
keys y
[ "$(wait_exit "$work/exit4")" = 130 ] || fail "exit status $(cat "$work/exit4") after abandoning a running step, want 130"

pane=five
T new-session -d -s five -x 80 -y 24 "$wizard3; echo \$? > '$work/exit5'; sleep 600"
wait_for "Step menu"
keys a
wait_for "All checks passed" 30
T capture-pane -p -t five | grep -qF -- "rotate" && fail "preflight after an interrupted auth-client asks for a rotation"
keys Enter
wait_for "Plan: "
keys Enter
wait_for "Finished: 8 of 9 done; 1 for you to do by hand" 60
keys Enter
wait_for "8 of 9 steps done for contact center"
keys q
[ "$(wait_exit "$work/exit5")" = 0 ] || fail "exit status $(cat "$work/exit5") after resuming"
cc=$(cfg_value "$cfg3" cc_id)
secrets_seen+=("$(cfg_value "$cfg3" gws_admin_password)" "$(cfg_value "$cfg3" tenant_password)")
check_keyring "$cc" "$cfg3"
check_state "$work/srv3/state" "$cc"
# ---- 4. the README's first command on a bare machine ---------------------------
# No D-Bus session, no keyring, an empty HOME: the sandbox keeps its secrets
# in memory, says so on every screen, and the onboarding still finishes by
# keyboard alone at 80x24.
echo "pass 4: sandbox with no D-Bus session and an empty HOME (80x24)"
bare=$(mktemp -d "$work/home.XXXXXX")
pane=six
T new-session -d -s six -x 80 -y 24 \
  "cd '$work' && env -i HOME='$bare' PATH=/usr/local/go/bin:/usr/bin:/bin TERM=xterm-256color '$bin' sandbox; echo \$? > '$work/exit6'; sleep 600"
wait_for "secrets in memory"
fill_form
keys Enter
wait_for "Plan: 8 steps will run"
keys Enter
wait_for "Finished: 8 of 9 done; 1 for you to do by hand" 60
keys Enter
wait_for "8 of 9 steps done for contact center"
wait_for "secrets in memory"
keys q
[ "$(wait_exit "$work/exit6")" = 0 ] || fail "exit status $(cat "$work/exit6") after the bare-machine onboarding"
# ---- 5. accessible mode: plain text, kept in the scrollback -------------------
# `sandbox --accessible` is plain sequential text end to end (a screen reader
# reads it top to bottom): answered by keys, it ends with the DesignerEnv
# values, and once it exits the scrollback still holds every screen.
echo "pass 5: nexus-onboard sandbox --accessible at 80x24"
pane=seven
T new-session -d -s seven -x 80 -y 24 \
  "cd '$work' && '$bin' sandbox --accessible --dir '$work/acc'; echo \$? > '$work/exit7'; sleep 600"
for prompt in "GWS URL:" "Auth URL:" "Digital Channels URL:" "Enter a number between 1 and 2:" \
  "GWS ops user:" "GWS ops password:" "Tenant user:" "Tenant user password:" "enter the number 1:" \
  "Tenant name:" "Nexus database URL:" "UCS URL:" "UCS provisioning API key:"; do
  wait_for "$prompt" 30
  keys Enter
done
wait_for "Run these 9 steps? (yes/no)" 30
keys y e s Enter
wait_for "Reveal the Nexus API key? (yes/no)" 60
wait_for "  baseurl: /nexus/v1"
wait_for "  url: /nexus/v3"
cc=$(cfg_value "$work/acc/nexus-onboard.yaml" cc_id)
apikey=$(secret-tool lookup service nexus-onboard username "$cc/nexus_api_key") || fail "accessible: no API key in the keyring"
keys n o Enter
[ "$(wait_exit "$work/exit7")" = 0 ] || fail "exit status $(cat "$work/exit7") after the accessible onboarding"
scrollback=$(T capture-pane -p -t seven -S -200)
for text in "== Preflight ==" "ok: Auth URL reachable" "All checks passed" "== Plan ==" "Plan: 8 steps will run" \
  "Run these 9 steps? (yes/no) yes" "Step 8 of 9: Provision the tenant (tenant)... done" "== Summary ==" \
  "  baseurl: /nexus/v1" "  password: (hidden" "  url: /nexus/v3" "Reveal the Nexus API key? (yes/no) no"; do
  grep -qF -- "$text" <<<"$scrollback" || fail "accessible: after exit the scrollback lacks: $text"
done
! grep -qF -- "$apikey" <<<"$scrollback" || fail "accessible: the API key was shown though the answer was no"
echo "accessible ok: every screen in the scrollback, ends with DesignerEnv"
echo "e2e ok"
