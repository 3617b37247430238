#!/usr/bin/env bash
# Measures how big each table is per row, per transaction and per log
# (README, Sizing). Four data sets, each loaded with bin/ethidx backfill
# from a replay RPC server (bin/ethidx-bench -serve) into a fresh embedded
# engine data dir, then merged (OPTIMIZE TABLE ... FINAL) so the figures are
# of one part per partition, as a long-lived store ends up:
#
#   fixtures    every mainnet fixture block of testdata/fixtures (mainnet/ +
#               mainnet-extra/)
#   modern      the fixture blocks since Byzantium, less the Merge block's
#               10,041 near-identical logs
#   contiguous  mainnet 1000001-1000030 alone (a contiguous range, every receipt)
#   generated   SIZE_BLOCKS canonical mainnet-shaped blocks of ~SIZE_TX
#               transactions from the replay generator
#
# Sizes are read from system.parts: compressed = the column data as stored,
# on_disk = that plus marks, primary index and part metadata. It fails (exit
# 1) if a table the data fills is empty or the rows stored are not the rows
# loaded.
#
#   scripts/size.sh                      # every set, 2-4.5 minutes on 2 cores
#   SIZE_SETS=generated SIZE_BLOCKS=5000 scripts/size.sh
set -euo pipefail
cd "$(dirname "$0")/.."

FIXTURES=${FIXTURES:-testdata/fixtures}
SIZE_BLOCKS=${SIZE_BLOCKS:-2000}
SIZE_TX=${SIZE_TX:-300}
SIZE_SETS=${SIZE_SETS:-fixtures modern contiguous generated}

make -s build
go build -o bin/ethidx-bench ./cmd/ethidx-bench

tmp=$(mktemp -d)
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# serve WHAT: starts the replay server in the background and sets $url.
serve() {
	# A file per set: reading the last set's file could find its URL.
	bin/ethidx-bench -serve "$@" >"$data.url" &
	server=$!
	for _ in $(seq 1 100); do
		url=$(head -1 "$data.url" 2>/dev/null)
		[ -n "$url" ] && return
		kill -0 "$server" 2>/dev/null || { echo "replay server failed" >&2; exit 1; }
		sleep 0.1
	done
	echo "replay server did not start" >&2
	exit 1
}
stop() { kill "$server" && wait "$server" 2>/dev/null || true; server=; }

# ethidx ARGS: the CLI on the current data set's data dir; the endpoint it
# serves while it runs takes a free port, so runs beside others never clash.
ethidx() { bin/ethidx --data-dir "$data" --http-addr 127.0.0.1:0 --log-format json "$@"; }

# values SQL: the result's values, without the header line tsv starts with.
values() { ethidx sql --format tsv "$1" | tail -n +2; }

# load FROM TO: backfills one contiguous range.
load() { ethidx backfill --rpc "$url" --from "$1" --to "$2" --batch 100 2>>"$data.log" || { tail -5 "$data.log" >&2; exit 1; }; }

# fixtureBlocks DIR...: the numbered block folders' numbers, in order.
fixtureBlocks() { ls "$@" | grep -E '^[0-9]+$' | sort -n; }

# loadBlocks: backfills the block numbers read from stdin, one backfill per
# run of consecutive numbers (the fixtures are scattered over history).
loadBlocks() {
	local from= prev=
	while read -r n; do
		if [ -n "$prev" ] && [ "$n" -eq $((prev + 1)) ]; then
			prev=$n
			continue
		fi
		[ -n "$prev" ] && load "$from" "$prev"
		from=$n prev=$n
	done
	load "$from" "$prev"
}

