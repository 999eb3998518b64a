#!/usr/bin/env bash
# A private Docker engine for radvisor's real-engine tests and benchmarks (DESIGN §6).
#
#   scripts/dockerd.sh start    start dockerd (if not running) and build radvisor-busybox:latest;
#                               prints `export DOCKER_HOST=...` on stdout, so
#                               `eval "$(scripts/dockerd.sh start)"` sets it for the caller
#   scripts/dockerd.sh stop     remove its containers, stop dockerd by its pid, delete its state
#   scripts/dockerd.sh status   exit 0 when it answers /_ping, 1 otherwise
#   scripts/dockerd.sh env      print `export DOCKER_HOST=...`
#
# Everything lives under one state directory (RADVISOR_DOCKERD_DIR, default
# /tmp/radvisor-dockerd): data root, exec root, pid file, socket and log. The engine has
# no network (--bridge=none, no iptables), vfs storage, and an image imported from
# busybox-static, because no registry is reachable. Needs root; installs docker.io and
# busybox-static with apt when they are missing.
set -euo pipefail

state_dir=${RADVISOR_DOCKERD_DIR:-/tmp/radvisor-dockerd}
socket=$state_dir/docker.sock
pidfile=$state_dir/dockerd.pid
marker=$state_dir/.created-by-radvisor-dockerd
# The `docker` parent cgroups that did not exist before this engine made them.
new_cgroups=$state_dir/new-cgroups
image=radvisor-busybox:latest
export DOCKER_HOST=unix://$socket

log() { echo "dockerd.sh: $*" >&2; }

docker_cli() {
  # Prefer the engine's own client (docker.io) over any other docker on PATH.
  if [[ -x /usr/bin/docker ]]; then /usr/bin/docker "$@"; else docker "$@"; fi
}

ping_ok() {
  [[ -S $socket ]] && curl -sf --max-time 2 --unix-socket "$socket" http://docker/_ping >/dev/null 2>&1
}

running_pid() {
  [[ -f $pidfile ]] || return 1
  local pid
  pid=$(<"$pidfile")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install_missing() {
  local packages=()
  command -v dockerd >/dev/null || packages+=(docker.io)
  dpkg -s busybox-static >/dev/null 2>&1 || packages+=(busybox-static)
  command -v curl >/dev/null || packages+=(curl)
  ((${#packages[@]} == 0)) && return 0
  log "installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "${packages[@]}" >&2
}

build_image() {
  docker_cli image inspect "$image" >/dev/null 2>&1 && return 0
  local rootfs=$state_dir/rootfs
  rm -rf "$rootfs"
  mkdir -p "$rootfs/bin" "$rootfs/dev" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  local applet
  for applet in $("$rootfs/bin/busybox" --list); do
    [[ $applet == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"
  done
  tar -C "$rootfs" -c . | docker_cli import --change 'CMD ["sh"]' - "$image" >/dev/null
  rm -rf "$rootfs"
  log "built $image"
}

start() {
  if running_pid >/dev/null && ping_ok; then
    build_image
    echo "export DOCKER_HOST=$DOCKER_HOST"
    return 0
  fi
  [[ $(id -u) == 0 ]] || { log "needs root to run dockerd"; exit 1; }
  install_missing
  # A pid file without a live engine is left over from a crash: clean up first.
  [[ -e $marker ]] && stop_engine
  mkdir -p "$state_dir"
  touch "$marker"
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [[ -e ${hierarchy}cgroup.procs && ! -e ${hierarchy}docker ]] && echo "${hierarchy}docker"
  done >"$new_cgroups"
  log "starting dockerd (state in $state_dir)"
  setsid dockerd \
    --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
    --data-root "$state_dir/data" --exec-root "$state_dir/exec" --pidfile "$pidfile" \
    -H "unix://$socket" --log-level warn >"$state_dir/dockerd.log" 2>&1 </dev/null &
  local waited=0
  until ping_ok; do
    if ((waited >= 600)); then
      log "dockerd did not answer /_ping within 60s; its log:"
      tail -20 "$state_dir/dockerd.log" >&2
      stop_engine
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  build_image
  echo "export DOCKER_HOST=$DOCKER_HOST"
}

stop_engine() {
  local pid
  if pid=$(running_pid); then
    if ping_ok; then
      local containers
      containers=$(docker_cli ps -aq)
      [[ -z $containers ]] || docker_cli rm -f $containers >/dev/null 2>&1 || true
    fi
    kill "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
      if ((waited >= 300)); then
        log "dockerd ($pid) did not stop within 30s; killing it"
        kill -9 "$pid" 2>/dev/null || true
      fi
      sleep 0.1
      waited=$((waited + 1))
    done
  fi
  # Only delete a directory this script made, and never across a mount still inside it.
  [[ -e $marker ]] || return 0
  local cgroup
  if [[ -f $new_cgroups ]]; then
    # rmdir removes a cgroup only when it is empty, which it is once the engine is gone.
    while read -r cgroup; do rmdir "$cgroup" 2>/dev/null || true; done <"$new_cgroups"
  fi
  local mount
  for mount in $(awk -v dir="$state_dir/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount -l "$mount" 2>/dev/null || true
  done
  rm -rf "$state_dir"
}

case ${1:-} in
  start) start ;;
  stop) stop_engine; log "stopped" ;;
  status) ping_ok ;;
  env) echo "export DOCKER_HOST=$DOCKER_HOST" ;;
  *)
    echo "usage: $0 start|stop|status|env   (state in \${RADVISOR_DOCKERD_DIR:-/tmp/radvisor-dockerd})" >&2
    exit 2
    ;;
esac
