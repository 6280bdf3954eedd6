#!/usr/bin/env bash
# Run a Makker command (`flask --app wsgi ...`) the way the services run: from this release, with the
# production environment, as the service user. For operators, from any directory:
#   /opt/makker/deploy/manage.sh db upgrade heads
#   /opt/makker/deploy/manage.sh users create anna --name "Anna Jensen" --role staff --unit "Jobcenter Nord"
#   /opt/makker/deploy/manage.sh purge --dry-run
#
# The env file (MAKKER_ENV_FILE, default /etc/makker/makker.env) is read as data, never executed:
# KEY=value lines, values may contain & < > and spaces. Run as root, the command runs as MAKKER_USER
# (default makker), so files it creates in /var/lib/makker belong to the services.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd -P)"
ENV_FILE="${MAKKER_ENV_FILE:-/etc/makker/makker.env}"
APP_USER="${MAKKER_USER:-makker}"

if [[ $# -eq 0 || "$1" == -h || "$1" == --help ]]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
[[ -r "$ENV_FILE" ]] || { echo "manage.sh: cannot read $ENV_FILE (set MAKKER_ENV_FILE)" >&2; exit 2; }

while IFS= read -r line || [[ -n "$line" ]]; do
  [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
  [[ "$line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
  value="${BASH_REMATCH[2]}"
  value="${value%\"}"; value="${value#\"}"; value="${value%\'}"; value="${value#\'}"
  export "${BASH_REMATCH[1]}=$value"
done < "$ENV_FILE"

cd "$ROOT"
if [[ "$(id -u)" == 0 ]] && id "$APP_USER" >/dev/null 2>&1; then
  exec runuser -u "$APP_USER" -- "$ROOT/.venv/bin/flask" --app wsgi "$@"
fi
exec "$ROOT/.venv/bin/flask" --app wsgi "$@"
