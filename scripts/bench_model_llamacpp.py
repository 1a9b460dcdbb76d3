#!/usr/bin/env python3
"""llama.cpp's side of `magicpig bench model`: prefill and decode tokens/s on the same GGUF and token ids.

Driven by Sources/Harness/Bench/ModelBenchmark.swift, which tokenises the prompt text with its own tokenizer
(llama.cpp's ids, checked by the tokenizer fixtures) and passes the ids in a file, so both engines see the
same tokens. For each context C: prefill = one eval of ids[:C] after a reset (n_batch 512, as the engine's
512-token chunks); decode = D single-token evals of ids[C:C+D] after that prefill. Best of --repeats.

Prints tab-separated rows `phase context tokens seconds cpu_seconds` after a header (cpu_seconds: this
process's CPU time over the same interval, from the repeat with the best wall time), then `peak_rss_mb <MB>` (this
process's ru_maxrss: the model, its context and Python).
"""
import argparse
import resource
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids-file", required=True, help="whitespace- or comma-separated token ids")
    ap.add_argument("--contexts", default="512,4096")
    ap.add_argument("--decode-tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()

    try:
        from llama_cpp import Llama
    except ImportError as e:
        print(f"llama-cpp-python is not importable: {e}", file=sys.stderr)
        return 3

    with open(args.ids_file) as f:
        ids = [int(t) for t in f.read().replace(",", " ").split()]
    contexts = [int(c) for c in args.contexts.split(",") if c.strip()]
    need = max(contexts) + args.decode_tokens
    if len(ids) < need:
        print(f"{args.ids_file} has {len(ids)} ids; need {need}", file=sys.stderr)
        return 2

    llm = Llama(model_path=args.model, n_ctx=need + 16, n_batch=512, n_ubatch=512, n_threads=args.threads,
                n_threads_batch=args.threads, logits_all=False, verbose=False)
    llm.eval(ids[:8])  # warm-up: first-touch of the mapped weights and buffers
    llm.reset()

    print("phase\tcontext\ttokens\tseconds\tcpu_seconds")
    for c in contexts:
        best_prefill = best_decode = (float("inf"), 0.0)
        for _ in range(args.repeats):
            llm.reset()
            t0, u0 = time.perf_counter(), time.process_time()
            llm.eval(ids[:c])
            t1, u1 = time.perf_counter(), time.process_time()
            for i in range(args.decode_tokens):
                llm.eval([ids[c + i]])
            t2, u2 = time.perf_counter(), time.process_time()
            best_prefill = min(best_prefill, (t1 - t0, u1 - u0))
            best_decode = min(best_decode, (t2 - t1, u2 - u1))
        print(f"prefill\t{c}\t{c}\t{best_prefill[0]:.6f}\t{best_prefill[1]:.6f}", flush=True)
        print(f"decode\t{c}\t{args.decode_tokens}\t{best_decode[0]:.6f}\t{best_decode[1]:.6f}", flush=True)
        print(f"llama.cpp c={c}: prefill {c / best_prefill[0]:.1f} tok/s, decode {args.decode_tokens / best_decode[0]:.1f} tok/s",
              file=sys.stderr, flush=True)
    print(f"peak_rss_mb\t{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
