#!/usr/bin/env python3
"""Writes the GGUF reader and dequantiser fixtures in Tests/EngineTests/Fixtures/gguf/ (seeded, reproducible).

  quant_types.gguf           one tensor of every dequantisable ggml type, written with gguf.GGUFWriter, filled with
                             random but valid block bytes (finite, moderate f16 scales), plus metadata of every
                             value type (strings, arrays of strings, nested arrays, 64-bit ints, …)
  quant_types.json           per tensor: ggml type, dims (ggml order), and where its expected floats start
  quant_types.f32            the expected floats, little-endian float32, from gguf.quants.dequantize
  small_v2_align64.gguf      a hand-written version-2 file with general.alignment = 64 and one F32 tensor
  bad_*.gguf                 corrupt files, each wrong in one way (see BAD below and GGUFErrorTests.swift)

Run: python3 scripts/make_gguf_fixtures.py   (needs numpy and gguf 0.19.x: pip install "gguf>=0.19,<0.20")
"""
import json
import struct
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

OUT = Path(__file__).resolve().parent.parent / "Tests" / "EngineTests" / "Fixtures" / "gguf"
rng = np.random.default_rng(20250507)

# Byte ranges of the f16 scales in each block: random bytes there could be NaN or huge, so they are rewritten
# with moderate finite values; every other byte of a block is valid whatever its value.
SCALES = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}


