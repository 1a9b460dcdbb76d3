#!/usr/bin/env bash
# Regenerate every committed result under results/ from its config or command, then the PNGs.
#   bash scripts/reproduce.sh [figures|bench|all]      (default: all)
# Figures replay the real SmolLM2 capture in ../shared/data (development machines only); the
# benchmarks synthesise their inputs. Results folders are rebuilt from scratch (no reused cells), so
# each manifest names the commit that produced every number in it.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
swift build -c release --product magicpig
B=.build/release/magicpig

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
    python3 scripts/plot.py results/bench/replay-t1.csv results/bench/replay-t2.csv \
        results/bench/attention-t1.csv results/bench/attention-t2.csv
fi
