#!/usr/bin/env bash
# Docker engine fixture for the docker transport's tests.
#
# Makes sure a Docker daemon answers, starting one without networking
# (dockerd --bridge=none --iptables=false) when none runs, and prints shell
# assignments for the tests on stdout; diagnostics go to stderr. Safe to run
# again: a daemon that already answers (at DOCKER_HOST, or the default socket)
# is used as it is, and one that is still starting is waited for. The test
# images are built by the tests themselves (internal/fixture), once per
# machine, from this machine's files: no registry is reached.
#
# Settings (all optional):
#   EXECKIT_DOCKERD_LOG      dockerd's log file (/var/log/execkit-dockerd.log)
#   EXECKIT_DOCKERD_PIDFILE  dockerd's pid file (/var/run/execkit-dockerd.pid)
#   EXECKIT_DOCKERD_WAIT     seconds to wait for the daemon (60)
set -uo pipefail

log() { echo "fixtures.d/docker.sh: $*" >&2; }

sock=/var/run/docker.sock
case "${DOCKER_HOST:-}" in
unix://*) sock=${DOCKER_HOST#unix://} ;;
"") ;;
*) sock= ;;
esac

# answers: the daemon replies to a ping (the docker CLI, else curl on the
# socket).
answers() {
	if command -v docker >/dev/null 2>&1; then
		timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
	elif [ -n "$sock" ] && command -v curl >/dev/null 2>&1; then
		[ "$(timeout 10 curl -s --unix-socket "$sock" http://docker/_ping 2>/dev/null)" = OK ]
	else
		return 1
	fi
}

ready() {
	if command -v docker >/dev/null 2>&1; then
		log "docker daemon ready ($(timeout 10 docker version --format '{{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))"
	else
		log "docker daemon ready"
	fi
	echo "export EXECKIT_DOCKER_READY=1"
	if [ -n "${DOCKER_HOST:-}" ]; then
		printf 'export DOCKER_HOST=%q\n' "$DOCKER_HOST"
	fi
	exit 0
}

answers && ready

if [ -z "$sock" ]; then
	log "DOCKER_HOST=$DOCKER_HOST does not answer and is not a local socket; not starting a daemon"
	exit 1
fi
if [ -S "$sock" ] && [ ! -w "$sock" ]; then
	log "$sock exists but $(id -un) may not open it (join the docker group, or run as root)"
	exit 1
fi

dockerd=$(command -v dockerd 2>/dev/null || true)
if [ -z "$dockerd" ] && [ -x /usr/sbin/dockerd ]; then dockerd=/usr/sbin/dockerd; fi
if [ -z "$dockerd" ]; then
	log "dockerd is not installed (Debian: apt-get install docker.io)"
	exit 1
fi

if [ "$(id -u)" = 0 ]; then
	SUDO=()
else
	SUDO=(sudo -n)
fi

logfile=${EXECKIT_DOCKERD_LOG:-/var/log/execkit-dockerd.log}
pidfile=${EXECKIT_DOCKERD_PIDFILE:-/var/run/execkit-dockerd.pid}

running() {
	if pid=$("${SUDO[@]}" cat "$pidfile" 2>/dev/null) && [ -n "$pid" ] && "${SUDO[@]}" kill -0 "$pid" 2>/dev/null; then
		return 0
	fi
	command -v pgrep >/dev/null 2>&1 && pgrep -x dockerd >/dev/null 2>&1
}

if running; then
	log "dockerd is running but does not answer yet; waiting"
else
	args=(--bridge=none --iptables=false --ip6tables=false --pidfile "$pidfile")
	if [ -n "${DOCKER_HOST:-}" ]; then
		args+=(--host "$DOCKER_HOST")
	fi
	if [ "$(id -u)" != 0 ]; then
		# The user who runs the tests may open the socket without joining
		# the docker group.
		args+=(--group "$(id -gn)")
	fi
	log "starting dockerd ${args[*]} (log: $logfile)"
	# setsid, and no descriptor of ours: the daemon outlives this script
	# and must not hold the stdout the caller reads these assignments from.
	"${SUDO[@]}" sh -c 'log=$1; shift; exec setsid "$@" </dev/null >>"$log" 2>&1' \
		sh "$logfile" "$dockerd" "${args[@]}" </dev/null >/dev/null 2>&1 &
fi

wait_s=${EXECKIT_DOCKERD_WAIT:-60}
for _ in $(seq 1 $((wait_s * 5))); do
	answers && ready
	sleep 0.2
done
log "dockerd did not answer within ${wait_s}s; last lines of $logfile:"
"${SUDO[@]}" tail -n 20 "$logfile" >&2 2>/dev/null || true
exit 1
