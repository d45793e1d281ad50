#!/usr/bin/env bash
# Bring up one of the sample workspaces with devc.
#
#   bash examples/up.sh [image|dockerfile] [--prepare-only]
#
# Installs and starts Docker when missing (tests/docker-env.sh, as in CI), builds the local base
# image when missing (tests/images/build.sh; nothing is pulled), builds ./target/release/devc
# (a no-op when it is up to date), then runs `devc up --workspace-folder examples/<name>`.
# With --prepare-only it stops before `devc up`. Set DEVC=/path/to/devc to use another binary.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sample="image"
prepare_only=0
for arg in "$@"; do
  case "$arg" in
    --prepare-only) prepare_only=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "up.sh: unknown option: $arg" >&2; exit 2 ;;
    *) sample="$arg" ;;
  esac
done
workspace="$repo/examples/$sample"
if [[ ! -f "$workspace/.devcontainer/devcontainer.json" ]]; then
  echo "up.sh: no sample '$sample' (try: image, dockerfile)" >&2
  exit 2
fi

# shellcheck source=SCRIPTDIR/../tests/docker-env.sh
. "$repo/tests/docker-env.sh"
devc_ensure_docker
bash "$repo/tests/images/build.sh"

if [[ $prepare_only -eq 1 ]]; then
  echo "Docker answers and devc-test-busybox:latest exists; next: devc up --workspace-folder $workspace" >&2
  exit 0
fi

if [[ -n "${DEVC:-}" ]]; then
  devc="$DEVC"
else
  devc="$repo/target/release/devc"
  (cd "$repo" && cargo build --release --quiet -p devc)
fi
exec "$devc" up --workspace-folder "$workspace"
