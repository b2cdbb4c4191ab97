#!/usr/bin/env bash
# GPU check for a lent GPU machine that has a GPU, Vulkan through its driver,
# python3 with PyTorch and onnxruntime, but no Node and no npm registry.
#
#   scripts/gpu-check.sh prepare        here: bundles a Node binary (this machine's, x86-64),
#                                       xlatent (one esbuild bundle), Dawn's dawn.node, the
#                                       native addon with its OpenBLAS libraries, the PyTorch
#                                       reference and the ONNX checker into .gpu-bundle/
#                                       (ignored by git, under 64 MiB)
#   scripts/gpu-check.sh run [options]  there (the device tool carries .gpu-bundle): prints
#                                       ms/epoch of the reference workload (7,000 x 256) and
#                                       of 57,000 x 256 on webgpu, on native with all cores
#                                       and for PyTorch on the same GPU, then runs the
#                                       exported ONNX encoder/decoder in python3 onnxruntime
#                                       against the TF.js outputs. Writes *.json under $OUT.
#
# run options: --sizes "7000 57000"  --epochs 2  --quick (sizes 300 600, one epoch: for a
# machine without a GPU, where webgpu runs on SwiftShader if chromium provides it).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUNDLE=${XLATENT_GPU_BUNDLE:-$ROOT/.gpu-bundle}
LIMIT_BYTES=$((64 * 1024 * 1024))
SWIFTSHADER_ICD=/usr/lib/chromium/vk_swiftshader_icd.json

die() { echo "gpu-check: $*" >&2; exit 2; }

torch_reference() {
  for f in "${XLATENT_TORCH_REF:-}" "$ROOT/../shared/bench/torch_rankaae_reference.py" "$ROOT/../../shared/bench/torch_rankaae_reference.py"; do
    if [ -n "$f" ] && [ -f "$f" ]; then echo "$f"; return; fi
  done
}

