#!/usr/bin/env bash
# sut.sh - sipmesh as one system under test, in the foreground: a private
# nats-server (JetStream on, own port and store under a temp dir), the router
# and the edge over NATS. SIP on udp 127.0.0.1:5060; every initial request is
# routed to sip:127.0.0.1:5070 by a routes file written here. The whole process
# tree (nats-server + router + edge) is the SUT, so its CPU counts as sipmesh's.
#
# Fits the shape `CONFIG=ext` of a SIPp harness expects:
#   EXT_CMD=/path/to/repo/test/bench/sut.sh ./run_one.sh ext call 2000
# and is what test/bench/bench.mjs starts for every run. Works from any cwd.
#
# Stops on SIGTERM/SIGINT: edge first (so no request is left without a router),
# then router, then nats-server, each by PID with a deadline, then SIGKILL;
# exits 0. If any child exits on its own, the others are stopped and the
# script exits 1.
#
# Environment (all optional; defaults in brackets):
#   SIPMESH_SIP_LISTEN        edge listeners [udp:127.0.0.1:5060]
#   SIPMESH_BENCH_DST         destination of every initial request [sip:127.0.0.1:5070]
#   SIPMESH_BENCH_ACC         accounting flags of the bench rule, comma-separated (e.g. "acc":
#                             rows and CDRs for the accounting service) [none]
#   SIPMESH_NATS_PORT         NATS client port [first free of 14222..14299]
#   SIPMESH_UDP_RCVBUF        edge SO_RCVBUF request in bytes [4194304, the edge's own
#                             default; the kernel doubles it (8 MiB effective, like
#                             Kamailio -b 4194304 in the harness's bigbuf rows);
#                             262144 = Kamailio's default 512 KiB; 0 = kernel default]
#   SIPMESH_LOG_LEVEL         log level of edge and router [warn]
#   SIPMESH_EDGE_SET          extra edge overrides, space-separated path=value
#                             (e.g. "events.enabled=false")
#   SIPMESH_ROUTER_SET        extra router overrides (e.g. "validateRequests=false")
#   SIPMESH_NODE_OPTIONS      node flags for edge and router (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
#   SIPMESH_EDGE_NODE_OPTIONS, SIPMESH_ROUTER_NODE_OPTIONS  node flags for one of them (added)
#   SIPMESH_PIDS_FILE         if set, "name pid" lines of the children are written there
#   SIPMESH_STOP_WAIT         seconds each child gets to stop before SIGKILL [3; 15 with --cpu-prof]
#   SIPMESH_KEEP_TMP          1 = keep the temp dir (NATS store, logs) [0]
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
NODE=${NODE:-node}
EDGE_MAIN=$REPO/services/edge/dist/main.js
ROUTER_MAIN=$REPO/services/router/dist/main.js

LISTEN=${SIPMESH_SIP_LISTEN:-udp:127.0.0.1:5060}
DST=${SIPMESH_BENCH_DST:-sip:127.0.0.1:5070}
RCVBUF=${SIPMESH_UDP_RCVBUF:-4194304}
LOG_LEVEL=${SIPMESH_LOG_LEVEL:-warn}
NODE_OPTS=${SIPMESH_NODE_OPTIONS:-}
EDGE_NODE_OPTS="$NODE_OPTS ${SIPMESH_EDGE_NODE_OPTIONS:-}"
ROUTER_NODE_OPTS="$NODE_OPTS ${SIPMESH_ROUTER_NODE_OPTIONS:-}"
case "$EDGE_NODE_OPTS $ROUTER_NODE_OPTS" in
*--cpu-prof* | *--heap-prof*) STOP_WAIT=${SIPMESH_STOP_WAIT:-15} ;;
*) STOP_WAIT=${SIPMESH_STOP_WAIT:-3} ;;
esac

say() { printf 'sut.sh: %s\n' "$*" >&2; }

for f in "$EDGE_MAIN" "$ROUTER_MAIN"; do
	[ -f "$f" ] || { say "$f missing: run 'npm run build' in $REPO first"; exit 2; }
done
command -v nats-server >/dev/null || { say "nats-server not found in PATH"; exit 2; }

tcp_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -n "${SIPMESH_NATS_PORT:-}" ]; then
	NATS_PORT=$SIPMESH_NATS_PORT
	tcp_port_free "$NATS_PORT" || { say "NATS port $NATS_PORT is busy"; exit 2; }
else
	NATS_PORT=
	for p in $(seq 14222 14299); do
		if tcp_port_free "$p"; then NATS_PORT=$p; break; fi
	done
	[ -n "$NATS_PORT" ] || { say "no free NATS port in 14222..14299"; exit 2; }
fi

ACC_LINE=
if [ -n "${SIPMESH_BENCH_ACC:-}" ]; then
	case "$SIPMESH_BENCH_ACC" in
	*[!a-z,]*) say "SIPMESH_BENCH_ACC: flags are acc, missed, failed, comma-separated"; exit 2 ;;
	esac
	ACC_LINE="        acc: { flags: [$SIPMESH_BENCH_ACC] }"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sipmesh-sut.XXXXXX")
mkdir -p "$TMP/jetstream"
cat >"$TMP/routes.yaml" <<EOF
# Written by test/bench/sut.sh: every initial request goes to the bench UAS.
policies:
  default:
    rules:
      - name: bench
