#!/usr/bin/env bash
# Installs mmssl-transfer and its pinned OpenMMLab stack on a fresh Python 3.11 machine.
#
#   bash tools/install.sh            # into ./.venv (created if missing)
#   bash tools/install.sh --active   # into the active Python environment instead
#
# Idempotent: a second run checks a stamp plus a quick import test and finishes in seconds.
# mmcv 2.1.0 is compiled from its sdist with the C++ ops (about 25 min on 2 cores). The built wheel is
# cached per (python, torch, CUDA) in ~/.cache/mmssl-transfer/mmcv/ so that it is never reused against
# another torch (pip's own cache keys wheels by source only). On a machine with a CUDA GPU and nvcc the
# same script builds the CUDA ops (FORCE_CUDA=1 is set automatically when nvcc and a GPU are found; set
# FORCE_CUDA=1 yourself to build them on a GPU-less build host, FORCE_CUDA=0 to never build them).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0
TARGET=venv
for arg in "$@"; do
  case "$arg" in
    --active) TARGET=active ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument '$arg' (use --active or nothing)" >&2; exit 2 ;;
  esac
done

log() { printf '[install] %s\n' "$*"; }

if [[ $TARGET == venv ]]; then
  BASE_PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
  if [[ ! -x "$ROOT/.venv/bin/python" ]]; then
    log "creating virtual environment $ROOT/.venv with $BASE_PY"
    "$BASE_PY" -m venv "$ROOT/.venv"
  fi
  PY="$ROOT/.venv/bin/python"
else
  PY=$(command -v python)
fi
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 required, found {sys.version.split()[0]}"'
PIP=("$PY" -m pip --disable-pip-version-check)

# Headless Chromium renders the HTML report in its test (Debian package; skipped with MMSSL_NO_APT=1).
if ! command -v chromium >/dev/null && [[ -z ${MMSSL_NO_APT:-} ]] && command -v apt-get >/dev/null; then
  log "chromium (headless browser for the report test)"
  SUDO=$([[ $(id -u) == 0 ]] && echo "" || echo sudo)
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# Everything that decides what gets installed goes into the stamp.
STAMP_SRC=$(cat "$0" "$ROOT"/requirements/*.txt "$ROOT/setup.py" | sha256sum | cut -c1-16)
STAMP="$("$PY" -c 'import sys; print(sys.prefix)')/.mmssl-transfer-install"
if [[ -f "$STAMP" && $(cat "$STAMP") == "$STAMP_SRC" ]] && "$PY" "$ROOT/tools/check_install.py" --quick >/dev/null 2>&1; then
  log "already installed (stamp $STAMP_SRC matches, imports work): nothing to do"
  exit 0
fi

log "build tools"
"${PIP[@]}" install -q "setuptools<82" wheel ninja psutil packaging

log "torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION"
"${PIP[@]}" install -q "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"

mmcv_ok() {
  "$PY" - <<'PY' >/dev/null 2>&1
import importlib.metadata as md, torch
assert md.version("mmcv") == "2.1.0"
from mmcv.ops import nms, roi_align
b = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]]); s = torch.tensor([0.9, 0.8])
nms(b, s, 0.5)
PY
}

if mmcv_ok; then
  log "mmcv==$MMCV_VERSION with ops already works against this torch"
else
  if [[ -z ${FORCE_CUDA:-} ]]; then
    if command -v nvcc >/dev/null && "$PY" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
      export FORCE_CUDA=1
    else
      export FORCE_CUDA=0
    fi
  fi
  TAG=$("$PY" -c 'import sys, torch; print(f"py{sys.version_info[0]}{sys.version_info[1]}-torch{torch.__version__}")')-cuda$FORCE_CUDA
  CACHE="${MMSSL_CACHE:-$HOME/.cache/mmssl-transfer}/mmcv/$TAG"
  mkdir -p "$CACHE"
  WHEEL=$(ls "$CACHE"/mmcv-$MMCV_VERSION-*.whl 2>/dev/null | head -1 || true)
  if [[ -z $WHEEL ]]; then
    log "building mmcv==$MMCV_VERSION with ops for $TAG (about 25 min on 2 cores)"
    BUILD=$(mktemp -d)
    "${PIP[@]}" download -q --no-deps --no-build-isolation --no-binary :all: "mmcv==$MMCV_VERSION" -d "$BUILD"
    tar -xzf "$BUILD"/mmcv-$MMCV_VERSION.tar.gz -C "$BUILD"
    # torch>=2.10 headers need C++20; mmcv 2.1.0's setup.py hard-codes -std=c++17 (open-mmlab/mmcv#3130 family).
    sed -i 's/-std=c++17/-std=c++20/g; s/-std=c++14/-std=c++20/g' "$BUILD/mmcv-$MMCV_VERSION/setup.py"
    (cd "$BUILD/mmcv-$MMCV_VERSION" && MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      "${PIP[@]}" wheel -q --no-build-isolation --no-deps --no-cache-dir -w "$CACHE" .)
    rm -rf "$BUILD"
    WHEEL=$(ls "$CACHE"/mmcv-$MMCV_VERSION-*.whl | head -1)
  else
    log "reusing mmcv wheel built for $TAG: $WHEEL"
  fi
  "${PIP[@]}" install -q --no-deps --force-reinstall "$WHEEL"
  # mmcv's own runtime requirements (without letting pip touch the compiled mmcv)
  "${PIP[@]}" install -q addict mmengine==0.10.7 "numpy<2.3" "opencv-python<5" packaging pillow pyyaml yapf
  mmcv_ok || { echo "install.sh: mmcv.ops (nms, roi_align) does not run after the build: see the log above" >&2; exit 1; }
fi

log "OpenMMLab packages and project requirements"
"${PIP[@]}" install -q -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" "mmcv==$MMCV_VERSION" \
  "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"

log "verifying the stack"
"$PY" "$ROOT/tools/check_install.py"
echo "$STAMP_SRC" > "$STAMP"
log "done: activate with 'source $ROOT/.venv/bin/activate' (or use $PY)"
