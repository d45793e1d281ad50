#!/usr/bin/env bash
# devc lsp benchmarks (not tests): spawn → first publishDiagnostics and idle RSS
# of `devc lsp` on a typical devcontainer.json, and the same file validated by
# vscode-json-languageservice (VS Code's JSON engine) against devc's schema, for
# a side-by-side ratio with devc's criterion bench (`cargo bench -p devc-config --bench validate`).
#
#   bash bench/lsp.sh [runs]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-20}"
devc="${DEVC:-$repo/target/release/devc}"
if [[ -z "${DEVC:-}" ]]; then
  (cd "$repo" && cargo build --release --quiet -p devc)
fi
if [[ ! -d "$repo/bench/lsp/node_modules" ]]; then
  (cd "$repo/bench/lsp" && npm install --silent --no-audit --no-fund)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/.devcontainer"
cp "$repo/bench/data/typical.devcontainer.json" "$work/.devcontainer/devcontainer.json"
printf 'FROM scratch\n' > "$work/.devcontainer/Dockerfile"
echo "== devc lsp: spawn → first publishDiagnostics, idle RSS ($runs runs)"
node "$repo/bench/lsp/first-diagnostics.mjs" "$devc" "$work/.devcontainer/devcontainer.json" "$runs"
echo "== vscode-json-languageservice: parse + validate with devc's schema"
node "$repo/bench/lsp/jsonls-validate.mjs" "$repo/schemas/devcontainer.schema.json" "$work/.devcontainer/devcontainer.json" 2000
echo "== devc: cargo bench -p devc-config --bench validate (parse+validate)"
(cd "$repo" && cargo bench -q -p devc-config --bench validate -- --noplot 2>/dev/null | grep -E "^(parse|validate)|time:" || true)