${ACC_LINE}
        routes:
          - dst_uri: $DST
EOF

NATS_PID= ROUTER_PID= EDGE_PID= STOPPING=0

# stop_child PID NAME: SIGTERM, wait up to STOP_WAIT s, then SIGKILL
stop_child() {
	local pid=$1 name=$2 i
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < STOP_WAIT * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name ($pid) did not stop within ${STOP_WAIT}s, SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

stop_all() {
	STOPPING=1
	trap '' TERM INT
	stop_child "$EDGE_PID" edge
	stop_child "$ROUTER_PID" router
	stop_child "$NATS_PID" nats-server
	if [ "${SIPMESH_KEEP_TMP:-0}" = 1 ]; then say "temp dir kept: $TMP"; else rm -rf "$TMP"; fi
}

on_signal() {
	say "$1 received, stopping edge, router, nats-server"
	stop_all
	exit 0
}
trap 'on_signal SIGTERM' TERM
trap 'on_signal SIGINT' INT
trap '[ "$STOPPING" = 1 ] || stop_all' EXIT

# wait_for SECONDS CMD...: poll every 50 ms while all started children live
wait_for() {
	local n=$(($1 * 20)) p
	shift
	while ((n-- > 0)); do
		"$@" && return 0
		for p in $NATS_PID $ROUTER_PID $EDGE_PID; do
			kill -0 "$p" 2>/dev/null || return 1
		done
		sleep 0.05
	done
	return 1
}

tcp_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# a UDP listener on ip:port of the first udp entry of LISTEN
UDP_ADDR=$(printf '%s\n' "$LISTEN" | tr ',' '\n' | awk -F: '$1=="udp"{print $2":"$3; exit}')
udp_bound() { [ -z "$UDP_ADDR" ] || ss -Hlun "src $UDP_ADDR" 2>/dev/null | grep -q .; }
# the router is ready when its connection holds subscriptions (monitoring endpoint)
router_subscribed() {
	local body
	body=$(exec 3<>"/dev/tcp/127.0.0.1/$MON_PORT" && printf 'GET /connz?subs=1 HTTP/1.0\r\n\r\n' >&3 && cat <&3) 2>/dev/null || return 1
	printf '%s' "$body" | tr -d ' \n' | grep -q '"name":"router-router1"[^}]*"subscriptions_list":\["'
}

MON_PORT=$((NATS_PORT + 1000))
tcp_port_free "$MON_PORT" || { say "NATS monitoring port $MON_PORT (NATS port + 1000) is busy"; exit 2; }
# -m: HTTP monitoring, only polled during start-up (readiness of the router)
nats-server -a 127.0.0.1 -p "$NATS_PORT" -m "$MON_PORT" -js -sd "$TMP/jetstream" >"$TMP/nats.log" 2>&1 &
NATS_PID=$!
wait_for 10 tcp_port_open "$NATS_PORT" || { say "nats-server did not start"; tail -5 "$TMP/nats.log" >&2; exit 1; }
NATS_URL=nats://127.0.0.1:$NATS_PORT

ROUTER_ARGS=(--nats "$NATS_URL" --routes "$TMP/routes.yaml" --set admin.port=0 --set "log.level=$LOG_LEVEL")
for kv in ${SIPMESH_ROUTER_SET:-}; do ROUTER_ARGS+=(--set "$kv"); done
# shellcheck disable=SC2086 # node flags are split on purpose
"$NODE" $ROUTER_NODE_OPTS "$ROUTER_MAIN" "${ROUTER_ARGS[@]}" &
ROUTER_PID=$!
if ! wait_for 20 router_subscribed; then
	say "router did not subscribe within 20 s"
	exit 1
fi

EDGE_ARGS=(--nats "$NATS_URL" --listen "$LISTEN" --set admin.port=0 --set "log.level=$LOG_LEVEL" --set "udp.recvBufferBytes=$RCVBUF")
for kv in ${SIPMESH_EDGE_SET:-}; do EDGE_ARGS+=(--set "$kv"); done
# shellcheck disable=SC2086
"$NODE" $EDGE_NODE_OPTS "$EDGE_MAIN" "${EDGE_ARGS[@]}" &
EDGE_PID=$!
wait_for 20 udp_bound || { say "edge did not bind $UDP_ADDR within 20 s"; exit 1; }

if [ -n "${SIPMESH_PIDS_FILE:-}" ]; then
	printf 'nats-server %s\nrouter %s\nedge %s\n' "$NATS_PID" "$ROUTER_PID" "$EDGE_PID" >"$SIPMESH_PIDS_FILE"
fi
say "ready: nats $NATS_URL (pid $NATS_PID), router pid $ROUTER_PID, edge pid $EDGE_PID on $LISTEN -> $DST"

# run until a signal (trap) or until one child exits on its own
while :; do
	wait -n "$NATS_PID" "$ROUTER_PID" "$EDGE_PID"
	rc=$?
	dead=
	for p in nats-server:$NATS_PID router:$ROUTER_PID edge:$EDGE_PID; do
		kill -0 "${p#*:}" 2>/dev/null || dead="$dead ${p%%:*}(pid ${p#*:})"
	done
	[ -n "$dead" ] && break
	say "wait returned $rc with every child alive; waiting again"
done
say "exited on its own:$dead (status $rc); stopping the others"
stop_all
exit 1
