#!/usr/bin/env bash
# Runs the WebDriver example (pay.mjs) in a throwaway desktop session: its own
# home and XDG folders, virtual display (xvfb-run), session bus
# (dbus-run-session), keyring (gnome-keyring, when installed) and tauri-driver on a
# free port. Nothing of the person's own desktop or data is touched, and
# everything started here is stopped at the end.
#
#   CONSENT_DESK_BIN=/usr/bin/consent-desk tests/qa-example/run.sh
#   CONSENT_DESK_BIN=/var/tmp/consent-desk-target/debug/consent-desk tests/qa-example/run.sh
#
# QA_EXAMPLE_OUT names the folder for screenshots (default: a new temp folder,
# printed at the end and kept).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fail() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# Finds a program or says which Debian package has it.
need() { # program package
  command -v "$1" >/dev/null || fail "$1 is missing; install the Debian package $2 (\`npm test\` installs it)"
}

if [ "${1:-}" != --inside ]; then
  export CONSENT_DESK_BIN=${CONSENT_DESK_BIN:-/usr/bin/consent-desk}
  # Absolute: tauri-driver resolves it, not this shell.
  case $CONSENT_DESK_BIN in /*) ;; *) CONSENT_DESK_BIN=$PWD/$CONSENT_DESK_BIN ;; esac
  [ -x "$CONSENT_DESK_BIN" ] || fail "no app at $CONSENT_DESK_BIN: install the .deb, or set CONSENT_DESK_BIN to a build (e.g. target/debug/consent-desk)"
  need node nodejs
  need dbus-run-session dbus
  need xvfb-run xvfb
  need xauth xauth
  need WebKitWebDriver webkit2gtk-driver
  # Resolved now: the session below has a home of its own.
  TAURI_DRIVER=$(command -v tauri-driver || true)
  [ -n "$TAURI_DRIVER" ] || TAURI_DRIVER="${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver"
  [ -x "$TAURI_DRIVER" ] || fail "tauri-driver is missing; install it with \`cargo install tauri-driver --version '^2' --locked\` (\`npm test\` does)"
  export TAURI_DRIVER

  QA_EXAMPLE_WORK=$(mktemp -d "${TMPDIR:-/tmp}/consent-desk-qa.XXXXXX")
  export QA_EXAMPLE_WORK
  trap 'rm -rf "$QA_EXAMPLE_WORK"' EXIT
  trap 'exit 130' INT TERM
  export QA_EXAMPLE_OUT=${QA_EXAMPLE_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/consent-desk-qa-screenshots.XXXXXX")}
  mkdir -p "$QA_EXAMPLE_OUT"

  # The display first, so services the bus starts (portals, accessibility) find it.
  # A 24-bit screen as large as the harness's. The bus and the services it
  # starts chatter on stdout and stderr: that goes to a log, shown on failure;
  # this script's own output travels as fds 3 and 4.
  status=0
  xvfb-run -a -s "-screen 0 1280x900x24 -nolisten tcp" dbus-run-session -- "$BASH" "$here/run.sh" --inside \
    3>&2 4>&1 >"$QA_EXAMPLE_WORK/session.log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "--- session bus and display log (last 20 lines) ---" >&2
    tail -n 20 "$QA_EXAMPLE_WORK/session.log" >&2
  fi
  echo "screenshots: $QA_EXAMPLE_OUT"
  exit "$status"
fi

# --- inside the virtual display and the session bus ---
exec 1>&4 2>&3 3>&- 4>&-

work=$QA_EXAMPLE_WORK
mkdir -p "$work"/{home,data,config,cache,state}
install -d -m 700 "$work/run"
export HOME=$work/home XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache \
  XDG_STATE_HOME=$work/state XDG_RUNTIME_DIR=$work/run
# No accessibility bus in a bare session; without this GTK warns on every start.
export NO_AT_BRIDGE=1

pids=()
cleanup() {
  local pid
  # Each was started in a process group of its own (setsid): the group takes
  # the driver's WebKitWebDriver and the app with it, if still running.
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
# An interrupt or kill ends through the EXIT trap too.
trap 'exit 130' INT TERM

# Polls a command until it succeeds, for at most $1 seconds.
poll() { # seconds command...
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# A real Secret Service, unlocked, so the sandbox key is kept as on a desktop.
# Without it the app keeps the key in memory and says so; the example works either way.
if command -v gnome-keyring-daemon >/dev/null && command -v gdbus >/dev/null; then
  printf 'qa-example' | setsid gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
  pids+=($!)
  keyring_up() {
    gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
      --method org.freedesktop.DBus.NameHasOwner org.freedesktop.secrets 2>/dev/null | grep -q true
  }
  poll 10 keyring_up || fail "gnome-keyring did not start on the session bus within 10 s"
  echo "keyring: gnome-keyring on the session bus"
else
  echo "keyring: none (gnome-keyring or gdbus missing); the app keeps the sandbox key in memory"
fi

free_port() {
  node -e "const s = require('net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });"
}
port=$(free_port)
native_port=$(free_port)
setsid "$TAURI_DRIVER" --port "$port" --native-port "$native_port" >"$work/tauri-driver.log" 2>&1 &
driver=$!
pids+=("$driver")
listening() {
  kill -0 "$driver" 2>/dev/null || fail "tauri-driver exited at start: $(cat "$work/tauri-driver.log")"
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}
poll 10 listening || fail "tauri-driver did not listen on port $port within 10 s: $(cat "$work/tauri-driver.log")"
echo "tauri-driver: 127.0.0.1:$port (native $native_port), display $DISPLAY"

status=0
WEBDRIVER_URL="http://127.0.0.1:$port" node "$here/pay.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- tauri-driver and app log (last 40 lines) ---" >&2
  tail -n 40 "$work/tauri-driver.log" >&2
fi
exit "$status"
