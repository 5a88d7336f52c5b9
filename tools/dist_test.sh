#!/usr/bin/env bash
# Distributed testing with torchrun: one process per GPU (on a machine without CUDA: CPU processes, gloo).
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]
# NNODES, NODE_RANK, MASTER_ADDR, PORT as in dist_train.sh (one node without PORT: a free port); PYTHON selects
# the interpreter. The metrics equal a one-process test's: every image is evaluated once, in dataset order.
set -euo pipefail
if [[ $# -lt 3 ]]; then
  echo "usage: $0 CONFIG CHECKPOINT GPUS [test.py options]" >&2
  exit 2
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}
if [[ "$NNODES" == 1 && -z "${PORT:-}" ]]; then
  RENDEZVOUS=(--standalone)  # one machine: torchrun picks a free port (runs side by side do not collide)
else
  RENDEZVOUS=(--nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" --master_port="${PORT:-29500}")
fi

PYTHONPATH="$(dirname "$0")/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m mmssl_transfer.torchrun \
    "${RENDEZVOUS[@]}" \
    --nproc_per_node="$GPUS" \
    "$(dirname "$0")/test.py" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
