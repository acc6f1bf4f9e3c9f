#!/usr/bin/env bash
# sut-registrar.sh - sipmesh as a registrar under test, in the foreground: a private nats-server
# (JetStream on, own port and store under a temp dir), a private redis-server (own port, no
# persistence, temp dir), the registrar (location in that Redis, digest authentication against
# the users of the anchor harness) and the edge over NATS. SIP on udp 127.0.0.1:5060; the edge
# hands every REGISTER for its own addresses (127.0.0.1) to the registrar, no router is started.
# The whole process tree (nats-server + redis-server + registrar + edge) is the SUT.
#
# Fits the `register` scenario of the Kamailio anchor harness with `CONFIG=ext`:
#   EXT_CMD=/path/to/repo/test/bench/sut-registrar.sh ./run_one.sh ext register 4000
# (REGISTER -> 401 -> REGISTER with digest -> 200, user userNNNNNN, password pw-userNNNNNN,
# realm = From domain 127.0.0.1, one new AoR per call). test/bench/bench.mjs --scenarios register
# starts it for every run (test/bench/registrar-bench.mjs). Works from any cwd.
#
# Subscribers: the SIPp injection file of the harness (data/users.csv: first line SEQUENTIAL,
# then `user;password;[authentication ...]`) is turned into a temp `username,password` CSV that
# the registrar loads (auth.credentials.file). When data/users.csv is missing, the harness's
# gen_users.sh makes it: in the harness folder if that is writable (as run_one.sh itself does),
# else in a temp copy of the script (the shared harness folder is kept read-only).
#
# Stops on SIGTERM/SIGINT: edge first, then registrar, redis-server, nats-server, each by PID
# with a deadline, then SIGKILL; exits 0. If any child exits on its own, the others are stopped
# and the script exits 1.
#
# Environment (all optional; defaults in brackets):
#   KAMAILIO_BENCH            the anchor harness [the current folder if it holds run_one.sh and
#                             gen_users.sh (as under run_one.sh), else /work/shared/bench]
#   SIPMESH_USERS_FILE        SIPp users file to load the subscribers from
#                             [$KAMAILIO_BENCH/data/users.csv, generated if missing]
#   SIPMESH_SIP_LISTEN        edge listeners [udp:127.0.0.1:5060]
#   SIPMESH_NATS_PORT         NATS client port [first free of 14222..14299; monitoring on +1000]
#   SIPMESH_REDIS_PORT        Redis port [first free of 16379..16399]
#   SIPMESH_UDP_RCVBUF        edge SO_RCVBUF request in bytes [4194304, as sut.sh]
#   SIPMESH_LOG_LEVEL         log level of edge and registrar [warn]
#   SIPMESH_AUTH_SECRET       nonce secret of the registrar [random per start]
#   SIPMESH_EDGE_SET          extra edge overrides, space-separated path=value
#   SIPMESH_EDGE_CHALLENGE    1 = the edge answers credential-less REGISTERs with the 401 itself [1]; 0 = the registrar does
#   SIPMESH_REGISTRAR_SET     extra registrar overrides (e.g. "auth.qop=none")
#   SIPMESH_NODE_OPTIONS      node flags for edge and registrar (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
#   SIPMESH_EDGE_NODE_OPTIONS, SIPMESH_REGISTRAR_NODE_OPTIONS  node flags for one of them (added)
#   SIPMESH_PIDS_FILE         if set, "name pid" lines of the children are written there
#                             (also "redis-port N" and "nats-port N")
#   SIPMESH_STOP_WAIT         seconds each child gets to stop before SIGKILL [3; 15 with --cpu-prof]
#   SIPMESH_KEEP_TMP          1 = keep the temp dir (stores, logs, subscriber CSV) [0]
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
NODE=${NODE:-node}
EDGE_MAIN=$REPO/services/edge/dist/main.js
REGISTRAR_MAIN=$REPO/services/registrar/dist/main.js
# the harness: KAMAILIO_BENCH, else the current folder when it is one (run_one.sh starts EXT_CMD
# from its own folder), else the shared one
if [ -n "${KAMAILIO_BENCH:-}" ]; then
	HARNESS=$KAMAILIO_BENCH
