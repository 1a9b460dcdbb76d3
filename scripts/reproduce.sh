#!/usr/bin/env bash
# Regenerate every committed result under results/ from its config or command, then the PNGs.
#   bash scripts/reproduce.sh [captures|figures|bench|all]      (default: all)
# captures: the project's own captures of the real models (made once, kept in captures/, not committed):
#   SmolLM2-135M on the whole GPL-3 text (7.6K tokens, near its 8K context) and Qwen2.5-0.5B on
#   GPL-3 + GPL-2 + LGPL-2.1 (17K tokens), 16 greedy steps each; Qwen2.5-0.5B on a 4K niah_multikey_2 prompt. figures replays them (and the
# independent SmolLM2 capture in ../shared/data, development machines only); the benchmarks synthesise their inputs. Results folders are rebuilt from scratch (no reused cells), so
# each manifest names the commit that produced every number in it.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
swift build -c release --product magicpig
B=.build/release/magicpig

if [ "$what" = captures ] || [ "$what" = figures ] || [ "$what" = all ]; then
    bash scripts/fetch_models.sh all
    mkdir -p captures
    L=/usr/share/common-licenses
    # The committed paper figures (results/paper-*) were made from Float32-cache captures, before Float16 became
    # the engine's default (eighth session); --kv-type float32 keeps this script reproducing them.
    KV="--kv-type float32"
    if [ ! -f captures/smollm2-gpl3-8k.h5 ]; then
        $B capture --model smollm2 $KV --prompt-file $L/GPL-3 --decode-steps 16 \
            --layers 0,4,8,12,16,20,24,29 --out captures/smollm2-gpl3-8k.h5
    fi
    if [ ! -f captures/qwen-licences-17k.h5 ]; then
        cat $L/GPL-3 $L/GPL-2 $L/LGPL-2.1 > captures/licences-prompt.txt
        $B capture --model qwen2.5-0.5b $KV --prompt-file captures/licences-prompt.txt --decode-steps 16 \
            --layers 0,4,8,12,16,20,23 --out captures/qwen-licences-17k.h5
    fi
    if [ ! -f captures/qwen-niah-mk2-4k.h5 ]; then
        $B task --name niah_multikey_2 --length 4096 --model qwen2.5-0.5b --index 0 \
            | python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin)["prompt"])' \
            > captures/qwen-niah-mk2-4k-prompt.txt
        $B capture --model qwen2.5-0.5b $KV --prompt-file captures/qwen-niah-mk2-4k-prompt.txt --decode-steps 12 \
            --out captures/qwen-niah-mk2-4k.h5
    fi
fi
if [ "$what" = figures ] || [ "$what" = all ]; then
    for config in experiments/paper/*.yaml; do
        name=$(sed -n 's/^name: *//p' "$config")
        rm -rf "results/$name"
        $B run "$config" --quiet
        python3 scripts/plot.py "results/$name"
    done
fi
if [ "$what" = bench ] || [ "$what" = all ]; then
    $B bench replay --threads 1 --repeats 3 --out results/bench/replay-t1.csv
    $B bench replay --threads 2 --repeats 3 --out results/bench/replay-t2.csv
    $B bench attention --threads 1 --out results/bench/attention-t1.csv
    $B bench attention --threads 2 --out results/bench/attention-t2.csv
    $B bench attention --threads 1 --dtype float16 --out results/bench/attention-fp16-t1.csv
    $B bench attention --threads 2 --dtype float16 --out results/bench/attention-fp16-t2.csv
    python3 scripts/plot.py results/bench/replay-t1.csv results/bench/replay-t2.csv \
        results/bench/attention-t1.csv results/bench/attention-t2.csv \
        results/bench/attention-fp16-t1.csv results/bench/attention-fp16-t2.csv
fi
