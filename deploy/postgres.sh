#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, the demo and the benchmarks.
#
#   deploy/postgres.sh start DIR   initdb in DIR/data, start it listening on a socket in DIR only
#                                  (no TCP), and print the connection's socket path on stdout
#   deploy/postgres.sh stop DIR    stop it (fast shutdown) and leave DIR for the caller to remove
#
# PostgreSQL comes from Debian's packages (installed when missing, as root). The server never runs
# as root: when this script is run as root it runs initdb and the server as the unprivileged user
# `xinfang-pg` (created when missing), which owns DIR/data. Local connections are trusted (the
# socket is in DIR, mode 0700 for that user and root); the database and role are both `xinfang`.
# Exits non-zero, with the reason on stderr, when PostgreSQL cannot be installed or started: a
# test that needs it fails instead of being skipped.
set -euo pipefail

command=${1:-}
dir=${2:-}
if [ -z "$command" ] || [ -z "$dir" ]; then
  echo "usage: deploy/postgres.sh start|stop DIR" >&2
  exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data="$dir/data"
log="$dir/server.log"

bindir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$found" ] && command -v pg_config >/dev/null 2>&1; then found=$(pg_config --bindir); fi
  echo "$found"
}

# Tests start clusters side by side: the one-time setup (installing PostgreSQL, creating its user)
# runs under one lock, so the first does it while the others wait and then find it done.
setup_lock=/tmp/xinfang-postgres-setup.lock

bin=$(bindir)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is missing: run as root, or: sudo apt-get install postgresql" >&2
    exit 1
  fi
  exec 9>"$setup_lock"
  flock 9
  bin=$(bindir)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "installing postgresql from Debian's packages …" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(bindir)
  fi
  flock -u 9
fi

# Runs a server program as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u xinfang-pg -- "$@"
  else
    "$@"
  fi
}

case "$command" in
  start)
    if [ "$(id -u)" -eq 0 ]; then
      # Two useradds at once fail, or leave an initdb running under an id that is then gone.
      if ! id xinfang-pg >/dev/null 2>&1; then
        exec 9>"$setup_lock"
        flock 9
        id xinfang-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin xinfang-pg
        flock -u 9
      fi
      chown xinfang-pg "$dir"
    fi
    chmod 0700 "$dir"
    if [ ! -d "$data" ]; then
      as_owner "$bin/initdb" --pgdata="$data" --username=xinfang --auth=trust --encoding=UTF8 \
        --locale=C --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
      }
    fi
    # No TCP at all; the socket in DIR. fsync stays on: the durability the benchmarks measure.
    as_owner "$bin/pg_ctl" --pgdata="$data" --log="$log" --wait --timeout=60 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=200" start >/dev/null || {
      cat "$log" >&2
      exit 1
    }
    as_owner "$bin/psql" --host="$dir" --username=xinfang --dbname=postgres --quiet --no-psqlrc \
      --command="SELECT 1 FROM pg_database WHERE datname = 'xinfang'" --tuples-only | grep -q 1 ||
      as_owner "$bin/createdb" --host="$dir" --username=xinfang xinfang
    echo "$dir/.s.PGSQL.5432"
    ;;
  stop)
    if [ -f "$data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" --pgdata="$data" --wait --timeout=60 --mode=fast stop >/dev/null
    fi
    ;;
  *)
    echo "usage: deploy/postgres.sh start|stop DIR" >&2
    exit 2
    ;;
esac
