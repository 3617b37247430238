#!/bin/sh
# Installs anvil (Foundry's local Ethereum node), as published on the npm
# registry, into the user cache once, and prints the path of its binary.
# The tests run ethidx against it as a real third-party node, starting it
# through internal/anvil; `make anvil` runs this. Needs node and npm.
set -eu
version="${ANVIL_VERSION:-1.7.1}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ethidx/anvil-$version"
find_bin() {
	# The npm package's platform sub-package holds the native binary.
	find "$cache/node_modules/@foundry-rs" -type f -name anvil -perm -u+x 2>/dev/null | grep -v '/\.bin/' | head -n 1
}
bin="$(find_bin || true)"
if [ -z "$bin" ]; then
	mkdir -p "$cache"
	tmp="$(mktemp -d "$cache.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	npm install --prefix "$tmp" --no-save --no-audit --no-fund --loglevel=error "@foundry-rs/anvil@$version" >&2
	# Another install may have finished meanwhile: its copy stays, and
	# only a cache without a binary is replaced.
	[ -n "$(find_bin || true)" ] || rm -rf "$cache"
	mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"
	trap - EXIT
	bin="$(find_bin || true)"
fi
if [ -z "$bin" ]; then
	echo "anvil.sh: no anvil binary for this platform in @foundry-rs/anvil@$version" >&2
	exit 1
fi
"$bin" --version >/dev/null
echo "$bin"
