#!/usr/bin/env python3
"""Writes the small JSON fixtures the Swift tests compare against (seeded, reproducible):

    python3 scripts/make_approximator_fixtures.py

Each fixture holds a prompt's keys/values, generated tokens appended after prepare, queries,
the method's parameters (and W for MagicPIG, draws for oracle sampling) and the numpy
reference's output and log-sum-exp per query (scripts/reference_numpy.py, float64).
Hash margins: W and the data are re-drawn until every |x·W[:, c]| > 1e-3, so float32 (Swift)
and float64 (numpy) agree on every SimHash bit.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_numpy as ref  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ApproximatorsTests", "Fixtures")
MARGIN = 1e-3


def f32(a):
    """Round to float32 so both sides start from identical inputs."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def data(rng, d, n0, gen, queries, offset):
    keys = f32(rng.standard_normal((n0 + gen, d)) + offset)
    values = f32(rng.standard_normal((n0 + gen, d)))
    qs = f32(rng.standard_normal((queries, d)) * 1.5)
    return keys, values, qs


def base(name, method, d, n0, sink, local, keys, values, qs, params):
    return {
        "name": name, "method": method, "dim": d, "sink": sink, "local": local,
        "prompt_keys": keys[:n0].ravel().tolist(), "prompt_values": values[:n0].ravel().tolist(),
        "generated_keys": keys[n0:].ravel().tolist(), "generated_values": values[n0:].ravel().tolist(),
        "queries": qs.ravel().tolist(), "params": params, "W": None, "draws": None, "expected": [],
    }


def magicpig_fixture(name, seed, d, n0, gen, sink, local, K, L, threshold, centering, queries=4):
    rng = np.random.default_rng(seed)
    while True:
        keys, values, qs = data(rng, d, n0, gen, queries, offset=rng.standard_normal(d) * 0.8)
        W = f32(rng.standard_normal((d, K * L)))
        s_end, l_start = ref.layout(n0, sink, local)
        mid = keys[s_end:l_start]
        kbar = mid.mean(axis=0) if centering and len(mid) else np.zeros(d)
        if np.abs((mid - kbar) @ W).min(initial=np.inf) > MARGIN and np.abs(qs @ W).min() > MARGIN:
            break
    fx = base(name, "magicpig", d, n0, sink, local, keys, values, qs,
              {"K": K, "L": L, "threshold": threshold, "centering": centering})
    fx["W"] = W.ravel().tolist()
    for q in qs:
        out, lse, S = ref.magicpig(q, keys, values, n0, sink, local, W, K, L, threshold, centering)
        fx["expected"].append({"output": out.tolist(), "lse": lse, "selected": S.tolist()})
    return fx


def topk_fixture(name, seed, d, n0, gen, sink, local, params, queries=4):
    rng = np.random.default_rng(seed)
    keys, values, qs = data(rng, d, n0, gen, queries, offset=0.0)
    fx = base(name, "topk", d, n0, sink, local, keys, values, qs, params)
    for q in qs:
        out, lse, rows = ref.topk(q, keys, values, k=params.get("count"), budget=params.get("budget"),
                                  static=params.get("static", False), n0=n0, sink=sink, local=local)
        fx["expected"].append({"output": out.tolist(), "lse": lse, "selected": rows.tolist()})
    return fx


def exact_fixture(name, seed, d, n0, gen, queries=4):
    rng = np.random.default_rng(seed)
    keys, values, qs = data(rng, d, n0, gen, queries, offset=0.3)
    fx = base(name, "exact", d, n0, 4, 64, keys, values, qs, {})
    for q in qs:
        out, lse = ref.exact(q, keys, values)
        fx["expected"].append({"output": out.tolist(), "lse": lse, "selected": list(range(n0 + gen))})
    return fx


def oracle_fixture(name, seed, d, n0, gen, draws_per_query, queries=4):
    rng = np.random.default_rng(seed)
    keys, values, qs = data(rng, d, n0, gen, queries, offset=0.0)
    fx = base(name, "oracle_sampling", d, n0, 4, 64, keys, values, qs, {"budget": 0.25})
    fx["draws"] = []
    for q in qs:
        p, _ = ref.softmax_lse(keys @ q / np.sqrt(d))
        draws = rng.choice(len(keys), size=draws_per_query, replace=True, p=p)
        out, lse = ref.oracle_given_draws(q, keys, values, draws)
        fx["draws"].append(draws.tolist())
        fx["expected"].append({"output": out.tolist(), "lse": lse, "selected": sorted(set(draws.tolist()))})
    return fx


def main():
    os.makedirs(OUT, exist_ok=True)
    fixtures = [
        magicpig_fixture("magicpig_k4_l12_t2_centred", 1, d=8, n0=64, gen=3, sink=2, local=6, K=4, L=12,
                         threshold=2, centering=True),
        magicpig_fixture("magicpig_k4_l12_t1_raw", 2, d=8, n0=64, gen=0, sink=2, local=6, K=4, L=12,
                         threshold=1, centering=False),
        magicpig_fixture("magicpig_k6_l20_t2_raw_gen", 3, d=16, n0=96, gen=5, sink=4, local=8, K=6, L=20,
                         threshold=2, centering=False),
        magicpig_fixture("magicpig_k3_l6_t1_centred", 4, d=12, n0=40, gen=2, sink=1, local=4, K=3, L=6,
                         threshold=1, centering=True),
        topk_fixture("topk_budget", 5, d=8, n0=50, gen=2, sink=2, local=6, params={"budget": 0.2}),
        topk_fixture("topk_count_static", 6, d=8, n0=50, gen=3, sink=2, local=6,
                     params={"count": 5, "static": True}),
        topk_fixture("topk_budget_static", 7, d=8, n0=50, gen=0, sink=2, local=6,
                     params={"budget": 0.1, "static": True}),
        exact_fixture("exact", 8, d=16, n0=70, gen=4),
        oracle_fixture("oracle_draws", 9, d=8, n0=60, gen=0, draws_per_query=15),
    ]
    for fx in fixtures:
        path = os.path.join(OUT, fx["name"] + ".json")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(fx, f, separators=(",", ":"))
        os.replace(tmp, path)
        sizes = [len(e["selected"]) for e in fx["expected"]]
        print(f"{path}: selected sizes {sizes}")


if __name__ == "__main__":
    main()
