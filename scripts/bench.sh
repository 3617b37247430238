#!/usr/bin/env bash
# make bench: prints ethidx's figures against the targets in DESIGN.md.
# Nothing here fails on a timing; it reports.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
go build -o bin/ethidx-bench ./cmd/ethidx-bench

echo "== backfill (replay RPC, mainnet-shaped blocks) and follower latency"
bin/ethidx-bench "$@"
