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

SUT_NAME=sut.sh
# shellcheck source=lib/sut-children.sh
. "$HERE/lib/sut-children.sh"

for f in "$EDGE_MAIN" "$ROUTER_MAIN"; do
	[ -f "$f" ] || { say "$f missing: run 'npm run build' in $REPO first"; exit 2; }
done
command -v nats-server >/dev/null || { say "nats-server not found in PATH"; exit 2; }

NATS_PORT=$(first_free_port "${SIPMESH_NATS_PORT:-}" 14222 14299 NATS) || exit 2

ACC_LINE=
if [ -n "${SIPMESH_BENCH_ACC:-}" ]; then
	case "$SIPMESH_BENCH_ACC" in
	*[!a-z,]*) say "SIPMESH_BENCH_ACC: flags are acc, missed, failed, comma-separated"; exit 2 ;;
	esac
	ACC_LINE="        acc: { flags: [$SIPMESH_BENCH_ACC] }"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sipmesh-sut.XXXXXX")
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

UDP_ADDR=$(first_udp_addr "$LISTEN")

start_nats "$NATS_PORT" || exit 1

ROUTER_ARGS=(--nats "$NATS_URL" --routes "$TMP/routes.yaml" --set admin.port=0 --set "log.level=$LOG_LEVEL")
for kv in ${SIPMESH_ROUTER_SET:-}; do ROUTER_ARGS+=(--set "$kv"); done
# shellcheck disable=SC2086 # node flags are split on purpose
"$NODE" $ROUTER_NODE_OPTS "$ROUTER_MAIN" "${ROUTER_ARGS[@]}" &
ROUTER_PID=$!
child_started router "$ROUTER_PID"
# the router is ready when its connection holds subscriptions
if ! wait_for 20 nats_subscribed router-router1; then
	say "router did not subscribe within 20 s"
	exit 1
fi

EDGE_ARGS=(--nats "$NATS_URL" --listen "$LISTEN" --set admin.port=0 --set "log.level=$LOG_LEVEL" --set "udp.recvBufferBytes=$RCVBUF")
for kv in ${SIPMESH_EDGE_SET:-}; do EDGE_ARGS+=(--set "$kv"); done
# shellcheck disable=SC2086
"$NODE" $EDGE_NODE_OPTS "$EDGE_MAIN" "${EDGE_ARGS[@]}" &
EDGE_PID=$!
child_started edge "$EDGE_PID"
wait_for 20 udp_bound "$UDP_ADDR" || { say "edge did not bind $UDP_ADDR within 20 s"; exit 1; }

if [ -n "${SIPMESH_PIDS_FILE:-}" ]; then
	printf 'nats-server %s\nrouter %s\nedge %s\n' "${CHILD_PIDS[0]}" "$ROUTER_PID" "$EDGE_PID" >"$SIPMESH_PIDS_FILE"
fi
say "ready: nats $NATS_URL (pid ${CHILD_PIDS[0]}), router pid $ROUTER_PID, edge pid $EDGE_PID on $LISTEN -> $DST"

supervise
