#!/usr/bin/env bash
# The README's main job: set up, build, make a synthetic capture, replay the quickstart
# comparison (exact, TopK, oracle sampling, MagicPIG K×L grid) and print the summary.
# Until the model engine lands, the capture is synthetic (LLM-like structure, not a real model).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product magicpig
BIN=.build/release/magicpig
mkdir -p captures
[ -f captures/synthetic.h5 ] || $BIN synth --out captures/synthetic.h5 --tokens 4096 --layers 4 --heads 8 --kv-heads 2 --head-dim 64 --steps 16 --seed 0
echo "NOTE: this replays a SYNTHETIC capture (LLM-like structure, no real model yet); see README, Status." >&2
OUT=$($BIN run experiments/quickstart.yaml "$@")
echo "== $OUT/summary.csv (synthetic capture) =="
column -s, -t < "$OUT/summary.csv" | cut -c1-200