# report BLOCKS NAME: merges every table, checks the rows against the blocks'
# own counts, and prints the per-table figures.
report() {
	for t in $(values "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'"); do
		# Wide parts (a file per column), as every part of a grown store is
		# (tables default to compact parts below 10 MB, the embedded
		# transactions and logs below 128 MiB, schema/embedded/tuning.sql;
		# a setting changed here stays, as the tuning is applied once): the
		# same layout at every size, and per-column figures.
		ethidx sql "ALTER TABLE \`$t\` MODIFY SETTING min_bytes_for_wide_part = 0, min_rows_for_wide_part = 0" >/dev/null
		ethidx sql "OPTIMIZE TABLE \`$t\` FINAL" >/dev/null
	done
	# The rows stored must be the rows loaded: the blocks asked for, and as
	# many transactions, logs and withdrawals as their block rows count; a
	# table with no part counts 0 rows, and the address tables must have
	# bytes if there were transactions.
	local bad
	bad=$(values "
		WITH (SELECT ifNull(sum(rows), 0) FROM system.parts WHERE database = currentDatabase() AND active AND table = 'transactions') AS tx_rows,
		     (SELECT ifNull(sum(rows), 0) FROM system.parts WHERE database = currentDatabase() AND active AND table = 'logs') AS log_rows,
		     (SELECT ifNull(sum(rows), 0) FROM system.parts WHERE database = currentDatabase() AND active AND table = 'withdrawals') AS wd_rows,
		     (SELECT ifNull(min(bytes), 0) FROM (SELECT table, sum(data_compressed_bytes) AS bytes FROM system.parts
		         WHERE database = currentDatabase() AND active AND table IN ('address_activity', 'address_first_seen') GROUP BY table HAVING count() > 0)) AS addr_bytes,
		     (SELECT uniqExact(table) FROM system.parts WHERE database = currentDatabase() AND active AND table IN ('address_activity', 'address_first_seen')) AS addr_tables
		SELECT count() AS blocks, sum(tx_count) AS txs, sum(log_count) AS logs, sum(withdrawal_count) AS wds
		FROM blocks FINAL
		HAVING NOT (blocks = $1 AND txs = tx_rows AND logs = log_rows AND wds = wd_rows AND (txs = 0 OR (addr_tables = 2 AND addr_bytes > 0)))")
	if [ -n "$bad" ]; then
		echo "$2: rows stored do not match the rows loaded (blocks, txs, logs, withdrawals): $bad" >&2
		exit 1
	fi
	echo "== $2"
	ethidx sql "
		WITH (SELECT sum(rows) FROM system.parts WHERE database = currentDatabase() AND active AND table = 'transactions') AS txs,
		     (SELECT sum(rows) FROM system.parts WHERE database = currentDatabase() AND active AND table = 'logs') AS logs
		SELECT table, sum(rows) AS rows, count() AS parts,
		       sum(data_compressed_bytes) AS compressed, sum(data_uncompressed_bytes) AS uncompressed,
		       sum(bytes_on_disk) AS on_disk,
		       round(compressed / rows, 1) AS per_row,
		       round(compressed / txs, 1) AS per_tx,
		       round(compressed / logs, 1) AS per_log
		FROM system.parts
		WHERE database = currentDatabase() AND active
		GROUP BY table
		ORDER BY compressed DESC
		SETTINGS output_format_pretty_row_numbers = 0"
	# A per-column view of the big tables shows what dominates.
	[ -n "${SIZE_COLUMNS:-}" ] && ethidx sql "
		SELECT table, column, sum(column_data_compressed_bytes) AS compressed,
		       round(compressed / sum(column_data_uncompressed_bytes), 3) AS ratio
		FROM system.parts_columns
		WHERE database = currentDatabase() AND active AND table IN ('transactions', 'logs')
		GROUP BY table, column
		ORDER BY table, compressed DESC
		LIMIT 8 BY table"
	echo
}

for set in $SIZE_SETS; do
	data=$tmp/$set
	start=$SECONDS
	case $set in
	fixtures)
		serve "$FIXTURES/mainnet,$FIXTURES/mainnet-extra"
		fixtureBlocks "$FIXTURES/mainnet" "$FIXTURES/mainnet-extra" >"$tmp/blocks"
		loadBlocks <"$tmp/blocks"
		blocks=$(wc -l <"$tmp/blocks")
		;;
	modern)
		# Since Byzantium (where nearly all of mainnet's transactions are),
		# without 15537394, the first proof-of-stake block, whose 10,041
		# near-identical logs are 2/3 of all fixture logs.
		serve "$FIXTURES/mainnet,$FIXTURES/mainnet-extra"
		fixtureBlocks "$FIXTURES/mainnet" "$FIXTURES/mainnet-extra" | awk '$1 >= 4370000 && $1 != 15537394' >"$tmp/blocks"
		loadBlocks <"$tmp/blocks"
		blocks=$(wc -l <"$tmp/blocks")
		;;
	contiguous)
		serve "$FIXTURES/mainnet-extra"
		load 1000001 1000030
		blocks=30
		;;
	generated)
		serve generated -blocks "$SIZE_BLOCKS" -tx-per-block "$SIZE_TX"
		load 1 "$SIZE_BLOCKS"
		blocks=$SIZE_BLOCKS
		;;
	*)
		echo "unknown set $set (fixtures, modern, contiguous, generated)" >&2
		exit 2
		;;
	esac
	stop
	report "$blocks" "$set: $blocks blocks, loaded and merged in $((SECONDS - start)) s"
done
