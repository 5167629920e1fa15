#!/usr/bin/env python3
"""Compares psamp's tokenizer with Hugging Face's at GPT-2 scale, ids and speed (a one-off check,
not part of CI: it needs transformers 4.x and tokenizers, see tests/fixtures/make_tokenizer.py).

  python3 scripts/tokenizer_vs_hf.py BENCH_TOKENIZER TEXT_FILE WORK_DIR [VOCAB_SIZE]

Trains a byte-level BPE of VOCAB_SIZE ids (default 50265, OPT's) on this Python's standard
library sources into WORK_DIR (once), runs psamp's bench_tokenizer on TEXT_FILE (writing its
ids), and checks them against GPT2TokenizerFast and the slow GPT2Tokenizer; prints HF's encode times for the same 1 MiB psamp reports on.
"""
import os
import subprocess
import sys
import sysconfig
import time

from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import GPT2Tokenizer, GPT2TokenizerFast

SPECIALS = dict(bos_token="</s>", eos_token="</s>", unk_token="</s>", pad_token="<pad>")


def stdlib_sources():
    root = sysconfig.get_paths()["stdlib"]
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "site-packages")
        for name in sorted(filenames):
            if name.endswith(".py"):
                with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as f:
                    yield f.read()


def train(work_dir, vocab_size):
    vocab, merges = os.path.join(work_dir, "vocab.json"), os.path.join(work_dir, "merges.txt")
    if not os.path.exists(merges):
        os.makedirs(work_dir, exist_ok=True)
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                      show_progress=False)
        tok.train_from_iterator(stdlib_sources(), trainer=trainer)
        tok.model.save(work_dir)
    return vocab, merges


def main():
    bench, text_file, work_dir = sys.argv[1:4]
    vocab_size = int(sys.argv[4]) if len(sys.argv) > 4 else 50265
    vocab, merges = train(work_dir, vocab_size)
    ids_file = os.path.join(work_dir, "psamp_ids.txt")
    out = subprocess.run([bench, vocab, merges, text_file, "1", ids_file], check=True,
                         capture_output=True, text=True).stdout
    print("psamp:", out.strip().replace("\n", "\n       "))
    with open(ids_file) as f:
        ours = [int(line) for line in f]
    with open(text_file, encoding="utf-8", newline="") as f:  # keep \r as it is
        text = f.read()
    fast = GPT2TokenizerFast(vocab_file=vocab, merges_file=merges, **SPECIALS)
    slow = GPT2Tokenizer(vocab, merges, **SPECIALS)
    theirs = fast.encode(text, add_special_tokens=False)
    print(f"GPT2TokenizerFast on all {len(text)} chars: {len(theirs)} ids, identical: {theirs == ours}")
    slow_ids = slow.encode(text, add_special_tokens=False)
    print(f"GPT2Tokenizer (slow) on all of it: identical: {slow_ids == ours}")

    mib = (text * (1 + (1 << 20) // max(1, len(text.encode()))))
    mib = mib.encode()[: 1 << 20].decode("utf-8", errors="ignore")
    for name, tok in (("GPT2TokenizerFast", fast), ("GPT2Tokenizer (slow, cold cache)", slow)):
        if hasattr(tok, "cache"):
            tok.cache.clear()
        t = time.perf_counter()
        n = len(tok.encode(mib, add_special_tokens=False))
        dt = time.perf_counter() - t
        print(f"{name}: 1 MiB -> {n} tokens in {dt:.3f} s ({1 / dt:.1f} MB/s)")


if __name__ == "__main__":
    main()
