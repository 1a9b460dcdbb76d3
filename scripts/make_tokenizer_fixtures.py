#!/usr/bin/env python3
"""Expected token ids for the Swift tokenizer, from llama.cpp (PyPI llama-cpp-python) on the real GGUF files.

Writes Tests/EngineTests/Fixtures/tokenizer/{smollm2,qwen2.5-0.5b}.json: for each fixture text the ids of
llama_cpp.Llama(vocab_only=True).tokenize(text, add_bos=False, special=...), and for each fixture chat the prompt
the model's own Jinja chat template renders (jinja2, as transformers runs it) and its ids.

    pip install llama-cpp-python jinja2
    MAGICPIG_MODELS_DIR=/work/models-cache python3 scripts/make_tokenizer_fixtures.py

The models come from scripts/fetch_models.sh (.cache/models, or MAGICPIG_MODELS_DIR). Deterministic output.
"""
import json
import os
import sys

import jinja2
import jinja2.sandbox
import llama_cpp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.environ.get("MAGICPIG_MODELS_DIR") or os.path.join(ROOT, ".cache", "models")
OUT = os.path.join(ROOT, "Tests", "EngineTests", "Fixtures", "tokenizer")

# (name, text, parse_special)
TEXTS = [
    ("empty", "", True),
    ("ascii", "Hello world", True),
    ("sentence", "The quick brown fox jumps over the lazy dog.", True),
    ("accents", "Café, naïve, façade — résumé à la carte. Ångström, Øresund, Łódź.", True),
    ("european", "Straße, Ελληνικά, русский язык, Türkçe, Ċ Ġ", True),
    ("cjk", "你好，世界！こんにちは世界。안녕하세요. 漢字かなカナ", True),
    ("emoji", "I love 🍕 and 🚀!! 👨‍👩‍👧‍👦 family, flags 🇫🇷🇯🇵, skin 👍🏽", True),
    ("rtl", "مرحبا بالعالم שלום עולם", True),
    ("digits", "3.14159265358979 and 1234567890, 2024-11-27, 1,000,000 and 007", True),
    ("phone", "phone: +1 (555) 010-9999 x42", True),
    ("unicode-numbers", "x² + y³ = ½ Ⅻ ٣٤٥ ①②", True),
    ("spaces", "a  b   c    d     e", True),
    ("leading-spaces", "   leading spaces", True),
    ("trailing-spaces", "trailing spaces   ", True),
    ("space-before-digit", "a   1 b  22", True),
    ("single-space", " ", True),
    ("tabs", "tabs\there\t\tand\tthere\t", True),
    ("newlines", "line1\nline2\n\nline4\r\nline5\n", True),
    ("only-newlines", "\n\n\n", True),
    ("mixed-whitespace", "  \n  \n\t \r\n x", True),
    ("python", "def square(x):\n    return x ** 2  # the square\n\n\nprint(square(3))\n", True),
    ("c", "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}", True),
    ("rust", "if x != y && z >= 3 { println!(\"{}\", x); } // done", True),
    ("json", '{"key": [1, 2.5, -3e10], "nested": {"a": null, "b": true}}', True),
    ("contractions", "I'm sure you'll see they're right; it's what we've said, isn't it? I'd go.", True),
    ("contractions-upper", "DON'T YOU'LL WE'VE I'M THEY'RE IT'S", True),
    ("apostrophes", "'s 't 're 'quoted' rock'n'roll ''", True),
    ("punctuation", "Wait... what?! (yes) [no] {maybe} <tag> @user #hash $5 %20 ^_^ ~~~", True),
    ("long-punct", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" + "=" * 80, True),
    ("long-spaces", " " * 40 + "x", True),
    ("url", "https://github.com/ggml-org/llama.cpp/blob/master/src/llama-vocab.cpp?x=1#L42", True),
    ("mixed", "MagicPIG's LSH-sampling (K=10, L=150) reads ~2% of the KV-cache.", True),
    ("controls", "\x00null\x07bell\x1b[0mreset\x7f", True),
    ("invisible", "zero\u200bwidth nbsp\u00a0here ideographic\u3000space soft\u00adhyphen", True),
    ("combining", "e\u0301 n\u0303 a\u0308\u0304 ﬁ ligature", True),
    # Scalars assigned after Unicode 15.1 (llama.cpp's tables) are not letters there: U+13460 and U+1387F are
    # Unicode 16, U+18DE4 Unicode 17; U+2EBF0 (15.1) is a letter.
    ("newer-unicode", "\U00013460.Y \U0001387F(Z \U00018DE4x \U0002EBF0.Q", True),
    ("special-chatml", "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", True),
    ("special-inline", "text<|endoftext|>more<|im_end|>", True),
    ("special-adjacent", "<|im_start|><|im_end|><|im_start|>", True),
    ("special-partial", "<|im_start <|im_end| |im_start|>", True),
    ("special-smollm", "<jupyter_code>print(1)<jupyter_output>1<empty_output>", True),
    ("special-qwen", "<tool_call>{\"a\": 1}</tool_call><|fim_prefix|>def<|fim_suffix|>", True),
    ("special-not-parsed", "<|im_start|>user\nHi<|im_end|>", False),
    ("paragraph", (
        "Attention approximation trades accuracy for speed. In long-context decoding, the key-value cache "
        "dominates memory traffic: each new token reads every cached key and value. Top-k methods keep the "
        "largest scores, but they are biased; sampling with locality-sensitive hashing estimates the output "
        "without bias, at a cost of 2-5% of the cache.\n\nResults (n=32768, d=128): 4.8 ms per head."), True),
]

CHATS = [
    ("user-only", [{"role": "user", "content": "What is the capital of France?"}]),
    ("with-system", [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}]),
    ("multi-turn", [
        {"role": "user", "content": "Remember the number 42."},
        {"role": "assistant", "content": "Okay, I will remember 42."},
        {"role": "user", "content": "What number?"},
    ]),
]

MODELS_FILES = [("smollm2", "smollm2.gguf"), ("qwen2.5-0.5b", "qwen2.5-0.5b.gguf")]


def render(template, messages):
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(template).render(messages=messages, add_generation_prompt=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, file_name in MODELS_FILES:
        path = os.path.join(MODELS, file_name)
        if not os.path.exists(path):
            sys.exit(f"{path} not found: run scripts/fetch_models.sh {name}")
        llm = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
        template = llm.metadata["tokenizer.chat_template"]
        texts = [{"name": n, "text": t, "parse_special": s,
                  "ids": llm.tokenize(t.encode(), add_bos=False, special=s)} for n, t, s in TEXTS]
        chats = []
        for n, messages in CHATS:
            prompt = render(template, messages)
            chats.append({"name": n, "messages": messages, "prompt": prompt,
                          "ids": llm.tokenize(prompt.encode(), add_bos=False, special=True)})
        result = {"model": name, "file": file_name, "reference": f"llama-cpp-python {llama_cpp.__version__}",
                  "chat_template": template, "texts": texts, "chats": chats}
        with open(os.path.join(OUT, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(result, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print(f"{name}: {len(texts)} texts, {len(chats)} chats, {sum(len(t['ids']) for t in texts)} ids")


if __name__ == "__main__":
    main()
