#!/usr/bin/env bash
# Distributed training with torchrun: one process per GPU (on a machine without CUDA: CPU processes, gloo).
#   tools/dist_train.sh CONFIG GPUS [train.py options]
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.0.1 PORT=29500 tools/dist_train.sh CONFIG 8 ...   # multi-node
# One node without PORT: torchrun --standalone (a free port). The config's total batch is split over the GPUs;
# GPUS that do not divide it train the schedule linearly scaled to fit (one line says so; --paper-only refuses).
# PYTHON selects the interpreter (default: the project's .venv/bin/python if present, else python on PATH).
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 CONFIG GPUS [train.py options]" >&2
  exit 2
fi
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -z "${PYTHON:-}" ]]; then  # the project's Python: its .venv if there is one, else python on PATH
  if [[ -x "$ROOT/.venv/bin/python" ]]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python; fi
fi
if [[ "$NNODES" == 1 && -z "${PORT:-}" ]]; then
  RENDEZVOUS=(--standalone)  # one machine: torchrun picks a free port (runs side by side do not collide)
else
  RENDEZVOUS=(--nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" --master_port="${PORT:-29500}")
fi

# mmssl_transfer.torchrun: torchrun, but a clean refusal (exit 2, said once) is not followed by its traceback
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m mmssl_transfer.torchrun \
    "${RENDEZVOUS[@]}" \
    --nproc_per_node="$GPUS" \
    "$ROOT/tools/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
