#!/usr/bin/env bash
# One prepared GPU session: a GPU is lent now and then, for minutes. On the machine with the
# GPU, from the repository root, with the wheels of scripts/gpu-wheels.sh in .whl/:
#
#     bash scripts/gpu-session.sh OUT
#
# 1. installs the packages the machine lacks from .whl/ (no network there);
# 2. benchmarks feature visualization on the GPU (OUT/benchmark.txt, about two minutes:
#    draft renders batched across jobs, 16 to 1,792 images a step; the fastest with
#    channels-last, a bfloat16 forward pass and TF32 switched, each with the yardstick; final);
# 3. computes every result of the example articles at final quality on the GPU
#    (`build --compute-only --quality final --device cuda`; OUT/compute.txt, with its seconds),
#    or of one article with ARTICLE=SLUG;
#    results that do not depend on the quality (activations, attribution, layouts, dataset
#    passes) come from the committed freezes, so the example photos need not travel;
# 4. packs what it computed (.cache/) into OUT/results-1.tar.part* (15 MB each), the first
#    slice of at most 58 MB: a call brings back 64 MB at most. `OUT/gpu.txt` says how many
#    slices there are; while the machine is still warm (30 s), the next call
#    `bash scripts/gpu-session.sh OUT --pack 2` packs the second, and so on. With PACK=0
#    nothing is packed: for articles already frozen at final on a CPU (which `verify`
#    reproduces byte for byte on any CPU), the session is there to time the GPU.
#
# An article frozen at QUALITY already has its renders computed again (scripts/gpu-strip-renders.py
# takes them out of the machine's copy of its freeze), so the time is that of every render.
# If the tree and the wheels pass 64 MiB, run `python3 scripts/gpu-strip-renders.py final` here
# before the call (the machine recomputes those renders anyway) and `git checkout -- articles/`
# after it.
#
# Each step has its own time limit, and what a step finished is kept when a later one is cut
# short. Back on a machine with the repository:
#
#     cat OUT/results-1.tar.part* | tar -xf -          # the results, into .cache/ (each slice)
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

# Slice N (from 1) of the computed results, 58 MB of cache entries a slice, into
# OUT/results-N.tar.part* of 15 MB.
pack() {
  echo "== packing slice $1" | tee -a "$OUT/gpu.txt"
  python3 - "$1" "$OUT" "${SLICE_BYTES:-58000000}" <<'PY' | tee -a "$OUT/gpu.txt"
import pathlib, sys, tarfile
n, out, most = int(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
cache = pathlib.Path(".cache")
entries = sorted(p for p in [*cache.glob("[0-9a-f][0-9a-f]/*"), *cache.glob("blobs/*")] if p.exists())
slices, current, size = [], [], 0
for entry in entries:
    bytes_ = sum(f.stat().st_size for f in ([entry] if entry.is_file() else entry.rglob("*")) if f.is_file())
    if current and size + bytes_ > most:
        slices.append(current)
        current, size = [], 0
    current.append(entry)
    size += bytes_
if current:
    slices.append(current)
print(f"{len(entries)} results in {len(slices)} slice(s); this is slice {n}")
if n <= len(slices):
    with tarfile.open(out / f"results-{n}.tar", "w") as tar:
        for entry in slices[n - 1]:
            tar.add(entry)
PY
  if [ -f "$OUT/results-$1.tar" ]; then
    split -b 15m "$OUT/results-$1.tar" "$OUT/results-$1.tar.part" && rm "$OUT/results-$1.tar"
  fi
  ls -la "$OUT" | tee -a "$OUT/gpu.txt"
}

if [ "${2:-}" = --pack ]; then       # a later slice, on the same warm machine
  pack "${3:?give the slice}"
  exit 0
fi
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
# Articles frozen at this quality already: their renders are computed again here, to time them.
python3 scripts/gpu-strip-renders.py "$QUALITY" | tee -a "$OUT/gpu.txt"
start=$(date +%s)
timeout "${COMPUTE_SECONDS:-300}" python3 -m generator build --compute-only --quality "$QUALITY" --device "$DEVICE" \
  ${ARTICLE:+--article "$ARTICLE"} --quiet >"$OUT/compute.txt" 2>&1
echo "compute exit $? after $(( $(date +%s) - start )) s" | tee -a "$OUT/compute.txt" "$OUT/gpu.txt"

if [ "${PACK:-1}" != 0 ]; then
  pack 1
fi
