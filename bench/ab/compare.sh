#!/bin/bash
# A/B of the write path's CPU per payment at a moderate rate, interleaved so that a machine whose speed drifts
# (a shared VM) weighs on each side alike. For each round and each checkout: the checkout's dist/main.js on a fresh
# database (APP_ROLE=all, the V8 flags of `npm start`), <rate> creates/s for <seconds> s, then a wait until every
# payment is final and the outbox is empty; it reports CPU ticks (1 tick = 10 ms) per payment of the app, PostgreSQL,
# Redis and RabbitMQ (whole processes from /proc, so nothing else may run), PostgreSQL commits per payment, the
# app's GC time and highest RSS. Lines go to stdout and to ${AB_RESULTS:-bench/results/ab-compare.txt}.
#
# usage: npm run bench:ab -- <dir> [<dir>...]   (a dir: this checkout, or one bench/ab/checkout.sh built)
#   AB_ROUNDS=3 AB_RATE=200 AB_SECONDS=20 AB_PGPORT=5432 (a PostgreSQL of your own with pg_stat_statements loaded
#   also gets each run's top statements in /tmp/ab-pgss-<label>.txt)
set -u
here=$(cd "$(dirname "$0")" && pwd)
results=${AB_RESULTS:-$here/../results/ab-compare.txt}
rounds=${AB_ROUNDS:-3}; rate=${AB_RATE:-200}; seconds=${AB_SECONDS:-20}; pgport=${AB_PGPORT:-5432}
port=3911; admin=ab-admin-token-0123456789abcdef0123456789
psqlq() { psql -h 127.0.0.1 -p "$pgport" -U postgres "$@"; }
ticks() { local t=0; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo $t; }
pg_ticks() { ticks $(pgrep -x postgres; pgrep -f 'postgres:'); }
gc_seconds() { curl -s "localhost:$port/metrics" | awk '/^nodejs_gc_duration_seconds_sum/{s+=$2} END{print s+0}'; }

run_one() {
  local dir=$1 label=$2 db=ab_$(date +%s%N | cut -c1-13)
  (cd "$dir" && DATABASE_URL=postgres://postgres@127.0.0.1:$pgport/$db QUEUE_PREFIX=ab$RANDOM PORT=$port \
    RATE_LIMIT_PER_SECOND=0 LOG_LEVEL=warn ADMIN_TOKEN=$admin APP_ROLE=all \
    exec node --max-semi-space-size=16 --max-old-space-size=192 dist/main.js >/tmp/ab-app.log 2>&1) &
  local app=$!
  for _ in $(seq 1 300); do curl -sf "localhost:$port/health/live" >/dev/null && break; sleep 0.2; done
  if ! kill -0 $app 2>/dev/null; then echo "$label: the app did not start"; tail -5 /tmp/ab-app.log; return 1; fi
  local key
  key=$(curl -s -X POST "localhost:$port/v1/admin/merchants" -H "x-admin-token: $admin" \
    -H 'content-type: application/json' -d '{"name":"ab"}' | sed 's/.*"api_key":"\([^"]*\)".*/\1/')
  [ "$pgport" != 5432 ] && psqlq -d postgres -qc 'select pg_stat_statements_reset()' >/dev/null 2>&1
  local commits="select xact_commit from pg_stat_database where datname = current_database()"
  local a0 p0 r0 b0 g0 x0 a1 p1 r1 b1 g1 x1 load left n hwm
  a0=$(ticks $app); p0=$(pg_ticks); r0=$(ticks $(pgrep -x redis-server)); b0=$(ticks $(pgrep beam.smp)); g0=$(gc_seconds)
  x0=$(psqlq -d "$db" -tAc "$commits")
  load=$(node --import "$here/../support/swc-register.mts" "$here/load.ts" $port "$key" "$rate" "$seconds")
  for _ in $(seq 1 600); do
    left=$(psqlq -d "$db" -tAc "select (select count(*) from payments where status = 'processing')
      + (select count(*) from outbox where sent_at is null)")
    [ "$left" = 0 ] && break; sleep 0.2
  done
  a1=$(ticks $app); p1=$(pg_ticks); r1=$(ticks $(pgrep -x redis-server)); b1=$(ticks $(pgrep beam.smp)); g1=$(gc_seconds)
  x1=$(psqlq -d "$db" -tAc "$commits")
  [ "$pgport" != 5432 ] && psqlq -d postgres -c "select calls, round(total_exec_time::numeric, 1) ms, rows,
    shared_blks_hit blks, left(regexp_replace(query, '\s+', ' ', 'g'), 90) q from pg_stat_statements
    where dbid = (select oid from pg_database where datname = '$db') order by total_exec_time desc limit 25" \
    >"/tmp/ab-pgss-$label.txt" 2>&1
  n=$(psqlq -d "$db" -tAc 'select count(*) from payments')
  hwm=$(awk '/VmHWM/{print int($2 / 1024)}' "/proc/$app/status")
  kill $app; wait $app 2>/dev/null
  psqlq -qc "drop database if exists $db" >/dev/null 2>&1
  awk -v l="$label" -v n="$n" -v a=$((a1 - a0)) -v p=$((p1 - p0)) -v r=$((r1 - r0)) -v b=$((b1 - b0)) \
    -v x=$((x1 - x0)) -v g="$(echo "$g1 - $g0" | bc)" -v left="$left" -v hwm="$hwm" -v ld="$load" 'BEGIN {
    printf "%-24s payments %d (left %s)  ticks per payment: app %.3f postgres %.3f redis %.3f rabbitmq %.3f  commits per payment %.2f  gc %.2f s  rss %d MB  %s\n",
      l, n, left, a / n, p / n, r / n, b / n, x / n, g, hwm, ld }' | tee -a "$results"
}

[ $# -ge 1 ] || { echo "usage: npm run bench:ab -- <dir> [<dir>...]"; exit 2; }
echo "# $(date -u +%FT%TZ) rate $rate/s for $seconds s, $rounds rounds, $(nproc) cores" | tee -a "$results"
for round in $(seq 1 "$rounds"); do
  for dir in "$@"; do
    run_one "$dir" "$(git -C "$dir" rev-parse --short HEAD 2>/dev/null || basename "$dir")-r$round" || exit 1
  done
done
