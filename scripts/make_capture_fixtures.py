#!/usr/bin/env python3
"""Writes the capture-format test fixtures of Tests/DatasetsTests/Fixtures with numpy + h5py.

    python3 scripts/make_capture_fixtures.py [output-folder]

- h5py_capture.h5 + h5py_capture.json: a small valid capture (2 samples, layers 0 and 2 of 3,
  4 heads, 2 KV heads, head_dim 8, mixed float16 / float32 / float64, an int32 prompt_tokens and a
  fixed-length "source" string) and every value it holds, for the Swift reader to compare.
- bad/<case>.h5: one file per validation rule of docs/capture-format.md, each a copy of a tiny
  valid capture with exactly one thing wrong; bad/truncated.h5 is a valid file cut short and
  bad/not_hdf5.h5 a text file. The Swift tests assert the specific CaptureError of each.

Seeded: running it again writes byte-identical files.
"""
import json
import os
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "Tests", "DatasetsTests", "Fixtures")


def write_root(f, **overrides):
    attrs = dict(format="magicpig-capture", format_version=1, model="fixture-model",
                 num_layers=3, num_heads=4, num_kv_heads=2, head_dim=8)
    attrs.update(overrides)
    for k, v in attrs.items():
        if v is not None:
            f.attrs[k] = v


def good_capture(path):
    rng = np.random.default_rng(1234)
    expected = {"header": {"model": "fixture-model", "num_layers": 3, "num_heads": 4, "num_kv_heads": 2,
                           "head_dim": 8, "extra": {"source": "make_capture_fixtures.py", "note": "h5py"}},
                "samples": []}
    # sample 0: T = 20, float16; sample 1: T = 17, layer 0 float32, layer 2 float64 queries.
    plan = [(0, 20, 14, [14, 16, 19], ["float16", "float16"]),
            (1, 17, 12, [3, 12, 13, 15], ["float32", "float64"])]
    with h5py.File(path, "w") as f:
        write_root(f, model="fixture-model", source=np.bytes_(b"make_capture_fixtures.py"), note="h5py")
        for index, T, n, positions, dtypes in plan:
            g = f.create_group(f"samples/{index}")
            # h5py writes Python ints as int64; store one as int32 to test other widths.
            g.attrs["prompt_tokens"] = np.int32(n) if index == 0 else n
            g.create_dataset("query_positions", data=np.array(positions, dtype=np.int64))
            sample = {"index": index, "prompt_tokens": n, "query_positions": positions, "tokens": T, "layers": {}}
            for layer, dtype in zip([0, 2], dtypes):
                lg = g.create_group(f"layers/{layer}")
                k = (rng.standard_normal((2, T, 8)) + 0.5).astype(dtype)
                v = rng.standard_normal((2, T, 8)).astype(dtype)
                q = rng.standard_normal((4, len(positions), 8)).astype(dtype)
                lg.create_dataset("keys", data=k)
                lg.create_dataset("values", data=v)
                lg.create_dataset("queries", data=q)
                # float32 of every stored value (exact for float16/float32, rounded once for float64).
                sample["layers"][str(layer)] = {name: a.astype(np.float32).astype(float).ravel().tolist()
                                                for name, a in (("keys", k), ("values", v), ("queries", q))}
            expected["samples"].append(sample)
    with open(os.path.splitext(path)[0] + ".json", "w") as out:
        json.dump(expected, out, separators=(",", ":"))


def tiny(path, mutate=None, root=None):
    """A valid capture of one sample, layers 0 and 1 of 2, 2 heads, 1 KV head, head_dim 4, T = 6;
    `mutate(f)` then breaks one thing."""
    rng = np.random.default_rng(7)
    with h5py.File(path, "w") as f:
        write_root(f, **dict(dict(num_layers=2, num_heads=2, num_kv_heads=1, head_dim=4), **(root or {})))
        g = f.create_group("samples/0")
        g.attrs["prompt_tokens"] = 4
        g.create_dataset("query_positions", data=np.array([4, 5], dtype=np.int64))
        for layer in (0, 1):
            lg = g.create_group(f"layers/{layer}")
            lg.create_dataset("keys", data=rng.standard_normal((1, 6, 4)).astype(np.float16))
            lg.create_dataset("values", data=rng.standard_normal((1, 6, 4)).astype(np.float16))
            lg.create_dataset("queries", data=rng.standard_normal((2, 2, 4)).astype(np.float16))
        if mutate:
            mutate(f)


