# Sourced by the server benchmarks: the --db value for STORE=sqlite (a file
# in the work folder) or STORE=postgres (a fresh database on the cluster in
# GIGENT_TEST_POSTGRES_URL, see scripts/with-postgres.sh, dropped on exit).
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
