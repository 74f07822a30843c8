#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL cluster: initdb into a temp
# folder, pg_ctl on a free loopback port (socket in the same folder), no
# system service. The command sees GIGENT_TEST_POSTGRES_URL, a superuser URL
# of the cluster's "postgres" database (the test helpers create one database
# per test server from it). The cluster is stopped and removed on exit.
#
#   scripts/with-postgres.sh ctest -L postgres
#
# initdb refuses to run as root: as root the cluster belongs to the
# "postgres" user that Debian's postgresql package creates.
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bindir/initdb" ]] || { echo "with-postgres: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/gigent-pg.XXXXXX")
as_owner=()
owner=$(id -un)
if [[ $(id -u) == 0 ]]; then
  owner=postgres
  as_owner=(runuser -u postgres --)
  chown postgres "$dir"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop_cluster() {
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop_cluster EXIT
trap "exit 130" INT TERM

"${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U "$owner" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 2; }
# Many short-lived test databases and connections; durability is not needed.
"${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
  "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 2; }

export GIGENT_TEST_POSTGRES_URL="postgresql://$owner@127.0.0.1:$port/postgres"
echo "with-postgres: cluster on port $port ($GIGENT_TEST_POSTGRES_URL)" >&2
set +e
"$@"
status=$?
set -e
exit $status
