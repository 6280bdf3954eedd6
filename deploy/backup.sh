#!/usr/bin/env bash
# Back up Makker's PostgreSQL database: one pg_dump in custom format per run, named by UTC time,
# keeping the newest N. Prints the path of the new backup. Run daily from cron or a systemd timer:
#   deploy/backup.sh                         # settings from the environment or /etc/makker/makker.env
#   deploy/backup.sh --dir /srv/backup --keep 30
#
# Settings (command line > environment > env file): MAKKER_DATABASE_URL, MAKKER_BACKUP_DIR
# (default /var/backups/makker), MAKKER_BACKUP_KEEP (default 14), MAKKER_ENV_FILE (default
# /etc/makker/makker.env; read, never executed).
#
# What a backup does NOT contain: MAKKER_SECRET_KEY and MAKKER_VAPID_PRIVATE_KEY (they live in the env
# file / your secret store). Keep them safe separately: docs/operations.md, "Backups".
set -euo pipefail
umask 077

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

ENV_FILE="${MAKKER_ENV_FILE:-/etc/makker/makker.env}"
DIR="" KEEP=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --env) ENV_FILE="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    --keep) KEEP="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "backup.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done

# A value from the environment, else from the env file (KEY=value lines; one pair of quotes removed).
setting() {
  local key="$1" default="${2:-}" value="${!1:-}"
  if [[ -z "$value" && -r "$ENV_FILE" ]]; then
    value="$(sed -n "s/^[[:space:]]*${key}=//p" "$ENV_FILE" | tail -n 1)"
    value="${value%\"}"; value="${value#\"}"; value="${value%\'}"; value="${value#\'}"
  fi
  printf '%s' "${value:-$default}"
}

URL="$(setting MAKKER_DATABASE_URL)"
DIR="${DIR:-$(setting MAKKER_BACKUP_DIR /var/backups/makker)}"
KEEP="${KEEP:-$(setting MAKKER_BACKUP_KEEP 14)}"
if [[ "$URL" != postgresql* ]]; then
  echo "backup.sh: MAKKER_DATABASE_URL must be a PostgreSQL URL (got '${URL%%:*}')" >&2
  exit 2
fi
if ! [[ "$KEEP" =~ ^[1-9][0-9]*$ ]]; then
  echo "backup.sh: --keep must be a positive number" >&2
  exit 2
fi
# SQLAlchemy's driver suffix means nothing to libpq.
URL="${URL/postgresql+psycopg:\/\//postgresql://}"

mkdir -p "$DIR"
file="$DIR/makker-$(date -u +%Y%m%dT%H%M%SZ).dump"
while [[ -e "$file" ]]; do   # a second backup within the same second: names must stay unique and sorted
  sleep 1
  file="$DIR/makker-$(date -u +%Y%m%dT%H%M%SZ).dump"
done
partial="$file.partial"
trap 'rm -f "$partial"' EXIT

# Custom format: compressed, restorable table by table, and consistent (one snapshot) while the app
# keeps running. Written under another name first, so an interrupted dump is never kept as a backup.
pg_dump --format=custom --compress=6 --file="$partial" --dbname="$URL"
pg_restore --list "$partial" >/dev/null   # readable, not truncated
mv "$partial" "$file"
trap - EXIT

# Retention: the newest $KEEP backups stay (names sort by time).
mapfile -t backups < <(find "$DIR" -maxdepth 1 -type f -name 'makker-*.dump' -printf '%f\n' | sort)
excess=$(( ${#backups[@]} - KEEP ))
for (( i = 0; i < excess; i++ )); do
  rm -f -- "$DIR/${backups[$i]}"
done

echo "$file"