prepare() {
  local esbuild="$ROOT/node_modules/.bin/esbuild" addon="$ROOT/native/build/Release/xlatent_native.node"
  local dawn="$ROOT/node_modules/webgpu/dist/linux-x64/dawn.node"
  [ -x "$esbuild" ] || die "esbuild missing: run npm install first"
  [ -f "$dawn" ] || die "the webgpu package is not installed ($dawn missing)"
  [ "$(uname -m)" = x86_64 ] || die "the bundle carries this machine's node and addon, which must be x86-64"
  local stage="$BUNDLE/stage"
  rm -rf "$BUNDLE" && mkdir -p "$stage/lib" "$stage/lib-vulkan" "$stage/dist/linux-x64"
  # One ESM file; CommonJS dependencies inside it need a real `require`.
  "$esbuild" "$ROOT/scripts/gpu-check.ts" --bundle --platform=node --format=esm --target=node20 \
    --outfile="$stage/gpu-check.mjs" --log-level=warning --legal-comments=none \
    --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
    --banner:js="import { createRequire as __xlatentRequire } from 'node:module'; const require = __xlatentRequire(import.meta.url);"
  # The bundled `webgpu` package loads dist/linux-x64/dawn.node beside the bundle.
  cp "$dawn" "$stage/dist/linux-x64/"
  if [ -f "$addon" ]; then
    cp "$addon" "$stage/"
    # The addon's shared libraries that a machine without libopenblas may lack.
    ldd "$addon" | awk '/=> \// {print $3}' | grep -E 'openblas|gfortran|quadmath|gomp' | while read -r lib; do cp -L "$lib" "$stage/lib/"; done
  else
    echo "gpu-check: native addon not built; the bundle runs without the native backend" >&2
  fi
  # A Vulkan loader, used there only if the system has none.
  for v in /usr/lib/x86_64-linux-gnu/libvulkan.so.1 /usr/lib/chromium/libvulkan.so.1; do
    if [ -f "$v" ]; then cp -L "$v" "$stage/lib-vulkan/libvulkan.so.1"; break; fi
  done
  if command -v strip >/dev/null; then strip -o "$stage/node" "$(command -v node)"; else cp "$(command -v node)" "$stage/node"; fi
  local ref; ref=$(torch_reference)
  if [ -n "$ref" ]; then cp "$ref" "$stage/torch_rankaae_reference.py"; else echo "gpu-check: torch_rankaae_reference.py not found (set XLATENT_TORCH_REF); the bundle runs without the PyTorch comparison" >&2; fi
  cp "$ROOT/scripts/gpu_check_onnx.py" "$stage/"
  XZ_OPT=${XZ_OPT:--6 -T0} tar -C "$stage" -cJf "$BUNDLE/payload.tar.xz" .
  rm -rf "$stage"
  {
    echo "prepared $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "node $(node --version)"
  } > "$BUNDLE/MANIFEST"
  local size; size=$(du -cb "$BUNDLE"/* | tail -1 | cut -f1)
  [ "$size" -le "$LIMIT_BYTES" ] || die "bundle is $size bytes, over the 64 MiB the device tool carries"
  echo "gpu-check: $BUNDLE ready ($((size / 1024 / 1024)) MiB); on the GPU machine: scripts/gpu-check.sh run"
}

run() {
  local sizes="7000 57000" epochs=2 quick=0 onnx_n=2048
  while [ $# -gt 0 ]; do
    case "$1" in
      --sizes) sizes=$2; shift 2 ;;
      --epochs) epochs=$2; shift 2 ;;
      --quick) quick=1; sizes="300 600"; epochs=1; onnx_n=300; shift ;;
      *) die "unknown option $1" ;;
    esac
  done
  [ -f "$BUNDLE/payload.tar.xz" ] || die "no bundle at $BUNDLE; run scripts/gpu-check.sh prepare first (and carry .gpu-bundle)"
  command -v python3 >/dev/null || die "python3 is needed to unpack the bundle"
  local work; work=$(mktemp -d)
  # shellcheck disable=SC2064 # expanded now: `work` is local to this function
  trap "rm -rf '$work'" EXIT
  python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" "$BUNDLE/payload.tar.xz" "$work"
  local out=${OUT:-$work/out}
  mkdir -p "$out"
  export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$work/lib-vulkan"; fi
  [ -f "$work/xlatent_native.node" ] && export XLATENT_NATIVE_ADDON="$work/xlatent_native.node"
  export XLATENT_THREADS=${XLATENT_THREADS:-$(nproc)}
  if [ "$quick" = 1 ] && [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f "$SWIFTSHADER_ICD" ] && ! command -v nvidia-smi >/dev/null; then
    export VK_ICD_FILENAMES=$SWIFTSHADER_ICD
    echo "(quick run without a GPU: webgpu on SwiftShader, which measures this CPU)"
  fi
  local node="$work/node" js="$work/gpu-check.mjs"

  echo "== machine"
  (nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi") | sed 's/^/gpu: /'
  echo "cores: $(nproc); node $("$node" --version); python3 $(python3 -c 'import sys; print(sys.version.split()[0])')"
  timeout 120 "$node" "$js" info | tee "$out/info.json" || true

  : > "$out/train.jsonl"
  for n in $sizes; do
    for backend in webgpu native; do
      echo "== $backend, $n spectra x 256, $epochs timed epoch(s) after one warm-up"
      timeout 200 "$node" "$js" train "$backend" "$n" "$epochs" | tee -a "$out/train.jsonl" || echo "($backend at $n did not finish)"
    done
    echo "== PyTorch, $n spectra x 256"
    if [ ! -f "$work/torch_rankaae_reference.py" ]; then
      echo "skipped: the bundle has no torch_rankaae_reference.py"
    elif ! python3 -c "import torch" 2>/dev/null; then
      echo "skipped: python3 has no torch"
    else
      local device; device=$(python3 -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')")
      timeout 200 python3 "$work/torch_rankaae_reference.py" --device "$device" --n "$n" --epochs "$epochs" | tail -1 | tee -a "$out/train.jsonl" || echo "(torch at $n did not finish)"
    fi
  done

  echo "== ONNX export against python3 onnxruntime"
  local onnx_backend=webgpu
  grep -q '"backend":"webgpu"' "$out/train.jsonl" || onnx_backend=native
  if timeout 200 "$node" "$js" onnx "$onnx_backend" "$out/onnx" "$onnx_n" | tee "$out/onnx.json"; then
    python3 "$work/gpu_check_onnx.py" "$out/onnx" | tee "$out/onnx-check.json" || echo "(ONNX outputs disagree)"
  else
    echo "(ONNX export on $onnx_backend failed)"
  fi

  echo "== summary (ms per epoch; xlatent epochs include validation, PyTorch's do not)"
  "$node" -e '
    const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const by = {};
    for (const r of rows) if (r.ms_per_epoch !== undefined) (by[r.n] ??= {})[r.framework === "torch" ? "torch (" + r.device + ")" : r.backend] = r.ms_per_epoch;
    for (const [n, b] of Object.entries(by)) {
      const t = Object.entries(b).find(([k]) => k.startsWith("torch"));
      console.log(n + " x 256: " + Object.entries(b).map(([k, v]) => k + " " + Math.round(v) + (t && !k.startsWith("torch") ? " (" + (v / t[1]).toFixed(2) + "x torch)" : "")).join(", "));
    }' "$out/train.jsonl"
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  *) echo "usage: scripts/gpu-check.sh prepare | run [--quick] [--sizes \"7000 57000\"] [--epochs 2]" >&2; exit 2 ;;
esac
