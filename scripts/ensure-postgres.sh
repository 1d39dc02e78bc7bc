#!/usr/bin/env bash
# Make a PostgreSQL server available on this machine for the test suite.
# Uses a running server if there is one; otherwise installs PostgreSQL from
# Debian's packages, starts the cluster on loopback and creates a superuser
# role for the current OS user (reached over the Unix socket, peer/trust auth).
# Prints the DATABASE_URL to use on stdout.
set -euo pipefail

say() { echo "ensure-postgres: $*" >&2; }
user=$(id -un)
socket_dir=/var/run/postgresql

ready() { pg_isready -q -h "$socket_dir" 2>/dev/null || pg_isready -q -h 127.0.0.1 2>/dev/null; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    say "PostgreSQL is not installed; installing it from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

if ! ready; then
    version=$(ls /etc/postgresql | sort -V | tail -1)
    if [ -z "$version" ]; then
        say "no PostgreSQL cluster found"; exit 1
    fi
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
    for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
ready || { say "PostgreSQL did not become ready"; exit 1; }

run_as_postgres() {
    if [ "$user" = "postgres" ]; then "$@"; else su postgres -c "$(printf '%q ' "$@")"; fi
}
if ! psql -h "$socket_dir" -U "$user" -d postgres -Atc "select 1" >/dev/null 2>&1; then
    say "creating superuser role $user"
    run_as_postgres psql -h "$socket_dir" -d postgres -qc "CREATE ROLE \"$user\" LOGIN SUPERUSER" >&2
fi
echo "postgres://${user}@${socket_dir//\//%2F}/crossdock"
