#!/usr/bin/env bash
# Installs mmssl-transfer and its pinned OpenMMLab stack on a fresh Python 3.11 machine, in minutes.
#
#   bash tools/install.sh              # into ./.venv (created if missing): mmcv-lite, no compiler needed
#   bash tools/install.sh --active     # into the active Python environment instead
#   bash tools/install.sh --mmcv-ops   # compile mmcv 2.1.0 with all its C++ (and CUDA) ops instead of mmcv-lite
#
# Default (lite): the official pure-Python mmcv-lite 2.1.0; the two compiled ops this project needs (NMS and
# RoIAlign, for Faster R-CNN) come from torchvision's prebuilt CPU/CUDA kernels through a stand-in registered by
# mmssl_transfer.compat; every other mmcv op raises a clear error naming --mmcv-ops. Works on CPU and CUDA GPUs.
# --mmcv-ops (or MMSSL_MMCV_OPS=1): builds mmcv from its sdist (~25-40 min on 2 cores; C++ standard raised to
# C++20 for torch 2.14's headers); the wheel is cached per (python, torch, CUDA) under $MMSSL_CACHE/mmcv/ so it is
# never reused against another torch. FORCE_CUDA=1 is set when nvcc and a GPU are found (FORCE_CUDA=0/1 to choose).
# Every pip call carries -c requirements/constraints.txt (setuptools<82 keeps pkg_resources), on top of any
# constraints the machine's pip configuration names. torch, torchvision and mmcv are installed here rather than
# declared by setup.py: their build (CPU/CUDA wheel, lite or compiled mmcv) is a per-machine choice.
# Environment: MMSSL_CACHE (default ~/.cache/mmssl-transfer), PYTHON (base interpreter), MMSSL_NO_APT=1 (skip
# Debian's chromium, used only by the HTML-report test). Idempotent: a second run checks a stamp and the imports.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0
TARGET=venv
FLAVOUR=lite
[[ ${MMSSL_MMCV_OPS:-0} == 1 ]] && FLAVOUR=ops
for arg in "$@"; do
  case "$arg" in
    --active) TARGET=active ;;
    --mmcv-ops) FLAVOUR=ops ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument '$arg' (use --active, --mmcv-ops or nothing)" >&2; exit 2 ;;
  esac
done

CACHE_ROOT="${MMSSL_CACHE:-$HOME/.cache/mmssl-transfer}"
LOG_DIR="$CACHE_ROOT/install-logs"
mkdir -p "$LOG_DIR"
log() { printf '[install] %s\n' "$*"; }

# step NAME HINT CMD...: run one install step with its output in a log; on failure say which step failed and what
# to do, then show the tail of the step's own output (pip's error is at its end).
step() {
  local name=$1 hint=$2; shift 2
  local out="$LOG_DIR/$(date +%Y%m%d-%H%M%S)-${name// /_}.log"
  log "$name"
  if ! "$@" >"$out" 2>&1; then
    echo "install.sh: step '$name' failed: $hint" >&2
    echo "install.sh: its output ($out), last 40 lines:" >&2
    grep -v "^WARNING: Location '.*' is ignored" "$out" | tail -n 40 >&2
    exit 1
  fi
}

if [[ $TARGET == venv ]]; then
  BASE_PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
  if [[ ! -x "$ROOT/.venv/bin/python" ]]; then
    step "create .venv" "needs Python 3.11 with the venv module (Debian: apt-get install python3.11-venv)" \
      "$BASE_PY" -m venv "$ROOT/.venv"
  fi
  PY="$ROOT/.venv/bin/python"
else
  PY=$(command -v python)
fi
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 required, found {sys.version.split()[0]}"' \
  || { echo "install.sh: $PY is not Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
PIP=("$PY" -m pip --disable-pip-version-check)
PIN=(-c "$ROOT/requirements/constraints.txt")  # after each pip subcommand: install, download, wheel

# Headless Chromium renders the HTML report in its test (Debian package; skipped with MMSSL_NO_APT=1).
if ! command -v chromium >/dev/null && [[ -z ${MMSSL_NO_APT:-} ]] && command -v apt-get >/dev/null; then
  SUDO=$([[ $(id -u) == 0 ]] && echo "" || echo sudo)
  step "chromium (headless browser for the report test)" "install Debian's chromium yourself or set MMSSL_NO_APT=1" \
    bash -c "$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium"
fi

