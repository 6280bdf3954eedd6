#!/usr/bin/env bash
# Upgrade Makker on this host with migrations and without losing an alert (docs/operations.md,
# "Upgrade"). Run as root on each host, one host after the other:
#   deploy/upgrade.sh /opt/makker-releases/2026-12-01     # new release, prepared beforehand
#   deploy/upgrade.sh                                     # same directory, code already updated
#   deploy/upgrade.sh --migrate-only                      # step 1 only (Procfile, other managers)
#
# 1. Migrations (`flask db upgrade heads`) with the NEW code while the old web and watchdog processes
#    keep running. Makker's migrations only add (expand now, remove in a later release), so the old
#    code works on the new schema. Running them again on the next host is a no-op.
# 2. /opt/makker (a symlink) is pointed at the new release.
# 3. The watchdogs on this host are restarted ONE AT A TIME: SIGTERM makes a watchdog finish the batch
#    in hand and exit; the others keep firing meanwhile; the next one is restarted only when the
#    previous one runs again (it logged "watchdog ... running" and stayed up for 5 s). Everything due is in the database, so nothing is lost, only delayed.
# 4. The web processes are restarted (nginx sends requests to the other web hosts meanwhile).
#
# Settings (environment): MAKKER_APP_DIR (/opt/makker), MAKKER_ENV_FILE (/etc/makker/makker.env),
# MAKKER_USER (makker), MAKKER_MIGRATION_LOCK_TIMEOUT (10s).
set -euo pipefail

APP_DIR="${MAKKER_APP_DIR:-/opt/makker}"
ENV_FILE="${MAKKER_ENV_FILE:-/etc/makker/makker.env}"
LOCK_TIMEOUT="${MAKKER_MIGRATION_LOCK_TIMEOUT:-10s}"
MIGRATE_ONLY=0 RELEASE=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --migrate-only) MIGRATE_ONLY=1; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "upgrade.sh: unknown option $1" >&2; exit 2 ;;
    *) RELEASE="$1"; shift ;;
  esac
done

say() { printf '%s upgrade: %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { say "$*" >&2; exit 1; }

NEW="${RELEASE:-$APP_DIR}"
NEW="$(cd "$NEW" && pwd -P)"
[[ -x "$NEW/.venv/bin/flask" && -x "$NEW/deploy/manage.sh" ]] || die "$NEW is not a Makker release with its .venv"
[[ -r "$ENV_FILE" ]] || die "cannot read $ENV_FILE"
export MAKKER_ENV_FILE="$ENV_FILE"
if [[ "$MIGRATE_ONLY" == 0 ]] && ! systemctl show --property=Version >/dev/null 2>&1; then
  die "steps 2-4 need systemd; elsewhere run with --migrate-only, then restart the processes as docs/operations.md says"
fi

# Every flask command runs through the new release's deploy/manage.sh: the env file read as data,
# as the service user.
flask_new() { "$NEW/deploy/manage.sh" "$@"; }

# --- 1. migrations, old processes still running ------------------------------------------------
say "migrating to the newest revisions (alembic lists each step it runs; none: already there)"
# A migration never waits long behind a running transaction (which would block the watchdogs queued
# behind it): it gives up after $LOCK_TIMEOUT and is tried again. PostgreSQL runs it in one transaction.
export PGOPTIONS="-c lock_timeout=$LOCK_TIMEOUT"
for attempt in 1 2 3 4 5; do
  if flask_new db upgrade heads; then
    break
  fi
  [[ "$attempt" == 5 ]] && die "migration failed 5 times; the old version keeps running unchanged"
  say "migration did not get its locks; again in 5 s"
  sleep 5
done
unset PGOPTIONS
say "database migrated"
if [[ "$MIGRATE_ONLY" == 1 ]]; then
  say "migrations done; now restart the watchdogs one at a time, then the web processes"
  exit 0
fi

# --- 2. switch the code -------------------------------------------------------------------------
if [[ -n "$RELEASE" && "$(readlink -f "$APP_DIR")" != "$NEW" ]]; then
  ln -sfn "$NEW" "$APP_DIR.new"
  mv -T "$APP_DIR.new" "$APP_DIR"   # atomic
  say "$APP_DIR -> $NEW"
fi

# --- 3. watchdogs, one at a time ----------------------------------------------------------------
wait_running() {   # the unit is active and has not restarted for 5 s
  local unit="$1" deadline=$((SECONDS + 60)) pid
  while (( SECONDS < deadline )); do
    if [[ "$(systemctl show -p ActiveState --value "$unit")" == active ]]; then
      pid="$(systemctl show -p MainPID --value "$unit")"
      sleep 5
      if [[ "$(systemctl show -p MainPID --value "$unit")" == "$pid" && "$pid" != 0 ]]; then
        return 0
      fi
    fi
    sleep 1
  done
  return 1
}

mapfile -t watchdogs < <(systemctl list-units --type=service --state=active --plain --no-legend \
  'makker-watchdog@*.service' | awk '{print $1}')
if (( ${#watchdogs[@]} == 0 )); then
  say "no watchdog runs on this host"
elif (( ${#watchdogs[@]} == 1 )); then
  say "only ONE watchdog on this host: while it restarts, due alerts wait for it (or another host's)"
fi
watchdog_ticking() {   # the new process logged "watchdog <name> running" and is still up
  local unit="$1" since="$2" deadline=$((SECONDS + 90))
  while (( SECONDS < deadline )); do
    if journalctl --quiet --unit="$unit" --since="@$since" --output=cat 2>/dev/null | grep -q ' running$' \
        && [[ "$(systemctl show -p ActiveState --value "$unit")" == active ]]; then
      return 0
    fi
    sleep 1
  done
  return 1
}

for unit in "${watchdogs[@]}"; do
  say "restarting $unit (it finishes its batch first)"
  since="$(date +%s)"
  systemctl restart "$unit"
  if ! { watchdog_ticking "$unit" "$since" && wait_running "$unit"; }; then
    die "$unit does not come up: journalctl -u $unit (the other watchdogs keep running)"
  fi
  say "$unit runs the new version"
done

# --- 4. web ---------------------------------------------------------------------------------------
if systemctl is-enabled --quiet makker-web.service 2>/dev/null; then
  say "restarting makker-web"
  systemctl restart makker-web.service
  wait_running makker-web.service || die "makker-web does not stay up: journalctl -u makker-web"
fi
say "done; check /healthz and /healthz/watchdog"
