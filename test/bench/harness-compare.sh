#!/usr/bin/env bash
# harness-compare.sh - sipmesh against Kamailio K3 through the anchor harness itself
# (find_max.sh for both, back to back, with the same rate list; then ab_compare.sh at a rate both
# handle), with sipmesh started by test/bench/sut.sh as CONFIG=ext.
#
#   test/bench/harness-compare.sh [call|message|all] [AB_RATE_CALL] [AB_RATE_MESSAGE]
#
# Environment: KAMAILIO_BENCH [/work/shared/bench], RATES_CALL, RATES_MESSAGE, GRAN_CALL [250],
# GRAN_MESSAGE [500], REPEATS [2 = 3 clean runs, as the harness], AB_ROUNDS [3], DURATION [10],
# MIN_COUNT [5000], CONFIGS ["k3 ext": the find_max.sh configs], SKIP_FIND_MAX=1, SKIP_AB=1,
# SIPMESH_* knobs of sut.sh (passed through).
# Results: the harness writes into a short scratch folder (f/ = find_max, ac/ and am/ = ab_compare call and message; Kamailio allows 104 bytes) (Kamailio's ctl socket path must stay
# under 108 bytes), which is copied to <repo>/.bench/harness-<time>/ at the end.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
KB=${KAMAILIO_BENCH:-/work/shared/bench}
[ -x "$KB/find_max.sh" ] || { echo "no harness at $KB (set KAMAILIO_BENCH)" >&2; exit 2; }
WHAT=${1:-all}
AB_CALL=${2:-500}
AB_MESSAGE=${3:-1000}
RATES_CALL=${RATES_CALL:-500 1000 2000 3000 4000 5000 6000 7000 8000}
RATES_MESSAGE=${RATES_MESSAGE:-1000 2000 4000 6000 8000 10000 12000 14000 16000}
GRAN_CALL=${GRAN_CALL:-250}
GRAN_MESSAGE=${GRAN_MESSAGE:-500}
REPEATS=${REPEATS:-2}
export DURATION=${DURATION:-10} MIN_COUNT=${MIN_COUNT:-5000} AB_ROUNDS=${AB_ROUNDS:-3}
export EXT_CMD="$HERE/sut.sh"

STAMP=$(date +%Y%m%d-%H%M%S)
SCRATCH=$(mktemp -d /tmp/hXXXX)
OUT=$REPO/.bench/harness-$STAMP
mkdir -p "$OUT"
REL=$(realpath --relative-to="$KB" "$SCRATCH")
trap 'cp -r "$SCRATCH"/. "$OUT"/ 2>/dev/null; rm -rf "$SCRATCH"; echo "results: $OUT"' EXIT

scenarios=()
case $WHAT in
call | message) scenarios=("$WHAT") ;;
all) scenarios=(call message) ;;
*) echo "usage: $0 [call|message|all] [AB_RATE_CALL] [AB_RATE_MESSAGE]" >&2; exit 2 ;;
esac

cd "$KB" || exit 2
for scen in "${scenarios[@]}"; do
	if [ "$scen" = call ]; then rates=$RATES_CALL gran=$GRAN_CALL ab=$AB_CALL; else rates=$RATES_MESSAGE gran=$GRAN_MESSAGE ab=$AB_MESSAGE; fi
	if [ "${SKIP_FIND_MAX:-0}" != 1 ]; then
		for cfg in ${CONFIGS:-k3 ext}; do
			echo "+ RESULTS=$REL/f DURATION=$DURATION MIN_COUNT=$MIN_COUNT EXT_CMD=$EXT_CMD ./find_max.sh $cfg $scen \"$rates\" $gran $REPEATS"
			RESULTS=$REL/f ./find_max.sh "$cfg" "$scen" "$rates" "$gran" "$REPEATS"
		done
	fi
	if [ "${SKIP_AB:-0}" != 1 ]; then
		echo "+ RESULTS=$REL/a${scen:0:1} DURATION=$DURATION MIN_COUNT=$MIN_COUNT EXT_CMD=$EXT_CMD ./ab_compare.sh $scen $ab $AB_ROUNDS k3 ext"
		RESULTS=$REL/a${scen:0:1} ./ab_compare.sh "$scen" "$ab" "$AB_ROUNDS" k3 ext
	fi
done
