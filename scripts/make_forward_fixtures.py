#!/usr/bin/env python3
"""Reference numbers for the forward pass (Tests/EngineTests/ForwardRealModelTests.swift), from llama.cpp.

For each model: the token ids of a fixed ~160-token text and llama.cpp's mean next-token NLL over it, and
32-token greedy continuations of three ChatML prompts, with the top-2 logit gap at every generated step
(a difference from llama.cpp is acceptable only after a near-tie there). Token ids come from llama.cpp's own
tokenizer, so the Swift tests need no tokenizer.

    pip install llama-cpp-python        # builds llama.cpp (≈5 min on 2 cores)
    MAGICPIG_MODELS_DIR=.cache/models python3 scripts/make_forward_fixtures.py [--bench]

Writes Tests/EngineTests/Fixtures/forward/<model>.json. Deterministic (greedy, fixed inputs).
--bench also times llama.cpp decode at 512 context with 2 threads and prints it (not written).
"""
import json
import math
import os
import sys
import time

import numpy as np
from llama_cpp import Llama

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.environ.get("MAGICPIG_MODELS_DIR", os.path.join(ROOT, ".cache", "models"))
OUT = os.path.join(ROOT, "Tests", "EngineTests", "Fixtures", "forward")

TEXT = (
    "The lighthouse keeper climbed the spiral stairs every evening at dusk. For forty-two years he had "
    "trimmed the wick, polished the great lens and logged the passing ships in a leather-bound book. "
    "Storms came in from the west, usually in November, and the waves broke white against the rocks "
    "below. One winter night in 1987 the power failed across the whole coast, yet the old lamp kept "
    "turning, fed by the oil he had stored in the cellar. A fishing boat, the Marianne, found her way "
    "home by its light. Her captain later wrote a letter of thanks, which the keeper framed and hung "
    "beside the door. When the station was automated, he moved to a small cottage in the village."
)

PROMPTS = [
    "What is the capital of France?",
    "Write a Python function that returns the sum of a list of numbers.",
    "Explain in two sentences why the sky is blue.",
]

GENERATED = 32


def chatml(question):
    return (f"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n")


def log_softmax(row):
    m = row.max()
    return row - (m + math.log(np.exp(row - m).sum()))


def mean_nll(llm, ids):
    llm.reset()
    llm.eval(ids)
    logits = np.array(llm.scores[: len(ids)], dtype=np.float64)
    return float(np.mean([-log_softmax(logits[t])[ids[t + 1]] for t in range(len(ids) - 1)]))


def greedy(llm, ids, n):
    """Greedy continuation by hand (argmax of each step's logits), recording the top-2 gap per step."""
    llm.reset()
    llm.eval(ids)
    out, gaps = [], []
    for _ in range(n):
        row = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64)
        top = np.argsort(-row)[:2]
        out.append(int(top[0]))
        gaps.append(float(row[top[0]] - row[top[1]]))
        llm.eval([int(top[0])])
    return out, gaps


def bench_decode(llm, context, steps=64):
    ids = [int(i) for i in np.random.default_rng(0).integers(100, 10000, size=context)]
    llm.reset()
    llm.eval(ids)
    start = time.perf_counter()
    for i in range(steps):
        llm.eval([ids[i]])
    return steps / (time.perf_counter() - start)


def main():
    os.makedirs(OUT, exist_ok=True)
    bench = "--bench" in sys.argv
    for name in ["smollm2", "qwen2.5-0.5b"]:
        path = os.path.join(MODELS, f"{name}.gguf")
        if not os.path.exists(path):
            print(f"skip {name}: {path} not found")
            continue
        llm = Llama(model_path=path, n_ctx=1024, logits_all=True, n_threads=2, verbose=False)
        text_ids = llm.tokenize(TEXT.encode(), add_bos=False, special=True)
        fixture = {
            "model": name,
            "llama_cpp_version": __import__("llama_cpp").__version__,
            "text": TEXT,
            "text_ids": text_ids,
            "mean_nll": mean_nll(llm, text_ids),
            "prompts": [],
        }
        for question in PROMPTS:
            ids = llm.tokenize(chatml(question).encode(), add_bos=False, special=True)
            out, gaps = greedy(llm, ids, GENERATED)
            fixture["prompts"].append({"question": question, "ids": ids, "greedy": out, "top2_gap": gaps})
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump(fixture, f, indent=1)
        print(f"{name}: {len(text_ids)} text tokens, mean NLL {fixture['mean_nll']:.5f}")
        if bench:
            big = Llama(model_path=path, n_ctx=1024, n_threads=2, verbose=False)
            print(f"{name}: llama.cpp decode at 512 context: {bench_decode(big, 512):.1f} tok/s (2 threads)")


if __name__ == "__main__":
    main()
