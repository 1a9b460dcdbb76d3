#!/usr/bin/env python3
"""Independent numpy reference for the attention approximators (float64).

Written from shared/reference/magicpig.md, not from the Swift code, so the fixture tests compare
two implementations of the specification. Run it directly to print the u table of magicpig.md.

Layout of a cache of n tokens whose prompt had length n0, with sink s and local window w:
  sink [0, s'), middle [s', n0 - w) (clamped), local [n0 - w, n0), generated [n0, n).
Static set T = sink ∪ local ∪ generated; MagicPIG hashes and samples only the middle.
"""
import math
import numpy as np


def layout(n0, sink, local):
    sink_end = min(max(sink, 0), n0)
    local_start = max(sink_end, n0 - max(local, 0))
    return sink_end, local_start


def softmax_lse(logits):
    """Softmax and log-sum-exp; empty input gives ([], -inf)."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.size == 0:
        return logits, -math.inf
    m = logits.max()
    e = np.exp(logits - m)
    s = e.sum()
    return e / s, m + math.log(s)


def exact(q, keys, values):
    p, lse = softmax_lse(keys @ q / math.sqrt(q.size))
    return p @ values, lse


def topk(q, keys, values, k=None, budget=None, static=False, n0=None, sink=4, local=64):
    """The authors' TopK: k = max(1, int(budget * kv_len)) highest scores over all keys.
    static=True: T always kept, k = int(budget * kv_len) chosen from the middle."""
    n, d = keys.shape
    scores = keys @ q / math.sqrt(d)
    if static:
        s_end, l_start = layout(n if n0 is None else n0, sink, local)
        kept = list(range(0, s_end)) + list(range(l_start, n))
        cand = np.arange(s_end, l_start)
        kk = k if k is not None else int(budget * n)
    else:
        kept = []
        cand = np.arange(n)
        kk = k if k is not None else max(1, int(budget * n))
    kk = min(kk, cand.size)
    # stable sort on -score: ties go to the lower index
    order = cand[np.argsort(-scores[cand], kind="stable")][:kk]
    rows = np.array(sorted(kept + order.tolist()), dtype=np.int64)
    p, lse = softmax_lse(scores[rows])
    return p @ values[rows], lse, rows


def oracle_given_draws(q, keys, values, draws):
    """Oracle sampling estimate for given draws (indices drawn from the exact softmax)."""
    _, lse = softmax_lse(keys @ q / math.sqrt(q.size))
    return values[np.asarray(draws)].mean(axis=0), lse


def oracle_sampling(q, keys, values, draws_count, rng):
    """Oracle sampling as the authors define it: draws_count i.i.d. draws with replacement from the
    exact softmax; the estimate is the mean of the drawn values. Returns output, lse, draws."""
    p, lse = softmax_lse(keys @ q / math.sqrt(q.size))
    draws = rng.choice(p.size, size=draws_count, p=p)
    return values[draws].mean(axis=0), lse, draws


def sampling_probability(cos, K, L, threshold=2):
    cos = np.clip(np.asarray(cos, dtype=np.float64), -1.0, 1.0)
    p = (1.0 - np.arccos(cos) / math.pi) ** K
    none = (1.0 - p) ** L
    if threshold == 1:
        return 1.0 - none
    return 1.0 - none - L * p * (1.0 - p) ** (L - 1)


def simhash_codes(x, W, K, L):
    """x: [m, d], W: [d, K*L] -> codes [m, L] with bit j of table l = (x @ W[:, l*K + j] > 0)."""
    bits = (x @ W > 0).astype(np.int64).reshape(x.shape[0], L, K)
    return (bits * (1 << np.arange(K))).sum(axis=2)


def magicpig_prepare(prompt_keys, n0, sink, local, W, K, L, centering=True):
    """Once per (layer, KV head) after prefill: centre the keys on the middle's mean and hash the
    middle (magicpig.md, "Key centring" and "SimHash")."""
    d = prompt_keys.shape[1]
    s_end, l_start = layout(n0, sink, local)
    middle = np.arange(s_end, l_start)
    kbar = prompt_keys[middle].mean(axis=0) if (centering and middle.size > 0) else np.zeros(d, prompt_keys.dtype)
    kc = prompt_keys[:n0] - kbar
    kcodes = simhash_codes(kc[middle], W, K, L) if middle.size > 0 else np.zeros((0, L), dtype=np.int64)
    return {"n0": n0, "s_end": s_end, "l_start": l_start, "middle": middle, "kbar": kbar, "kc": kc,
            "kcodes": kcodes, "W": W, "K": K, "L": L}


def magicpig_attend(state, q, keys, values, threshold=2):
    """One query over the whole cache (prompt + generated rows of keys/values). Returns output,
    lse (raw-key space) and the sampled set S."""
    n, d = keys.shape
    n0, s_end, l_start, middle = state["n0"], state["s_end"], state["l_start"], state["middle"]
    kbar, K, L = state["kbar"], state["K"], state["L"]
    kc_gen = keys[n0:] - kbar
    if middle.size > 0:
        qcodes = simhash_codes(q[None, :], state["W"], K, L)[0]
        collisions = (state["kcodes"] == qcodes[None, :]).sum(axis=1)
        S = middle[collisions >= threshold]
    else:
        S = np.zeros(0, dtype=np.int64)
    kc_static = np.concatenate([state["kc"][:s_end], state["kc"][l_start:n0], kc_gen])
    static = np.array(list(range(0, s_end)) + list(range(l_start, n)), dtype=np.int64)
    logit_T = kc_static @ q / math.sqrt(d)
    kc_S = state["kc"][S]
    denom = np.linalg.norm(q) * np.linalg.norm(kc_S, axis=1)
    dots = kc_S @ q
    cos = np.where(denom > 0, dots / np.where(denom > 0, denom, 1.0), 0.0)
    u = sampling_probability(cos, K, L, threshold)
    logit_S = dots / math.sqrt(d) - np.log(u + 1e-4)
    rows = np.concatenate([static, S]).astype(np.int64)
    if rows.size == 0:
        return np.zeros(d), -math.inf, S
    p, lse = softmax_lse(np.concatenate([logit_T, logit_S]))
    return p @ values[rows], lse + float(q @ kbar) / math.sqrt(d), S


def magicpig(q, keys, values, n0, sink, local, W, K, L, threshold=2, centering=True):
    """MagicPIG estimate for one query (magicpig.md). Returns output, lse (raw-key space), S."""
    state = magicpig_prepare(keys[:n0], n0, sink, local, W, K, L, centering)
    return magicpig_attend(state, q, keys, values, threshold)


if __name__ == "__main__":
    cosines = [-0.2, 0.0, 0.2, 0.4, 0.6, 0.8]
    print("| K,L    | " + " | ".join(f"cos={c}" for c in cosines))
    for K, L in [(8, 75), (10, 150), (10, 170), (11, 300)]:
        u = sampling_probability(cosines, K, L)
        print(f"| {K},{L} | " + " | ".join(f"{x:.4f}" for x in u))
