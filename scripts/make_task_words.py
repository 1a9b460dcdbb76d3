#!/usr/bin/env python3
"""Derives the RULER task resources in Sources/Datasets/Resources/ from files every Debian system can carry.

    task-words.txt   base English words for needle keys and the common-words vocabulary; replaces RULER's
                     wonderwords noun/adjective/verb lists and english_words.json. From /usr/share/dict/words
                     (Debian package `wamerican`, SCOWL): lowercase ASCII letters only (no proper nouns, no
                     possessives), 4-8 letters, without inflected forms whose base word is also listed
                     (plurals, -ed, -ing, -er, -est, -ly, -ness), deduplicated and sorted.
    essay.txt        the natural-language haystack; replaces RULER's Paul Graham essays. Verbatim FSF licence
                     texts from /usr/share/common-licenses (each says "Everyone is permitted to copy and
                     distribute verbatim copies of this license document"), separated by blank lines.

Run it from the repository root (apt-get install wamerican first); the outputs are committed so that
prompts are the same on every machine. Running it again on the same Debian release reproduces them.
"""
import os
import re
import sys

WORDS = "/usr/share/dict/words"
LICENCES = "/usr/share/common-licenses"
# Only licences whose text grants verbatim copying of itself.
ESSAY_TEXTS = ["GPL-3", "GPL-2", "LGPL-2.1", "LGPL-3", "GFDL-1.3", "GFDL-1.2"]
OUT = os.path.join("Sources", "Datasets", "Resources")


def is_inflection(word, vocabulary):
    """True when `word` is a regular inflection or derivation of another listed word."""
    rules = [("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("ies", "y"),
             ("ied", "y"), ("er", ""), ("est", ""), ("ly", ""), ("ers", ""), ("ness", "")]
    for suffix, replacement in rules:
        stem = word[:-len(suffix)]
        if word.endswith(suffix) and len(stem) >= 3 and stem + replacement in vocabulary:
            return True
    # Doubled final consonant: frogging, levelled, shipper.
    for suffix in ("ing", "ed", "er"):
        n = len(suffix)
        if word.endswith(suffix) and len(word) > n + 3 and word[-n - 1] == word[-n - 2] and word[:-n - 1] in vocabulary:
            return True
    return False


def task_words():
    with open(WORDS, encoding="utf-8") as f:
        lowercase = {w.strip() for w in f if re.fullmatch(r"[a-z]+", w.strip())}
    return sorted(w for w in lowercase if 4 <= len(w) <= 8 and not is_inflection(w, lowercase))


def essay():
    texts = []
    for name in ESSAY_TEXTS:
        with open(os.path.join(LICENCES, name), encoding="utf-8") as f:
            text = f.read()
        if "permitted to copy and distribute verbatim copies" not in text:
            sys.exit(f"{name} does not grant verbatim copying; leave it out")
        texts.append(text.strip("\n"))
    return "\n\n\n".join(texts) + "\n"


def main():
    if not os.path.exists(WORDS):
        sys.exit(f"{WORDS} is missing: apt-get install wamerican")
    os.makedirs(OUT, exist_ok=True)
    words = task_words()
    with open(os.path.join(OUT, "task-words.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(words) + "\n")
    text = essay()
    with open(os.path.join(OUT, "essay.txt"), "w", encoding="utf-8") as f:
        f.write(text)
    print(f"task-words.txt: {len(words)} words; essay.txt: {len(text)} characters from {', '.join(ESSAY_TEXTS)}")


if __name__ == "__main__":
    main()
