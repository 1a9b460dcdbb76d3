#!/usr/bin/env python3
"""numpy implementation of the replay benchmark, timed beside the Swift one by `magicpig bench replay`.

Replays sample 0 of a capture exactly as the Swift harness does (prepare on the prompt prefix, then per
captured query append the generated tokens and attend every query head of the KV head's group), with the
method implementations of scripts/reference_numpy.py on float32 tensors. Prints tab-separated rows:
    spec<TAB>queries<TAB>seconds<TAB>prepare_seconds
where spec is the --method string as given (e.g. magicpig:K=10,L=150) and seconds the best of --repeats.

MagicPIG in numpy hashes the prompt once per head (prepare) and compares every key's L codes with the
query's per query (vectorised) — the natural numpy formulation; the Swift version walks CSR buckets.
"""
import argparse
import math
import os
import sys
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_numpy as ref  # noqa: E402


def parse_spec(spec):
    name, _, rest = spec.partition(":")
    params = {}
    for pair in filter(None, rest.split(",")):
        k, _, v = pair.partition("=")
        try:
            params[k] = int(v)
        except ValueError:
            try:
                params[k] = float(v)
            except ValueError:
                params[k] = {"true": True, "false": False}.get(v, v)
    return name, params


def load(path):
    with h5py.File(path, "r") as f:
        s = f["samples/0"]
        n0 = int(s.attrs["prompt_tokens"])
        positions = s["query_positions"][:]
        layers = []
        for name in sorted(s["layers"], key=int):
            g = s["layers"][name]
            layers.append((g["keys"][:].astype(np.float32), g["values"][:].astype(np.float32),
                           g["queries"][:].astype(np.float32)))
    return n0, positions, layers


class Method:
    def __init__(self, name, params, sink, local, seed=0):
        self.name, self.params, self.sink, self.local = name, params, sink, local
        self.rng = np.random.default_rng(seed)
        if name == "magicpig":
            self.K, self.L = params.get("K", 10), params.get("L", 150)
            self.threshold = params.get("threshold", 2)
            self.centering = params.get("centering", True)
        elif name not in ("exact", "topk", "oracle_sampling"):
            raise SystemExit(f"bench_replay_numpy: method {name} has no numpy implementation")

    def prepare(self, prompt_keys, n0):
        if self.name == "magicpig":
            d = prompt_keys.shape[1]
            W = self.rng.standard_normal((d, self.K * self.L)).astype(np.float32)
            return ref.magicpig_prepare(prompt_keys, n0, self.sink, self.local, W, self.K, self.L, self.centering)
        return None

    def attend(self, state, q, keys, values):
        n = keys.shape[0]
        if self.name == "exact":
            return ref.exact(q, keys, values)[0]
        if self.name == "topk":
            return ref.topk(q, keys, values, budget=self.params.get("budget"), k=self.params.get("count"))[0]
        if self.name == "oracle_sampling":
            m = max(1, int(self.params["budget"] * n))
            return ref.oracle_sampling(q, keys, values, m, self.rng)[0]
        return ref.magicpig_attend(state, q, keys, values, self.threshold)[0]


def replay(method, n0, positions, layers):
    """Returns (queries, total seconds, prepare seconds)."""
    queries, prepare_time = 0, 0.0
    start = time.perf_counter()
    for keys, values, qs in layers:
        kv_heads, heads = keys.shape[0], qs.shape[0]
        group = heads // kv_heads
        p = min(n0, int(positions[0]) + 1)
        for kv in range(kv_heads):
            t = time.perf_counter()
            state = method.prepare(keys[kv, :p], p)
            prepare_time += time.perf_counter() - t
            for step, pos in enumerate(positions):
                k, v = keys[kv, : pos + 1], values[kv, : pos + 1]
                for h in range(kv * group, (kv + 1) * group):
                    method.attend(state, qs[h, step], k, v)
                    queries += 1
    return queries, time.perf_counter() - start, prepare_time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--capture", required=True)
    ap.add_argument("--method", action="append", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sink", type=int, default=4)
    ap.add_argument("--local", type=int, default=64)
    args = ap.parse_args()
    n0, positions, layers = load(args.capture)
    print("spec\tqueries\tseconds\tprepare_seconds")
    for spec in args.method:
        name, params = parse_spec(spec)
        best = None
        for _ in range(args.repeats):
            result = replay(Method(name, params, args.sink, args.local), n0, positions, layers)
            best = result if best is None or result[1] < best[1] else best
        print(f"{spec}\t{best[0]}\t{best[1]:.6f}\t{best[2]:.6f}", flush=True)


if __name__ == "__main__":
    main()