def replace(name, data):
    def mutate(f):
        del f[name]
        f[name] = data
    return mutate


def set_attr(path, key, value):
    def mutate(f):
        f[path].attrs[key] = value
    return mutate


def with_nan(name, index, value):
    def mutate(f):
        a = f[name][()]
        a[index] = value
        del f[name]
        f[name] = a
    return mutate


def bad_cases():
    L = "samples/0/layers/1/"
    return {
        "wrong_format": dict(root=dict(format="something-else")),
        "unsupported_version": dict(root=dict(format_version=2)),
        "missing_num_kv_heads": dict(root=dict(num_kv_heads=None)),
        "string_num_heads": dict(root=dict(num_heads="two")),
        "heads_not_divisible": dict(root=dict(num_heads=3, num_kv_heads=2)),
        "missing_samples": dict(mutate=lambda f: f.__delitem__("samples")),
        "bad_sample_name": dict(mutate=lambda f: f.move("samples/0", "samples/first")),
        "missing_prompt_tokens": dict(mutate=lambda f: f["samples/0"].attrs.__delitem__("prompt_tokens")),
        "missing_values": dict(mutate=lambda f: f.__delitem__(L + "values")),
        "missing_query_positions": dict(mutate=lambda f: f.__delitem__("samples/0/query_positions")),
        "kv_heads_mismatch": dict(mutate=replace(L + "keys", np.zeros((2, 6, 4), np.float16))),
        "head_dim_mismatch": dict(mutate=replace(L + "queries", np.zeros((2, 2, 5), np.float16))),
        "keys_values_mismatch": dict(mutate=replace(L + "values", np.zeros((1, 7, 4), np.float16))),
        "tokens_differ_across_layers": dict(mutate=lambda f: (replace(L + "keys", np.zeros((1, 7, 4), np.float16))(f),
                                                              replace(L + "values", np.zeros((1, 7, 4), np.float16))(f))),
        "queries_positions_mismatch": dict(mutate=replace(L + "queries", np.zeros((2, 3, 4), np.float16))),
        "keys_rank_2": dict(mutate=replace(L + "keys", np.zeros((6, 4), np.float16))),
        "positions_not_below_T": dict(mutate=replace("samples/0/query_positions", np.array([4, 6], np.int64))),
        "positions_negative": dict(mutate=replace("samples/0/query_positions", np.array([-1, 5], np.int64))),
        "positions_not_increasing": dict(mutate=replace("samples/0/query_positions", np.array([5, 5], np.int64))),
        "positions_float": dict(mutate=replace("samples/0/query_positions", np.array([4.0, 5.0]))),
        "prompt_tokens_zero": dict(mutate=set_attr("samples/0", "prompt_tokens", 0)),
        "prompt_tokens_above_T": dict(mutate=set_attr("samples/0", "prompt_tokens", 7)),
        "nan_in_keys": dict(mutate=with_nan(L + "keys", (0, 3, 2), np.nan)),
        "inf_in_queries": dict(mutate=with_nan(L + "queries", (1, 0, 1), -np.inf)),
        "int_keys": dict(mutate=replace(L + "keys", np.zeros((1, 6, 4), np.int32))),
        "layer_out_of_range": dict(mutate=lambda f: f.move(L[:-1], "samples/0/layers/5")),
    }


def main():
    os.makedirs(os.path.join(OUT, "bad"), exist_ok=True)
    good_capture(os.path.join(OUT, "h5py_capture.h5"))
    for name, spec in bad_cases().items():
        tiny(os.path.join(OUT, "bad", name + ".h5"), **spec)
    # Valid variants the reader must accept.
    tiny(os.path.join(OUT, "tiny_valid.h5"))
    tiny(os.path.join(OUT, "tiny_fixed_strings.h5"),
         root=dict(format=np.bytes_(b"magicpig-capture"), model=np.bytes_(b"fixed"), num_heads=np.int16(2)))
    with open(os.path.join(OUT, "tiny_valid.h5"), "rb") as good:
        data = good.read()
    with open(os.path.join(OUT, "bad", "truncated.h5"), "wb") as cut:
        cut.write(data[: len(data) // 2])
    with open(os.path.join(OUT, "bad", "not_hdf5.h5"), "w") as text:
        text.write("this is not an HDF5 file\n")


if __name__ == "__main__":
    main()
