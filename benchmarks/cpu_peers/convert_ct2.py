#!/usr/bin/env python3
"""Converts an OPT checkpoint directory to a CTranslate2 model (float32) for the CPU peer table.

    python3 benchmarks/cpu_peers/convert_ct2.py weights/opt-125m-random weights/opt-125m-random-ct2

Uses CTranslate2's own Transformers converter (the weights go through unchanged). One thing is
added: the random checkpoint of benchmarks/make_random_opt.py carries the 1024-entry test
tokenizer beside its 50272 embedding rows, so the vocabulary CTranslate2 stores is the
tokenizer's tokens padded with placeholder names up to the model's vocab_size. The benchmark
feeds token ids (peer_ct2.py maps id i to the i-th vocabulary entry), so the names do not matter.
"""
import argparse
import os
import sys

from ctranslate2.converters import TransformersConverter
from ctranslate2.converters import transformers as ct2_transformers


def padded_vocabulary(original):
    """Wraps OPTLoader.get_vocabulary: the tokenizer's tokens, then '<psamp_id_N>' up to vocab_size."""
    def get_vocabulary(self, model, tokenizer):
        tokens = list(original(self, model, tokenizer))
        want = model.config.vocab_size
        if len(tokens) > want:
            raise ValueError(f"tokenizer has {len(tokens)} tokens, more than vocab_size {want}")
        taken = set(tokens)
        tokens += [f"<psamp_id_{i}>" for i in range(len(tokens), want) if f"<psamp_id_{i}>" not in taken]
        if len(tokens) != want:
            raise ValueError(f"could not pad the vocabulary to {want} distinct tokens")
        return tokens
    return get_vocabulary


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir", help="OPT checkpoint directory (config.json, model.safetensors, vocab.json, merges.txt)")
    ap.add_argument("out_dir", help="CTranslate2 model directory to write")
    ap.add_argument("--force", action="store_true", help="overwrite out_dir")
    a = ap.parse_args()
    if not os.path.isfile(os.path.join(a.model_dir, "config.json")):
        sys.exit(f"convert_ct2.py: {a.model_dir}/config.json not found")
    loader = ct2_transformers.OPTLoader
    loader.get_vocabulary = padded_vocabulary(loader.get_vocabulary)
    TransformersConverter(a.model_dir).convert(a.out_dir, quantization="float32", force=a.force)
    print(f"wrote {a.out_dir}")


if __name__ == "__main__":
    main()
