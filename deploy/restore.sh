#!/usr/bin/env bash
# Restore a Makker backup (deploy/backup.sh) into a PostgreSQL database, then bring its schema up to
# this version's migrations. Restore into a NEW database, check it, then point MAKKER_DATABASE_URL at
# it (docs/operations.md, "Restore"):
#   deploy/restore.sh --create /var/backups/makker/makker-20261126T020000Z.dump \
#       postgresql://makker:...@db.internal:5432/makker_restored
# Without a target URL it restores into MAKKER_DATABASE_URL itself, which needs --yes.
#
# Options: --create (create the target database first); --yes (allow a target that already has
# tables, the live database included: everything in its schema "public" is dropped first; stop every
# web and watchdog process using it); --env FILE (default /etc/makker/makker.env; read, never executed).
#
# The keys are not in the backup: run the app with the SAME MAKKER_SECRET_KEY and
# MAKKER_VAPID_PRIVATE_KEY as before, or everyone is signed out and every phone must subscribe to push
# again.
set -euo pipefail
umask 077
cd "$(dirname "$0")/.."

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

ENV_FILE="${MAKKER_ENV_FILE:-/etc/makker/makker.env}"
CREATE=0 YES=0 DUMP="" TARGET=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --create) CREATE=1; shift ;;
    --yes) YES=1; shift ;;
    --env) ENV_FILE="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) echo "restore.sh: unknown option $1" >&2; usage 2 ;;
    *) if [[ -z "$DUMP" ]]; then DUMP="$1"; elif [[ -z "$TARGET" ]]; then TARGET="$1"; else usage 2; fi; shift ;;
  esac
done
[[ -n "$DUMP" ]] || usage 2
[[ -r "$DUMP" ]] || { echo "restore.sh: cannot read $DUMP" >&2; exit 2; }

setting() {
  local key="$1" value="${!1:-}"
  if [[ -z "$value" && -r "$ENV_FILE" ]]; then
    value="$(sed -n "s/^[[:space:]]*${key}=//p" "$ENV_FILE" | tail -n 1)"
    value="${value%\"}"; value="${value#\"}"; value="${value%\'}"; value="${value#\'}"
  fi
  printf '%s' "$value"
}

LIVE="$(setting MAKKER_DATABASE_URL)"
if [[ -z "$TARGET" ]]; then
  TARGET="$LIVE"
  if [[ "$YES" != 1 ]]; then
    echo "restore.sh: no target given: this would overwrite the live database MAKKER_DATABASE_URL." >&2
    echo "Restore into a new database instead, or add --yes (stop every web and watchdog process first)." >&2
    exit 2
  fi
fi
if [[ "$TARGET" != postgresql* ]]; then
  echo "restore.sh: the target must be a PostgreSQL URL" >&2
  exit 2
fi
PG_URL="${TARGET/postgresql+psycopg:\/\//postgresql://}"
APP_URL="${PG_URL/postgresql:\/\//postgresql+psycopg://}"

if [[ "$CREATE" == 1 ]]; then
  # Same server, maintenance database "postgres": postgresql://user@host:port/<name>?opts
  base="${PG_URL%%\?*}"
  query=""
  [[ "$PG_URL" == *\?* ]] && query="?${PG_URL#*\?}"
  name="${base##*/}"
  createdb --maintenance-db="${base%/*}/postgres$query" "$name"
  echo "created database $name"
fi

# A database that already has tables (an earlier restore, the live one): tables a newer version
# added would survive --clean and break the migrations below, so the schema is emptied first.
tables="$(psql --no-psqlrc --quiet --tuples-only --no-align --dbname="$PG_URL" \
  --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
if [[ "$tables" != 0 ]]; then
  if [[ "$YES" != 1 ]]; then
    echo "restore.sh: the target database already has $tables tables; add --yes to replace them." >&2
    exit 2
  fi
  psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --single-transaction --dbname="$PG_URL" \
    --command="SET client_min_messages = warning" --command="DROP SCHEMA public CASCADE" \
    --command="CREATE SCHEMA public"
  echo "emptied the target database ($tables tables dropped)"
fi

# One transaction: either the whole backup is in, or nothing changed. --clean --if-exists drops what
# the backup contains first (harmless on an empty database); --no-owner makes the restoring
# user the owner of everything (the backup may come from a server with other role names).
pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
  --dbname="$PG_URL" "$DUMP"
echo "restored $DUMP"

# A backup from an older version: bring the schema up to this code's migrations.
FLASK="${FLASK:-.venv/bin/flask}"
MAKKER_DATABASE_URL="$APP_URL" "$FLASK" --app wsgi db upgrade heads
echo "schema upgraded to this version's migrations"

cat <<'MSG'
Done. Before pointing the app at this database:
- use the SAME MAKKER_SECRET_KEY and MAKKER_VAPID_PRIVATE_KEY as the installation the backup came
  from (they are not in the backup): another secret key signs everyone out; another VAPID key makes
  every phone's push subscription useless until it subscribes again;
- visits that were active in the backup and have ended since will raise overdue alerts as soon as a
  watchdog runs: tell the units, so buddies know why.
MSG