def random_blocks(qtype, rows, cols):
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    n_blocks = rows * cols // block
    data = rng.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
    for offset in SCALES[qtype]:
        magnitude = rng.uniform(0.001, 1.5, size=n_blocks)
        sign = np.where(rng.random(n_blocks) < 0.5, -1.0, 1.0)
        data[:, offset:offset + 2] = (sign * magnitude).astype(np.float16).view(np.uint8).reshape(n_blocks, 2)
    # One block with a subnormal scale, so half-to-float conversion of subnormals is covered.
    data[0, SCALES[qtype][0]:SCALES[qtype][0] + 2] = np.array([3.0e-6], dtype=np.float16).view(np.uint8)
    return data.reshape(rows, cols // block * size)


def write_quant_types():
    writer = gguf.GGUFWriter(str(OUT / "quant_types.gguf"), arch="fixture")
    # Metadata of every value type.
    writer.add_uint8("test.u8", 200)
    writer.add_int8("test.i8", -100)
    writer.add_uint16("test.u16", 60000)
    writer.add_int16("test.i16", -30000)
    writer.add_uint32("test.u32", 4_000_000_000)
    writer.add_int32("test.i32", -2_000_000_000)
    writer.add_uint64("test.u64", 2**63 + 5)
    writer.add_int64("test.i64", -(2**62))
    writer.add_float32("test.f32", 0.1)
    writer.add_float64("test.f64", 1e-300)
    writer.add_bool("test.true", True)
    writer.add_bool("test.false", False)
    writer.add_string("test.string", "héllo ▁wörld 🐷")
    writer.add_array("test.strings", ["<|im_start|>", "Ġthe", "", "ĊĊ", "日本"])
    writer.add_array("test.ints", [1, -2, 3])
    writer.add_array("test.floats", [0.5, -1.25, 3.0])
    writer.add_array("test.nested", [[1, 2], [3]])
    writer.add_uint32("llama.block_count", 30)

    index, expected, position = [], [], 0

    def add(name, qtype, array, raw_dtype=None):
        nonlocal position
        writer.add_tensor(name, array, raw_dtype=raw_dtype)
        floats = gguf.quants.dequantize(array.view(np.uint8) if raw_dtype is not None else array, qtype)
        floats = np.ascontiguousarray(floats, dtype=np.float32)
        dims = list(reversed(floats.shape))
        index.append({"name": name, "type": qtype.name, "dims": dims, "offset": position, "count": int(floats.size)})
        expected.append(floats.reshape(-1))
        position += floats.size

    add("f32", T.F32, rng.standard_normal((3, 48)).astype(np.float32))
    f16 = rng.standard_normal((3, 48)).astype(np.float16)
    f16.reshape(-1)[:4] = np.array([0.0, -0.0, 6.0e-8, -3.0e-5], dtype=np.float16)  # zeros and subnormals
    add("f16", T.F16, f16)
    bf16 = (rng.standard_normal((3, 48)).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    add("bf16", T.BF16, bf16.view(np.uint8), raw_dtype=T.BF16)
    for qtype in (T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0):
        add(qtype.name.lower(), qtype, random_blocks(qtype, 3, 64), raw_dtype=qtype)
    for qtype in (T.Q4_K, T.Q5_K, T.Q6_K):
        add(qtype.name.lower(), qtype, random_blocks(qtype, 2, 512), raw_dtype=qtype)
    # A three-dimensional tensor: rows run across every dimension after the first.
    add("q8_0_3d", T.Q8_0, random_blocks(T.Q8_0, 6, 32).reshape(3, 2, 34), raw_dtype=T.Q8_0)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    np.concatenate(expected).astype("<f4").tofile(OUT / "quant_types.f32")
    (OUT / "quant_types.json").write_text(json.dumps({"tensors": index}, indent=1) + "\n")


# ---- Hand-written small files: every byte is placed here, so each corruption hits a known field. ----

def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def small_gguf(version=3, magic=b"GGUF", alignment=None, tensor_type=0, tensor_offset=0, value_type=None,
               tensor_count=None, key_length=None):
    """A file with two metadata entries and one 4x2 F32 tensor; keyword arguments corrupt single fields."""
    kv = []
    key = b"general.architecture"
    kv.append(struct.pack("<Q", key_length if key_length is not None else len(key)) + key
              + struct.pack("<I", value_type if value_type is not None else 8) + gguf_string("fixture"))
    if alignment is not None:
        kv.append(gguf_string("general.alignment") + struct.pack("<II", 4, alignment))
    else:
        kv.append(gguf_string("fixture.answer") + struct.pack("<Ii", 5, 42))
    header = magic + struct.pack("<IQQ", version, 1 if tensor_count is None else tensor_count, len(kv))
    table = gguf_string("weight") + struct.pack("<I", 2) + struct.pack("<QQ", 4, 2) + struct.pack("<IQ", tensor_type, tensor_offset)
    body = header + b"".join(kv) + table
    align = alignment or 32
    body += b"\0" * ((-len(body)) % align)
    data = np.arange(8, dtype="<f4") * 0.5 - 1.0
    return body + data.tobytes()


BAD = {
    "bad_empty.gguf": b"",
    "bad_magic.gguf": small_gguf(magic=b"GGML"),
    "bad_version1.gguf": small_gguf(version=1),
    "bad_version4.gguf": small_gguf(version=4),
    "bad_truncated_metadata.gguf": small_gguf()[:99],  # inside the int32 value of fixture.answer
    "bad_truncated_tensor_table.gguf": small_gguf()[:small_gguf().index(b"weight") + 10],
    "bad_tensor_past_eof.gguf": small_gguf()[:-8],
    "bad_string_length.gguf": small_gguf(key_length=1 << 60),
    "bad_value_type.gguf": small_gguf(value_type=99),
    "bad_tensor_type.gguf": small_gguf(tensor_type=99),
    "bad_tensor_count.gguf": small_gguf(tensor_count=1 << 40),
    "bad_misaligned_tensor.gguf": small_gguf(tensor_offset=4),
    "bad_alignment.gguf": small_gguf(alignment=48),
}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    write_quant_types()
    (OUT / "small_v2_align64.gguf").write_bytes(small_gguf(version=2, alignment=64))
    for name, content in BAD.items():
        (OUT / name).write_bytes(content)
    # The reference reader must agree about the good files.
    reader = gguf.GGUFReader(OUT / "small_v2_align64.gguf")
    assert reader.tensors[0].name == "weight" and reader.alignment == 64
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(list(OUT.iterdir()))} files, {total} bytes, in {OUT}")


if __name__ == "__main__":
    main()
