#!/usr/bin/env bash
# One prepared GPU session: a GPU is lent now and then, for minutes. On the machine with the
# GPU, from the repository root, with the wheels of scripts/gpu-wheels.sh in .whl/:
#
#     bash scripts/gpu-session.sh OUT
#
# 1. installs the packages the machine lacks from .whl/ (no network there);
# 2. benchmarks feature visualization on the GPU (OUT/benchmark.txt: batch 16, one batch of
#    112, renders batched across jobs up to 896 images a step, channels-last, TF32);
# 3. computes every result of the example articles at final quality on the GPU
#    (`build --compute-only --quality final --device cuda`; OUT/compute.txt, with its seconds);
#    results that do not depend on the quality (activations, attribution, layouts, dataset
#    passes) come from the committed freezes, so the example photos need not travel;
# 4. packs what it computed (.cache/) into OUT/results.tar.part* (15 MB each).
#
# Each step has its own time limit, and what a step finished is kept when a later one is cut
# short. Back on a machine with the repository:
#
#     cat OUT/results.tar.part* | tar -xf -            # the results, into .cache/
#     python -m generator build --quality final        # computes nothing; check the pictures
#     python -m generator freeze what-a-small-network-sees --quality final   # and the guide
#
# then set `quality: final` in both articles' front matter and commit the freezes.
#
# A dry run on a CPU, to check the procedure: DEVICE=cpu QUALITY=tiny BENCH_SECONDS=0.
set -uo pipefail
OUT=${1:?give the folder for the results}
DEVICE=${DEVICE:-cuda}
QUALITY=${QUALITY:-final}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || { echo "installing .whl/ failed"; exit 1; }
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
if [ "$DEVICE" = cuda ]; then
  python3 -c "import torch; assert torch.cuda.is_available(), 'torch sees no GPU'; print(torch.__version__, torch.cuda.get_device_name(0))" \
    | tee "$OUT/gpu.txt" || exit 1
fi

if [ "${BENCH_SECONDS:-200}" != 0 ]; then
  echo "== benchmark" | tee -a "$OUT/gpu.txt"
  timeout "${BENCH_SECONDS:-200}" python3 -m benchmarks.featurevis --device "$DEVICE" >"$OUT/benchmark.txt" 2>&1
  echo "benchmark exit $?" | tee -a "$OUT/gpu.txt"
fi

echo "== $QUALITY-quality results of the example articles" | tee -a "$OUT/gpu.txt"
start=$(date +%s)
timeout "${COMPUTE_SECONDS:-300}" python3 -m generator build --compute-only --quality "$QUALITY" --device "$DEVICE" \
  --quiet >"$OUT/compute.txt" 2>&1
echo "compute exit $? after $(( $(date +%s) - start )) s" | tee -a "$OUT/compute.txt" "$OUT/gpu.txt"

echo "== packing" | tee -a "$OUT/gpu.txt"
ls -d .cache/[0-9a-f][0-9a-f] >/dev/null 2>&1 && tar -cf - .cache/[0-9a-f][0-9a-f] .cache/blobs 2>/dev/null \
  | split -b 15m - "$OUT/results.tar.part"
ls -la "$OUT" | tee -a "$OUT/gpu.txt"
