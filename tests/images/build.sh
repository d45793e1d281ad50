#!/usr/bin/env bash
# Build the local images that devc's integration tests and examples/ use, without pulling anything
# (this machine reaches no container registry).
#
#   bash tests/images/build.sh            build what is missing or out of date
#   bash tests/images/build.sh --force    rebuild everything
#
# devc-test-busybox:latest
#   FROM scratch + Debian's static busybox at /bin/busybox, its applets as symlinks in /bin
#   (sh, id, ls, cat, env, ...), /usr/bin/env, /etc/passwd and /etc/group with root (0) and
#   dev (1000:1000, home /home/dev owned by dev, shell /bin/sh), /tmp (1777), /root.
#
# Needs: a Docker daemon that answers (bash tests/docker-env.sh starts one) and busybox-static.
# An image is rebuilt when its recipe changes: the label devc.test.recipe holds a hash of this
# script and of the busybox binary.
set -euo pipefail

FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force|-f) FORCE=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

BUSYBOX="${BUSYBOX:-/bin/busybox}"
IMAGE="devc-test-busybox:latest"
log() { printf '[images] %s\n' "$*" >&2; }

if ! docker info >/dev/null 2>&1; then
  log "docker does not answer; start it with: bash tests/docker-env.sh"
  exit 1
fi
if [[ ! -x "$BUSYBOX" ]]; then
  log "$BUSYBOX not found; install it with: apt-get install -y busybox-static"
  exit 1
fi
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  log "$BUSYBOX is dynamically linked and cannot run in a FROM-scratch image; install busybox-static"
  exit 1
fi

recipe="$(cat "${BASH_SOURCE[0]}" "$BUSYBOX" | sha256sum | cut -c1-16)"
current="$(docker image inspect --format '{{ index .Config.Labels "devc.test.recipe" }}' "$IMAGE" 2>/dev/null || true)"
if [[ $FORCE -eq 0 && "$current" == "$recipe" ]]; then
  log "$IMAGE is up to date (recipe $recipe)"
  exit 0
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/etc"
cp "$BUSYBOX" "$ctx/busybox"
chmod 0755 "$ctx/busybox"

cat >"$ctx/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
dev:x:1000:1000:dev:/home/dev:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$ctx/etc/group" <<'EOF'
root:x:0:
dev:x:1000:
nogroup:x:65534:
EOF
chmod 0644 "$ctx/etc/passwd" "$ctx/etc/group"

cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY busybox /bin/busybox
COPY etc/passwd etc/group /etc/
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/sh", "-c", "set -e; mkdir -p /tmp /root /home/dev /usr/bin /var/tmp; chmod 1777 /tmp /var/tmp; chmod 0700 /root; chown 1000:1000 /home/dev; chmod 0755 /home/dev; ln -s /bin/env /usr/bin/env"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL devc.test.recipe="$recipe"
CMD ["/bin/sh"]
EOF

log "building $IMAGE (recipe $recipe)"
# The classic builder works with any daemon (Docker 20.10 included) and needs no buildx.
DOCKER_BUILDKIT=0 docker build --pull=false -t "$IMAGE" "$ctx" >&2

log "checking $IMAGE"
docker run --rm "$IMAGE" sh -c 'id dev && id -u dev | grep -qx 1000 && ls / >/dev/null && test -d /tmp' >&2
docker run --rm --user dev "$IMAGE" sh -c 'test "$(id -un)" = dev && test -w "$HOME" && touch "$HOME/x" /tmp/x' >&2
log "$IMAGE ready"
