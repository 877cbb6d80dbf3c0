# Shared by scripts/run (one server of each kind) and scripts/run-scale (several behind nginx):
# the settings every process needs, and starting, waiting for and stopping the processes.
# Sourced from the project root by a script running with `set -euo pipefail`.

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# Rasa 3.6 uses SQLAlchemy 1.4's legacy API; its "2.0 uber warning" is about Rasa's code, not ours.
export SQLALCHEMY_SILENCE_UBER_WARNING=1
# No usage telemetry or crash reports leave the machine.
export RASA_TELEMETRY_ENABLED=false

# Human handoff: the agent console sends replies through Rasa's HTTP API, which is on only
# with this token. Without configured agents, one is made up for this run, and so is an
# operator's API key for the analytics page and the user-data API (print_staff_pages). The action
# servers answer only Rasa, which sends them BOT_ACTION_TOKEN (endpoints.yml): made up if unset.
new_secret() { .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))'; }
agent_token=""
api_key=""
make_up_secrets() {
  export BOT_RASA_TOKEN="${BOT_RASA_TOKEN:-$(new_secret)}"
  export BOT_ACTION_TOKEN="${BOT_ACTION_TOKEN:-$(new_secret)}"
  if [ -z "${BOT_AGENT_TOKENS:-}" ]; then
    agent_token=$(new_secret)
    export BOT_AGENT_TOKENS="agent:$agent_token"
  fi
  if [ -z "${BOT_API_KEY:-}" ]; then
    api_key=$(new_secret)
    export BOT_API_KEY="$api_key"
  fi
}

pids=()  # every process started here; stop() ends them
stop() {
  trap - INT TERM HUP EXIT
  # Signal first: writing may end this script (Ctrl-C also ends a pipe's reader, e.g. `| tee`).
  [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
  echo
  if [ ${#pids[@]} -gt 0 ]; then
    echo "Stopping..."
    # A Rasa server still loading its model ignores the request until it is loaded: 20 s, then forced.
    for _ in $(seq 1 40); do
      kill -0 "${pids[@]}" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
stop_all_on_exit() {
  trap 'stop; exit 0' INT TERM HUP  # Ctrl-C, or the terminal closed: a clean stop
  trap stop EXIT                     # any other exit: never leave a process behind
}

# Each server runs in a process group of its own (`set -m` while it starts), so that Ctrl-C at
# the terminal reaches this script only, and stop() sends each server one signal: a clean stop.
# Sanic's worker manager took a second one (Ctrl-C's SIGINT, then stop()'s SIGTERM) for "kill
# now": SIGKILL to its whole process group, which in this script's group included `make`.
start_server() {  # log command...
  local log=$1
  shift
  : >"$log"
  set -m
  "$@" </dev/null >>"$log" 2>&1 &
  pids+=($!)
  set +m
}

start_actions() {  # port log
  start_server "$2" .venv/bin/python -m actions.server --port "$1"
}

start_rasa() {  # model interface port endpoints-file log
  local shops=${BOT_ALLOWED_ORIGINS:-}  # the shops' pages that embed the widget talk to Rasa too
  start_server "$5" env PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" \
    .venv-rasa/bin/rasa run --model "$1" --port "$3" --interface "$2" \
    --credentials credentials.yml --endpoints "$4" \
    --enable-api --auth-token="$BOT_RASA_TOKEN" \
    --cors "http://localhost:$WEB_PORT" "http://127.0.0.1:$WEB_PORT" ${shops//,/ }
}

start_web() {  # log
  start_server "$1" .venv/bin/bot web --host "$HOST" --port "$WEB_PORT"
}

# The demo shop on its own origin, embedding the widget (demo_shop/): its site key, the secret its
# signed-in customers' tokens are signed with (the web app and Rasa check them), and its origin,
# whose pages may call the bot. Made up for this run where unset.
set_up_shop() {  # port
  export BOT_SITE_KEY="${BOT_SITE_KEY:-$(new_secret)}"
  export BOT_USER_TOKEN_SECRET="${BOT_USER_TOKEN_SECRET:-$(new_secret)$(new_secret)}"
  export BOT_ALLOWED_ORIGINS="${BOT_ALLOWED_ORIGINS:+$BOT_ALLOWED_ORIGINS,}http://localhost:$1,http://127.0.0.1:$1"
}
start_shop() {  # port log
  start_server "$2" env SHOP_BOT_URL="http://localhost:$WEB_PORT" SHOP_BOT_API_URL="http://127.0.0.1:$WEB_PORT" \
    .venv/bin/python -m demo_shop --host "$HOST" --port "$1"
}

wait_for() {  # name url log [minutes, default 2]
  local minutes=${4:-2}
  for _ in $(seq 1 $((minutes * 120))); do
    curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "error: the $1 stopped; see $3:"; tail -20 "$3"; exit 1; }
    done
    sleep 0.5
  done
  echo "error: the $1 did not start in $minutes minutes; see $3"; exit 1
}

print_staff_pages() {
  if [ -n "$agent_token" ]; then
    echo "  Agent console:      http://localhost:$WEB_PORT/agent  (token for this run: $agent_token)"
  else
    echo "  Agent console:      http://localhost:$WEB_PORT/agent  (sign in with a token from BOT_AGENT_TOKENS)"
  fi
  if [ -n "$api_key" ]; then
    echo "  Analytics:          http://localhost:$WEB_PORT/analytics  (API key for this run: $api_key)"
  else
    echo "  Analytics:          http://localhost:$WEB_PORT/analytics  (sign in with BOT_API_KEY)"
  fi
}

run_until_one_stops() {  # log-dir
  echo "  Press Ctrl-C to stop."
  wait -n "${pids[@]}" || true
  echo "A service stopped unexpectedly; see $1/."
  exit 1
}

render_template() {  # template NAME...: the template with each ${NAME} replaced by that variable's value
  local template=$1 text name
  text=$(<"$template")
  shift
  for name in "$@"; do
    [ -n "${!name+set}" ] || { echo "error: $name is not set for $template" >&2; return 1; }
    text=${text//"\${$name}"/"${!name}"}
  done
  if [[ $text =~ \$\{[A-Z_]+\} ]]; then
    echo "error: $template needs ${BASH_REMATCH[0]}" >&2
    return 1
  fi
  printf '%s\n' "$text"
}
