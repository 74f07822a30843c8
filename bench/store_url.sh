# Sourced by the server benchmarks: their work folder and its cleanup, and the
# --db value for STORE=sqlite (a file in the work folder) or STORE=postgres (a
# fresh database on the cluster in GIGENT_TEST_POSTGRES_URL, see
# scripts/with-postgres.sh, dropped on exit).
bench_pg_name=""
bench_db() {  # work dir; sets $db, the --db value
  if [ "${STORE:-sqlite}" != postgres ]; then
    db="$1/bench.db"
    return
  fi
  [ -n "${GIGENT_TEST_POSTGRES_URL:-}" ] || { echo "STORE=postgres: run under scripts/with-postgres.sh" >&2; exit 1; }
  bench_pg_name="gigent_bench_$$"
  psql -q "$GIGENT_TEST_POSTGRES_URL" -c "CREATE DATABASE $bench_pg_name" >&2
  db="${GIGENT_TEST_POSTGRES_URL%/*}/$bench_pg_name"
}
drop_bench_db() {
  [ -z "$bench_pg_name" ] || psql -q "$GIGENT_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $bench_pg_name WITH (FORCE)" >&2 || true
}

# A work folder and the --db value in $work and $db; on exit the server in
# $server_pid (when set) is stopped, the database dropped and the folder removed.
server_pid=""
bench_workdir() {
  work=$(mktemp -d)
  trap server_bench_cleanup EXIT
  bench_db "$work"
}
server_bench_cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
  drop_bench_db
  rm -rf "$work"
}
