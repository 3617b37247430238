#!/usr/bin/env bash
# make demo: a local dev chain with two months of back-dated traffic,
# followed into the embedded engine, then the month-over-month report, the
# last days of daily activity and a chart. Needs only `make engine` first.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-bin/ethidx}
DATA=${DATA:-demo-data}
RPC=${RPC:-127.0.0.1:18545}
SQL=${SQL:-127.0.0.1:18123}
HISTORY=${HISTORY:-100d}
STEP=${STEP:-6h}

rm -rf "$DATA" && mkdir -p "$DATA"
ethidx() { "$BIN" --data-dir "$DATA/engine" --http-addr "$SQL" "$@"; }

echo "==> starting a dev chain with $HISTORY of history (one block per $STEP), JSON-RPC on $RPC"
"$BIN" devnet --rpc-addr "$RPC" --history "$HISTORY" --history-interval "$STEP" --block-time 1s >"$DATA/devnet.log" 2>&1 &
DEVNET=$!
trap 'kill $DEVNET 2>/dev/null || true; wait $DEVNET 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  grep -q "devnet ready" "$DATA/devnet.log" && break
  kill -0 $DEVNET 2>/dev/null || { cat "$DATA/devnet.log"; exit 1; }
  sleep 0.5
done
grep "devnet ready" "$DATA/devnet.log"

echo "==> indexing the chain from genesis, with every call frame, into the embedded engine ($DATA/engine)"
ethidx follow --rpc "http://$RPC" --finality latest --start 0 --once --traces

echo "==> following the live chain for 6 seconds (websocket newHeads)"
timeout -s TERM 6 "$BIN" --data-dir "$DATA/engine" --http-addr "$SQL" --log-format json \
  follow --rpc "ws://$RPC" --finality latest --traces --metrics-addr 127.0.0.1:0 >"$DATA/follow.log" 2>&1 || true
grep '"msg":"follow stopped"' "$DATA/follow.log" | sed 's/.*indexed_block":\([0-9]*\).*/    followed live up to block \1/' || true

echo
echo "==> ethidx report --chart $DATA/activity.svg"
ethidx report --chart "$DATA/activity.svg"
echo
echo "==> ethidx query daily_activity (last 7 days)"
ethidx query daily_activity --from-date "$(date -u -d '-6 days' +%F)" --to-date "$(date -u +%F)"
echo
echo "==> ethidx sql: transactions by type"
ethidx sql "SELECT type, count() AS txs, countIf(status = 0) AS failed FROM transactions FINAL GROUP BY type ORDER BY type"
echo
echo "==> ethidx sql: call frames (--traces) by type, and what moved value below the top level"
ethidx sql "SELECT call_type, count() AS frames, countIf(depth > 0) AS internal, countIf(status = 0) AS reverted FROM traces FINAL GROUP BY call_type ORDER BY frames DESC"
ethidx sql "SELECT count() AS internal_transfers, round(sum(value_eth), 3) AS eth FROM internal_transfers"
echo
echo "Chart: $DATA/activity.svg. Explore: $BIN --data-dir $DATA/engine serve, then curl 'http://127.0.0.1:8123/?query=SELECT+1'"
