#!/usr/bin/env bash
# Installs the packed package as a user would and runs the README's "Install the command" lines (between the
# installed:begin and installed:end markers), in an empty folder, on the Node.js major given (22 or 24: Node from the
# npm registry's `node` package). Prints each command and what it printed; exits non-zero on the first that fails.
#   bash tests/package/install-check.sh 24
set -euo pipefail
major="${1:?usage: install-check.sh <node major, e.g. 24>}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="$(cd "$repo" && npm pack --silent --pack-destination "$work")"
# The README's lines, with the registry install replaced by the tarball's.
sed -n '/<!-- installed:begin/,/<!-- installed:end/p' "$repo/README.md" | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' \
    | sed "s#^npm install -g lambda-rollout .*#npm install -g --no-audit --no-fund $work/$tarball#" > "$work/commands.sh"
mkdir "$work/empty" "$work/prefix"
cd "$work/empty"
export npm_config_prefix="$work/prefix"
npx -y -p "node@$major" bash -c '
    set -e
    export PATH="$npm_config_prefix/bin:$PATH"
    echo "node $(node --version), npm $(npm --version)"
    while IFS= read -r line; do
        echo "\$ $line"
        code=0
        bash -c "$line" > "$1/out" 2>&1 || code=$?
        n=$(wc -l < "$1/out")
        if [ "$n" -le 16 ]; then sed "s/^/    /" "$1/out"; else head -n 8 "$1/out" | sed "s/^/    /"; echo "    ... ($n lines)"; tail -n 6 "$1/out" | sed "s/^/    /"; fi
        if [ "$code" != 0 ]; then echo "FAILED (exit $code): $line"; exit 1; fi
    done < "$0"
' "$work/commands.sh" "$work"
