#!/usr/bin/env bash
# Bootstrap a fresh Debian/Ubuntu VM as the AI Employee's cloud machine. Idempotent:
# every step checks before it acts, so running it again repairs and changes nothing else.
#
#   sudo AIE_REPO=https://your.git/ai-employee.git bash deployment/cloud/setup.sh
#
# What it does: a service user `aie`; Python, Node, Syncthing and uv; the code in
# /opt/ai-employee with its virtual environment; the vault in /home/aie/Vault; PM2 with
# the cloud ecosystem, started at boot. Secrets go in /opt/ai-employee/.env (mode 600),
# which you fill in from .env.example: this script never writes a secret.
set -euo pipefail

AIE_USER=${AIE_USER:-aie}
AIE_HOME=${AIE_HOME:-/opt/ai-employee}
AIE_VAULT=${AIE_VAULT:-/home/$AIE_USER/Vault}
DRY_RUN=${DRY_RUN:-0}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { if [ "$DRY_RUN" = 1 ]; then echo "+ $*"; else "$@"; fi; }
as_user() { run sudo -u "$AIE_USER" -H bash -lc "$*"; }

[ "$(id -u)" = 0 ] || [ "$DRY_RUN" = 1 ] || { echo "run as root (sudo)" >&2; exit 1; }

step "packages: python3, node, syncthing, git"
need=()
for pkg in python3 python3-venv python3-pip git curl nodejs npm syncthing; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

step "service user $AIE_USER"
id "$AIE_USER" >/dev/null 2>&1 || run useradd --create-home --shell /bin/bash "$AIE_USER"

step "code in $AIE_HOME"
if [ ! -d "$AIE_HOME/.git" ]; then
    if [ -n "${AIE_REPO:-}" ]; then
        run git clone "$AIE_REPO" "$AIE_HOME"
    else
        src="$(cd "$(dirname "$0")/../.." && pwd)"
        run mkdir -p "$AIE_HOME"
        run bash -c "git -C '$src' archive HEAD | tar -x -C '$AIE_HOME'"  # no .venv, no .env
    fi
fi
run chown -R "$AIE_USER:$AIE_USER" "$AIE_HOME"

step "uv and the virtual environment"
as_user "command -v uv >/dev/null || python3 -m pip install --user --quiet uv"
as_user "cd $AIE_HOME && ~/.local/bin/uv sync --frozen --no-dev --quiet"

step "PM2"
command -v pm2 >/dev/null 2>&1 || run npm install --global --silent pm2@7.0.4

step "the vault at $AIE_VAULT"
as_user "$AIE_HOME/.venv/bin/ai-employee vault init $AIE_VAULT"

step "settings: $AIE_HOME/.env"
if [ ! -f "$AIE_HOME/.env" ]; then
    run install -m 600 -o "$AIE_USER" -g "$AIE_USER" "$AIE_HOME/.env.example" "$AIE_HOME/.env"
    run sed -i "s|^AIE_ROLE=.*|AIE_ROLE=cloud|; s|^AIE_VAULT=.*|AIE_VAULT=$AIE_VAULT|" \
        "$AIE_HOME/.env"
    echo "Fill in $AIE_HOME/.env (IMAP read account, Odoo draft user), then run this again."
fi

step "Syncthing for $AIE_USER (started at boot by systemd)"
run systemctl enable --now "syncthing@$AIE_USER.service"

step "Syncthing: the vault folder shared with the laptop"
if grep -q '^SYNCTHING_LOCAL_DEVICE_ID=[A-Z2-7]' "$AIE_HOME/.env" 2>/dev/null; then
    as_user "cd $AIE_HOME && .venv/bin/ai-employee sync config cloud --home /home/$AIE_USER/.config/syncthing"
else
    echo "Set SYNCTHING_CLOUD_DEVICE_ID and SYNCTHING_LOCAL_DEVICE_ID in $AIE_HOME/.env, then run this again."
fi

step "PM2 ecosystem, started at boot"
as_user "cd $AIE_HOME && pm2 startOrReload deployment/cloud/ecosystem.config.js && pm2 save"
run env PATH="$PATH" pm2 startup systemd -u "$AIE_USER" --hp "/home/$AIE_USER" >/dev/null

step "done"
echo "Device id for the laptop's Syncthing: sudo -u $AIE_USER syncthing --device-id"
echo "Status: sudo -u $AIE_USER $AIE_HOME/.venv/bin/ai-employee status --vault $AIE_VAULT"
