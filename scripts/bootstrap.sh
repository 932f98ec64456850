#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian/Ubuntu machine:
# uv and the Python environment, and (as root) the real servers the tests start:
# Dovecot, Syncthing, faketime, PostgreSQL (for the real Odoo 18), Chromium (renders vault files
# as a browser would), and pinned Node tools (MCP Inspector, the reference filesystem
# server, PM2). Idempotent: run it as often as you like.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1mbootstrap:\033[0m %s\n' "$*" >&2; }

# PATH's uv, else the one pip put in ~/.local/bin: devstack/find_uv.py is the one place that
# knows (the benchmarks and tests ask it too)
if ! uv="$(python3 -I devstack/find_uv.py 2>/dev/null)"; then
    log "installing uv"
    python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
    uv="$(python3 -I devstack/find_uv.py)" || { log "uv was installed but is not found"; exit 1; }
fi
log "python environment (uv sync)"
"$uv" sync --quiet --frozen 2>/dev/null || "$uv" sync --quiet

need_apt=()
[ -x /usr/sbin/dovecot ] || need_apt+=(dovecot-imapd)
command -v syncthing >/dev/null 2>&1 || need_apt+=(syncthing)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
command -v faketime >/dev/null 2>&1 || need_apt+=(faketime)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need_apt+=(postgresql)  # real Odoo 18
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)  # renders vault files as a browser would
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        log "installing Debian packages: ${need_apt[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq "${need_apt[@]}" >/dev/null
    else
        log "NOT installing ${need_apt[*]} (not root): tests that need them will say so"
    fi
fi

NODE_TOOLS=(
    "@modelcontextprotocol/inspector@0.15.0"
    "@modelcontextprotocol/server-filesystem@2026.8.31"
    "pm2@7.0.4"
    "@anthropic-ai/claude-code@2.1.331"
)
if command -v npm >/dev/null 2>&1; then
    stamp=".tools/.installed"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${NODE_TOOLS[*]}" ]; then
        log "installing Node tools: ${NODE_TOOLS[*]}"
        mkdir -p .tools
        npm install --silent --no-audit --no-fund --prefix .tools "${NODE_TOOLS[@]}" >/dev/null
        echo "${NODE_TOOLS[*]}" > "$stamp"
    fi
else
    log "npm not found: the Inspector, filesystem-server and PM2 tests will say so"
fi
log "ready"