elif [ -f ./run_one.sh ] && [ -f ./gen_users.sh ]; then
	HARNESS=$PWD
else
	HARNESS=/work/shared/bench
fi

LISTEN=${SIPMESH_SIP_LISTEN:-udp:127.0.0.1:5060}
RCVBUF=${SIPMESH_UDP_RCVBUF:-4194304}
LOG_LEVEL=${SIPMESH_LOG_LEVEL:-warn}
NODE_OPTS=${SIPMESH_NODE_OPTIONS:-}
EDGE_NODE_OPTS="$NODE_OPTS ${SIPMESH_EDGE_NODE_OPTIONS:-}"
REGISTRAR_NODE_OPTS="$NODE_OPTS ${SIPMESH_REGISTRAR_NODE_OPTIONS:-}"
case "$EDGE_NODE_OPTS $REGISTRAR_NODE_OPTS" in
*--cpu-prof* | *--heap-prof*) STOP_WAIT=${SIPMESH_STOP_WAIT:-15} ;;
*) STOP_WAIT=${SIPMESH_STOP_WAIT:-3} ;;
esac

SUT_NAME=sut-registrar.sh
# shellcheck source=lib/sut-children.sh
. "$HERE/lib/sut-children.sh"

for f in "$EDGE_MAIN" "$REGISTRAR_MAIN"; do
	[ -f "$f" ] || { say "$f missing: run 'npm run build' in $REPO first"; exit 2; }
done
for c in nats-server redis-server; do
	command -v "$c" >/dev/null || { say "$c not found in PATH"; exit 2; }
done

NATS_PORT=$(first_free_port "${SIPMESH_NATS_PORT:-}" 14222 14299 NATS) || exit 2
REDIS_PORT=$(first_free_port "${SIPMESH_REDIS_PORT:-}" 16379 16399 Redis) || exit 2

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sipmesh-sut-reg.XXXXXX")
mkdir -p "$TMP/redis"

# 1. subscribers: harness users file -> username,password CSV
USERS=${SIPMESH_USERS_FILE:-}
if [ -z "$USERS" ]; then
	USERS=$HARNESS/data/users.csv
	if [ ! -f "$USERS" ]; then
		[ -x "$HARNESS/gen_users.sh" ] || { say "no $USERS and no $HARNESS/gen_users.sh (set KAMAILIO_BENCH or SIPMESH_USERS_FILE)"; exit 2; }
		# gen_users.sh writes data/ next to itself; a folder without write bits (the shared,
		# read-only harness) is left alone even for root: generate in a temp copy
		if [ -w "$HARNESS" ] && [ -n "$(find "$HARNESS" -maxdepth 0 -perm -u+w)" ]; then
			say "generating $USERS with $HARNESS/gen_users.sh"
			"$HARNESS/gen_users.sh" >&2 || { say "gen_users.sh failed"; exit 2; }
		else
			mkdir -p "$TMP/harness"
			cp "$HARNESS/gen_users.sh" "$TMP/harness/"
			say "$HARNESS is read-only: generating the users in $TMP/harness"
			"$TMP/harness/gen_users.sh" >&2 || { say "gen_users.sh failed"; exit 2; }
			USERS=$TMP/harness/data/users.csv
		fi
	fi
fi
[ -r "$USERS" ] || { say "users file $USERS not readable"; exit 2; }
SUBSCRIBERS=$TMP/subscribers.csv
# SEQUENTIAL/RANDOM/USERS header and comments skipped; field 1 = user, field 2 = password
awk -F';' 'BEGIN { print "username,password" }
	NR == 1 && $0 ~ /^(SEQUENTIAL|RANDOM|USER)/ { next }
	/^#/ || NF < 2 { next }
	{ print $1 "," $2 }' "$USERS" >"$SUBSCRIBERS"
