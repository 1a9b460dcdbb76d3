#!/usr/bin/env python3
"""llama.cpp's greedy answer to prompts printed by `magicpig task`: an independent check that a model's
RULER-style answers come from the model, not from the engine.

    B=.build/release/magicpig
    $B task --name cwe --length 4096 --model qwen2.5-0.5b > /tmp/cwe.json
    python3 scripts/llamacpp_answer.py --model .cache/models/qwen2.5-0.5b.gguf /tmp/cwe.json [more.json …]

Prints per prompt: task, token count (compare with context_tokens + query_tokens), the greedy answer (stops at
end of turn), the references. Needs llama-cpp-python (not installed by setup.sh: it builds llama.cpp).
"""
import argparse
import json

from llama_cpp import Llama


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=None, help="default: the task's max_new_tokens")
    ap.add_argument("prompts", nargs="+")
    a = ap.parse_args()
    prompts = [json.load(open(p)) for p in a.prompts]
    n_ctx = max(p["length"] for p in prompts) + 64
    llm = Llama(model_path=a.model, n_ctx=n_ctx, n_threads=a.threads, verbose=False)
    for p in prompts:
        ids = llm.tokenize(p["prompt"].encode(), add_bos=False, special=True)
        r = llm.create_completion(prompt=ids, max_tokens=a.max_tokens or p["max_new_tokens"], temperature=0.0,
                                  top_k=1, repeat_penalty=1.0)
        print(json.dumps({"task": p["task"], "index": p["index"], "tokens": len(ids),
                          "magicpig_tokens": p["context_tokens"] + p["query_tokens"],
                          "answer": r["choices"][0]["text"], "references": p["references"]}))


if __name__ == "__main__":
    main()
