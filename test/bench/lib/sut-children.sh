# sut-children.sh - sourced by test/bench/sut.sh and sut-registrar.sh: what a system under test in
# the foreground shares. Its children are kept in start order (child_started) and stopped in
# reverse, each by PID with a deadline then SIGKILL (stop_all, on SIGTERM/SIGINT and on exit);
# port checks, readiness polls that give up as soon as a child died, a private nats-server with
# monitoring, and the loop that ends the SUT when one child exits on its own.
#
# The sourcing script sets SUT_NAME (message prefix) and STOP_WAIT before sourcing, and TMP (its
# temp dir, removed at the end unless SIPMESH_KEEP_TMP=1) before starting a child.
# shellcheck shell=bash

say() { printf '%s: %s\n' "$SUT_NAME" "$*" >&2; }

tcp_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
tcp_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# first_free_port GIVEN FROM TO WHAT: GIVEN if set and free, else the first free port of FROM..TO
first_free_port() {
	local given=$1 from=$2 to=$3 what=$4 p
	if [ -n "$given" ]; then
		tcp_port_free "$given" || { say "$what port $given is busy"; return 1; }
		echo "$given"
		return 0
	fi
	for p in $(seq "$from" "$to"); do
		if tcp_port_free "$p"; then echo "$p"; return 0; fi
	done
	say "no free $what port in $from..$to"
	return 1
}

CHILD_NAMES=() CHILD_PIDS=() STOPPING=0

# child_started NAME PID
child_started() {
	CHILD_NAMES+=("$1")
	CHILD_PIDS+=("$2")
}

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

# the children's names, last started first (the stop order), comma-separated
children_reversed() {
	local i out=
	for ((i = ${#CHILD_NAMES[@]} - 1; i >= 0; i--)); do out="$out${out:+, }${CHILD_NAMES[i]}"; done
	printf '%s' "$out"
}

stop_all() {
	local i
	STOPPING=1
	trap '' TERM INT
	for ((i = ${#CHILD_PIDS[@]} - 1; i >= 0; i--)); do stop_child "${CHILD_PIDS[i]}" "${CHILD_NAMES[i]}"; done
	[ -n "${TMP:-}" ] || return 0
	if [ "${SIPMESH_KEEP_TMP:-0}" = 1 ]; then say "temp dir kept: $TMP"; else rm -rf "$TMP"; fi
}

on_signal() {
	say "$1 received, stopping $(children_reversed)"
	stop_all
	exit 0
}
trap 'on_signal SIGTERM' TERM
trap 'on_signal SIGINT' INT
trap '[ "$STOPPING" = 1 ] || stop_all' EXIT

# wait_for SECONDS CMD...: poll every 50 ms while every started child lives
wait_for() {
	local n=$(($1 * 20)) p
	shift
	while ((n-- > 0)); do
		"$@" && return 0
		for p in "${CHILD_PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null || return 1
		done
		sleep 0.05
	done
	return 1
}

# udp_bound IP:PORT: a UDP socket listens there (empty: nothing to wait for)
udp_bound() { [ -z "$1" ] || ss -Hlun "src $1" 2>/dev/null | grep -q .; }

# first_udp_addr LISTEN: ip:port of the first udp entry of an edge --listen list
first_udp_addr() { printf '%s\n' "$1" | tr ',' '\n' | awk -F: '$1=="udp"{print $2":"$3; exit}'; }

# start_nats PORT: a private nats-server (JetStream, store in $TMP/jetstream, HTTP monitoring on
# PORT + 1000, only polled during start-up); sets NATS_URL and MON_PORT
start_nats() {
	local pid
	MON_PORT=$(($1 + 1000))
	tcp_port_free "$MON_PORT" || { say "NATS monitoring port $MON_PORT (NATS port + 1000) is busy"; return 1; }
	mkdir -p "$TMP/jetstream"
	nats-server -a 127.0.0.1 -p "$1" -m "$MON_PORT" -js -sd "$TMP/jetstream" >"$TMP/nats.log" 2>&1 &
	pid=$!
	child_started nats-server "$pid"
	wait_for 10 tcp_port_open "$1" || { say "nats-server did not start"; tail -5 "$TMP/nats.log" >&2; return 1; }
	NATS_URL=nats://127.0.0.1:$1
}

# nats_subscribed CONNECTION [SUBJECT...]: the NATS connection of that name holds subscriptions
# (each SUBJECT among them, when given), as the monitoring endpoint lists them
nats_subscribed() {
	local conn=$1 body s
	shift
	body=$(exec 3<>"/dev/tcp/127.0.0.1/$MON_PORT" && printf 'GET /connz?subs=1 HTTP/1.0\r\n\r\n' >&3 && cat <&3) 2>/dev/null || return 1
	body=$(printf '%s' "$body" | tr -d ' \n')
	printf '%s' "$body" | grep -q "\"name\":\"$conn\"[^}]*\"subscriptions_list\":\[\"" || return 1
	for s in "$@"; do
		printf '%s' "$body" | grep -q "\"name\":\"$conn\"[^}]*\"subscriptions_list\":\[[^]]*\"$s\"" || return 1
	done
}

# supervise: runs until a signal (trap) or until one child exits on its own, then stops the
# others and exits 1
supervise() {
	local rc dead i
	while :; do
		wait -n "${CHILD_PIDS[@]}"
		rc=$?
		dead=
		for ((i = 0; i < ${#CHILD_PIDS[@]}; i++)); do
			kill -0 "${CHILD_PIDS[i]}" 2>/dev/null || dead="$dead ${CHILD_NAMES[i]}(pid ${CHILD_PIDS[i]})"
		done
		[ -n "$dead" ] && break
		say "wait returned $rc with every child alive; waiting again"
	done
	say "exited on its own:$dead (status $rc); stopping the others"
	stop_all
	exit 1
}