NSUBS=$(($(wc -l <"$SUBSCRIBERS") - 1))
((NSUBS > 0)) || { say "no users in $USERS"; exit 2; }

UDP_ADDR=$(first_udp_addr "$LISTEN")
redis_ready() { [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

# 2. nats-server
start_nats "$NATS_PORT" || exit 1

# 3. redis-server: memory only, private port, loopback only
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP/redis" \
	--logfile "$TMP/redis/redis.log" --daemonize no &
REDIS_PID=$!
child_started redis-server "$REDIS_PID"
if command -v redis-cli >/dev/null; then
	wait_for 10 redis_ready || { say "redis-server did not start"; tail -5 "$TMP/redis/redis.log" >&2; exit 1; }
else
	wait_for 10 tcp_port_open "$REDIS_PORT" || { say "redis-server did not start"; exit 1; }
fi

# 4. registrar
SECRET=${SIPMESH_AUTH_SECRET:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
REGISTRAR_ARGS=(--nats "$NATS_URL" --set admin.port=0 --set "log.level=$LOG_LEVEL"
	--set location.store=redis --set "location.redisUrl=redis://127.0.0.1:$REDIS_PORT"
	--set "auth.secret=$SECRET" --set auth.credentials.source=file --set "auth.credentials.file=$SUBSCRIBERS"
	--set auth.ban.maxFailures=0)
for kv in ${SIPMESH_REGISTRAR_SET:-}; do REGISTRAR_ARGS+=(--set "$kv"); done
# shellcheck disable=SC2086 # node flags are split on purpose
"$NODE" $REGISTRAR_NODE_OPTS "$REGISTRAR_MAIN" "${REGISTRAR_ARGS[@]}" &
REGISTRAR_PID=$!
child_started registrar "$REGISTRAR_PID"
# ready when its connection holds the register and lookup subscriptions (made after the
# subscribers are loaded)
if ! wait_for 60 nats_subscribed registrar-registrar1 sipmesh.registrar.v1.register sipmesh.registrar.v1.lookup; then
	say "registrar did not subscribe within 60 s"
	exit 1
fi

# 5. edge (REGISTER for 127.0.0.1, one of its own addresses, goes to the registrar)
EDGE_ARGS=(--nats "$NATS_URL" --listen "$LISTEN" --set admin.port=0 --set "log.level=$LOG_LEVEL" --set "udp.recvBufferBytes=$RCVBUF")
# the first REGISTER (no credentials) is challenged by the edge with the registrar's secret
if [ "${SIPMESH_EDGE_CHALLENGE:-1}" = 1 ]; then EDGE_ARGS+=(--set registrar.challenge.enabled=true --set "registrar.challenge.secret=$SECRET"); fi
for kv in ${SIPMESH_EDGE_SET:-}; do EDGE_ARGS+=(--set "$kv"); done
# shellcheck disable=SC2086
"$NODE" $EDGE_NODE_OPTS "$EDGE_MAIN" "${EDGE_ARGS[@]}" &
EDGE_PID=$!
child_started edge "$EDGE_PID"
wait_for 20 udp_bound "$UDP_ADDR" || { say "edge did not bind $UDP_ADDR within 20 s"; exit 1; }

if [ -n "${SIPMESH_PIDS_FILE:-}" ]; then
	printf 'nats-server %s\nredis-server %s\nregistrar %s\nedge %s\nnats-port %s\nredis-port %s\n' \
		"${CHILD_PIDS[0]}" "$REDIS_PID" "$REGISTRAR_PID" "$EDGE_PID" "$NATS_PORT" "$REDIS_PORT" >"$SIPMESH_PIDS_FILE.tmp" &&
		mv "$SIPMESH_PIDS_FILE.tmp" "$SIPMESH_PIDS_FILE"
fi
say "ready: nats $NATS_URL (pid ${CHILD_PIDS[0]}), redis 127.0.0.1:$REDIS_PORT (pid $REDIS_PID), registrar pid $REGISTRAR_PID ($NSUBS subscribers from $USERS), edge pid $EDGE_PID on $LISTEN"

supervise
