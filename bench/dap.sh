#!/usr/bin/env bash
# devc dap benchmarks (not tests): output throughput against raw `docker exec`
# of the same data, readiness detection latency, launch → process event time.
#
#   bash bench/dap.sh [--runs N] [--mb M]
#
# Environment: DEVC (default ./target/release/devc, built if missing).
# Needs a running Docker daemon and devc-test-busybox:latest (bash tests/docker-env.sh).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=5
mb=100
while (($#)); do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --mb) mb="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "dap.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
log() { printf '[bench] %s\n' "$*" >&2; }
devc="${DEVC:-$repo/target/release/devc}"
if [[ ! -x "$devc" ]]; then
  log "building $devc"
  (cd "$repo" && cargo build --release -p devc >&2)
fi
if ! docker info >/dev/null 2>&1; then
  log "docker does not answer; start it with: bash tests/docker-env.sh"
  exit 1
fi

ws="$(mktemp -d)"
cleanup() {
  docker ps -aq --filter "label=devcontainer.local_folder=$ws" | xargs -r docker rm -f >/dev/null
  rm -rf "$ws"
}
trap cleanup EXIT
echo '{ "image": "devc-test-busybox:latest" }' >"$ws/.devcontainer.json"
"$devc" up --workspace-folder "$ws" >/dev/null
id="$(docker ps -q --filter "label=devcontainer.local_folder=$ws")"
bytes=$((mb * 1024 * 1024))
line="devc-burst-0123456789abcdefghijklmnopqrstuvwxyz"
client="$repo/bench/dap/client.py"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }

log "throughput: $mb MB of output, $runs runs each"
raw=(); dap=()
for _ in $(seq "$runs"); do
  start=$(date +%s.%N)
  docker exec "$id" sh -c 'yes "$1" | head -c "$2"' burst "$line" "$bytes" >/dev/null
  end=$(date +%s.%N)
  raw+=("$(echo "$end - $start" | bc -l)")
  dap+=("$(python3 "$client" "$devc" "$ws" throughput "$bytes" | field seconds)")
done
raw_s=$(printf '%s\n' "${raw[@]}" | median)
dap_s=$(printf '%s\n' "${dap[@]}" | median)
printf 'throughput  docker exec: %.3f s (%.0f MB/s)   devc dap: %.3f s (%.0f MB/s)   devc/docker speed ratio: %.2f\n' \
  "$raw_s" "$(echo "$bytes / $raw_s / 1000000" | bc -l)" "$dap_s" "$(echo "$bytes / $dap_s / 1000000" | bc -l)" "$(echo "$raw_s / $dap_s" | bc -l)"

log "readiness detection latency, $runs runs"
lat=()
for _ in $(seq "$runs"); do lat+=("$(python3 "$client" "$devc" "$ws" latency | field detectionMs)"); done
printf 'readiness   output event → devcontainer/ready: median %.2f ms\n' "$(printf '%s\n' "${lat[@]}" | median)"

log "launch → process event, $runs runs each"
for up in false true; do
  l=()
  for _ in $(seq "$runs"); do l+=("$(python3 "$client" "$devc" "$ws" launch "$up" | field launchToProcessMs)"); done
  printf 'launch      up=%-5s launch → process event: median %.1f ms\n' "$up" "$(printf '%s\n' "${l[@]}" | median)"
done
e=()
for _ in $(seq "$runs"); do
  start=$(date +%s.%N); docker exec "$id" true; end=$(date +%s.%N)
  e+=("$(echo "($end - $start) * 1000" | bc -l)")
done
printf 'baseline    docker exec true (CLI, whole command): median %.1f ms\n' "$(printf '%s\n' "${e[@]}" | median)"
