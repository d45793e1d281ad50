# shellcheck shell=bash
# Make sure a Docker daemon answers on this machine (Debian, as root).
#
#   bash tests/docker-env.sh      install/start Docker if needed, then build the test images
#   . tests/docker-env.sh         only define the functions (used by .ci/run and examples/up.sh)
#
# What it does, each step only when needed:
#   1. apt-get install docker.io busybox-static docker-registry neovim (busybox-static feeds
#      tests/images/build.sh; docker-registry is the OCI registry the Feature tests start on
#      127.0.0.1, see server/features/tests/support; neovim is the editor
#      server/cli/tests/neovim.rs runs the Neovim plugin in);
#   2. start dockerd in the background (log: $DEVC_DOCKERD_LOG) and wait until `docker info`
#      answers, at most $DEVC_DOCKERD_TIMEOUT seconds; on timeout print the log and fail.
# A daemon that already answers is left alone.

DEVC_DOCKERD_LOG="${DEVC_DOCKERD_LOG:-/var/log/devc-dockerd.log}"
DEVC_DOCKERD_TIMEOUT="${DEVC_DOCKERD_TIMEOUT:-60}"
DEVC_DOCKER_PIDFILE="${DEVC_DOCKER_PIDFILE:-/var/run/docker.pid}"

devc_env_log() { printf '[docker-env] %s\n' "$*" >&2; }

# True when the Debian package is installed (not merely known to dpkg).
devc_pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

devc_docker_answers() {
  timeout 20 docker info >/dev/null 2>&1
}

# Install docker.io, busybox-static, docker-registry and neovim when missing. apt-get update runs only if something is missing.
devc_install_docker_packages() {
  local -a missing=()
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    missing+=(docker.io)
  fi
  # A dynamically linked busybox would not run in a FROM-scratch image: insist on the static one.
  if ! devc_pkg_installed busybox-static; then
    missing+=(busybox-static)
  fi
  # The Feature tests push to and pull from a throwaway registry of their own.
  if ! command -v docker-registry >/dev/null 2>&1; then
    missing+=(docker-registry)
  fi
  # The Neovim plugin's tests run it in a real (headless) Neovim; Debian's is 0.7, which it supports.
  if ! command -v nvim >/dev/null 2>&1; then
    missing+=(neovim)
  fi
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    devc_env_log "missing packages: ${missing[*]}; run as root or install them yourself"
    return 1
  fi
  devc_env_log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q || return 1
  apt-get install -y -q "${missing[@]}" || return 1
}

# Mount the cgroup hierarchies when nothing did (bare VMs without an init system).
devc_ensure_cgroups() {
  if grep -qE '^[^ ]+ /sys/fs/cgroup[^ ]* (cgroup|cgroup2) ' /proc/mounts 2>/dev/null; then
    return 0
  fi
  if command -v cgroupfs-mount >/dev/null 2>&1; then
    devc_env_log "no cgroup mounted; running cgroupfs-mount"
    cgroupfs-mount || true
  elif [[ -d /sys/fs/cgroup ]]; then
    devc_env_log "no cgroup mounted; mounting cgroup2 on /sys/fs/cgroup"
    mount -t cgroup2 none /sys/fs/cgroup || true
  fi
}

# Start dockerd unless a daemon already answers; wait until it does.
devc_start_dockerd() {
  if devc_docker_answers; then
    return 0
  fi
  if [[ -n "${DOCKER_HOST:-}" ]]; then
    devc_env_log "DOCKER_HOST=$DOCKER_HOST does not answer; not starting a local dockerd"
    return 1
  fi
  if [[ $(id -u) -ne 0 ]]; then
    devc_env_log "docker does not answer and starting dockerd needs root"
    return 1
  fi

  local pid=""
  if [[ -f "$DEVC_DOCKER_PIDFILE" ]]; then
    local old
    old="$(cat "$DEVC_DOCKER_PIDFILE" 2>/dev/null || true)"
    if [[ -n "$old" ]] && kill -0 "$old" 2>/dev/null \
        && [[ "$(cat "/proc/$old/comm" 2>/dev/null)" == dockerd ]]; then
      # A daemon is still starting up (or stuck): wait for it rather than start a second one.
      devc_env_log "dockerd (pid $old) is running but not answering yet; waiting for it"
      pid="$old"
    else
      devc_env_log "removing stale $DEVC_DOCKER_PIDFILE"
      rm -f "$DEVC_DOCKER_PIDFILE"
    fi
  fi

  if [[ -z "$pid" ]]; then
    devc_ensure_cgroups
    mkdir -p "$(dirname "$DEVC_DOCKERD_LOG")"
    devc_env_log "starting dockerd (log: $DEVC_DOCKERD_LOG)"
    # setsid: its own session, so Ctrl-C in the caller's terminal does not stop the daemon.
    setsid dockerd --pidfile "$DEVC_DOCKER_PIDFILE" >>"$DEVC_DOCKERD_LOG" 2>&1 </dev/null &
    pid=$!
  fi

  local waited=0
  until devc_docker_answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      devc_env_log "dockerd exited before answering; its log ($DEVC_DOCKERD_LOG):"
      tail -n 100 "$DEVC_DOCKERD_LOG" >&2 || true
      return 1
    fi
    if ((waited >= DEVC_DOCKERD_TIMEOUT)); then
      devc_env_log "docker did not answer within ${DEVC_DOCKERD_TIMEOUT}s; dockerd log ($DEVC_DOCKERD_LOG):"
      tail -n 100 "$DEVC_DOCKERD_LOG" >&2 || true
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  devc_env_log "docker answers (after ${waited}s)"
}

# Everything: packages, then daemon.
devc_ensure_docker() {
  devc_install_docker_packages || return 1
  devc_start_dockerd || return 1
}

# Executed (not sourced): do the whole job, including the test images.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  devc_ensure_docker
  bash "$(dirname "${BASH_SOURCE[0]}")/images/build.sh" "$@"
fi
