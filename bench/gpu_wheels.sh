#!/usr/bin/env bash
# Wheels that bench/train_gpu.py (and `python -m reproduce`) need on the lent GPU machine, which has torch,
# transformers, peft, accelerate, rich and tensorboard (Python 3.12) but no network: pydantic, ruamel.yaml and
# DeepSpeed. DeepSpeed ships as an sdist; its wheel is built here, pure Python (its ops compile on first use
# there, where nvcc and ninja are). Writes .whl/ (git-ignored); see bench/README.md, section 5.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
rm -rf .whl && mkdir -p .whl
PY=${PYTHON:-.venv/bin/python}
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
  "pydantic==$("$PY" -c 'import pydantic; print(pydantic.VERSION)')" \
  "pydantic-core==$("$PY" -c 'import pydantic_core; print(pydantic_core.__version__)')" \
  annotated-types typing-inspection hjson \
  "ruamel.yaml==$("$PY" -c 'import ruamel.yaml; print(ruamel.yaml.__version__)')" ruamel.yaml.clib
"$PY" -m pip wheel -q --no-deps --no-build-isolation -w .whl deepspeed==0.19.8
ls -l .whl