# Everything that decides what gets installed goes into the stamp.
STAMP_SRC=$( (cat "$0" "$ROOT"/requirements/*.txt "$ROOT/setup.py"; echo "$FLAVOUR") | sha256sum | cut -c1-16)
STAMP="$("$PY" -c 'import sys; print(sys.prefix)')/.mmssl-transfer-install"
if [[ -f "$STAMP" && $(cat "$STAMP") == "$STAMP_SRC" ]] && "$PY" "$ROOT/tools/check_install.py" --quick >/dev/null 2>&1; then
  log "already installed ($FLAVOUR mmcv; stamp $STAMP_SRC matches, imports work): nothing to do"
  exit 0
fi

step "build tools (setuptools<82, wheel)" "pip could not reach the package index or resolve setuptools<82" \
  "${PIP[@]}" install "${PIN[@]}" "setuptools>=77.0.3,<82" wheel packaging

step "torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION" \
  "pip could not install torch/torchvision (check the index, disk space, and that no other torch pin conflicts)" \
  "${PIP[@]}" install "${PIN[@]}" "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"

# compiled_mmcv_works: mmcv (not mmcv-lite) 2.1.0 is installed and its compiled NMS runs against this torch.
compiled_mmcv_works() {
  "$PY" - <<'PY' >/dev/null 2>&1
import importlib.metadata as md, importlib.util, torch
assert md.version("mmcv") == "2.1.0"
assert importlib.util.find_spec("mmcv._ext") is not None
from mmcv.ops import nms
nms(torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]]), torch.tensor([0.9, 0.8]), 0.5)
PY
}

if [[ $FLAVOUR == lite ]]; then
  if compiled_mmcv_works; then
    log "compiled mmcv==$MMCV_VERSION already works here: keeping it (it serves every op mmcv-lite does)"
    FLAVOUR=ops
  else
    "$PY" -m pip uninstall -y -q mmcv >/dev/null 2>&1 || true
    step "mmcv-lite==$MMCV_VERSION" "pip could not install mmcv-lite (pure Python; check the package index)" \
      "${PIP[@]}" install "${PIN[@]}" "mmcv-lite==$MMCV_VERSION"
  fi
elif compiled_mmcv_works; then
  log "mmcv==$MMCV_VERSION with compiled ops already works against this torch"
else
  if [[ -z ${FORCE_CUDA:-} ]]; then
    if command -v nvcc >/dev/null && "$PY" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
      export FORCE_CUDA=1
    else
      export FORCE_CUDA=0
    fi
  fi
  TAG=$("$PY" -c 'import sys, torch; print(f"py{sys.version_info[0]}{sys.version_info[1]}-torch{torch.__version__}")')-cuda$FORCE_CUDA
  WHEEL_DIR="$CACHE_ROOT/mmcv/$TAG"
  mkdir -p "$WHEEL_DIR"
  WHEEL=$(ls "$WHEEL_DIR"/mmcv-$MMCV_VERSION-*.whl 2>/dev/null | head -1 || true)
  if [[ -z $WHEEL ]]; then
    step "mmcv build requirements (ninja, psutil)" "pip could not install ninja/psutil" \
      "${PIP[@]}" install "${PIN[@]}" ninja psutil
    BUILD=$(mktemp -d)
    step "download the mmcv==$MMCV_VERSION sdist" "pip could not download mmcv's source (check the package index)" \
      "${PIP[@]}" download "${PIN[@]}" --no-deps --no-build-isolation --no-binary :all: "mmcv==$MMCV_VERSION" -d "$BUILD"
    tar -xzf "$BUILD"/mmcv-$MMCV_VERSION.tar.gz -C "$BUILD"
    # torch>=2.10 headers need C++20; mmcv 2.1.0's setup.py hard-codes -std=c++17 (open-mmlab/mmcv#3130 family).
    sed -i 's/-std=c++17/-std=c++20/g; s/-std=c++14/-std=c++20/g' "$BUILD/mmcv-$MMCV_VERSION/setup.py"
    step "compile mmcv==$MMCV_VERSION with ops for $TAG (about 25-40 min on 2 cores)" \
      "the C++/CUDA build failed: needs g++ (C++20) and, with FORCE_CUDA=1, an nvcc matching torch's CUDA; or use the default lite install (no --mmcv-ops)" \
      bash -c "cd '$BUILD/mmcv-$MMCV_VERSION' && MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
        $(printf '%q ' "${PIP[@]}") wheel $(printf '%q ' "${PIN[@]}") --no-build-isolation --no-deps --no-cache-dir -w '$WHEEL_DIR' ."
    rm -rf "$BUILD"
    WHEEL=$(ls "$WHEEL_DIR"/mmcv-$MMCV_VERSION-*.whl | head -1)
  else
    log "reusing the mmcv wheel built for $TAG: $WHEEL"
  fi
  "$PY" -m pip uninstall -y -q mmcv-lite >/dev/null 2>&1 || true
  step "install the compiled mmcv wheel" "pip could not install $WHEEL" \
    "${PIP[@]}" install "${PIN[@]}" --no-deps --force-reinstall "$WHEEL"
  # mmcv's own runtime requirements (without letting pip touch the compiled mmcv)
  step "mmcv runtime requirements" "pip could not install mmcv's runtime requirements" \
    "${PIP[@]}" install "${PIN[@]}" addict mmengine==0.10.7 "numpy<2.3" "opencv-python<5" packaging pillow pyyaml yapf
  compiled_mmcv_works || { echo "install.sh: step 'mmcv ops check' failed: mmcv.ops.nms does not run after the build; see $LOG_DIR" >&2; exit 1; }
fi

step "OpenMMLab packages and project requirements" \
  "pip could not resolve requirements/runtime.txt + tests.txt (check the package index; see the conflict above)" \
  "${PIP[@]}" install "${PIN[@]}" -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" \
  "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
step "mmssl_transfer (editable)" "pip could not install the project itself (setup.py)" \
  "${PIP[@]}" install "${PIN[@]}" --no-deps --no-build-isolation -e "$ROOT"

# Under mmcv-lite, a .pth file arms the ops stand-in at interpreter start, so that `import mmdet.models` (which imports
# mmcv.ops) works in this environment even before anything imports mmssl_transfer (user scripts, mmdet's own tools).
# It costs one light import (no torch) and is skipped when the package is absent.
SITE_PTH="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/mmssl_transfer_lite_ops.pth"
if [[ $FLAVOUR == lite ]]; then
  echo "import importlib.util as u; u.find_spec('mmssl_transfer') and __import__('mmssl_transfer')" > "$SITE_PTH"
else
  rm -f "$SITE_PTH"
fi

log "verify the stack (tools/check_install.py)"
"$PY" "$ROOT/tools/check_install.py" --expect "$FLAVOUR" \
  || { echo "install.sh: step 'verify the stack' failed: the line above says what does not work" >&2; exit 1; }
echo "$STAMP_SRC" > "$STAMP"
log "done ($FLAVOUR mmcv): activate with 'source $ROOT/.venv/bin/activate' (or use $PY)"
