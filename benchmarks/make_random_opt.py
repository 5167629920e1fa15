#!/usr/bin/env python3
"""Saves a random OPT-125M-shaped checkpoint (no hub needed) for the peer comparison.

    python3 benchmarks/make_random_opt.py weights/opt-125m-random

Writes config.json + model.safetensors with transformers' save_pretrained (float32, the
opt-125m shape: vocab 50272, hidden 768, 12 layers, 12 heads, ffn 3072, pre-LN, tied
lm_head), and copies vocab.json / merges.txt of the test tokenizer so `psamp --model DIR`
opens it (the benchmark feeds token ids, so the tokenizer's size does not matter). Both
psamp and benchmarks/peer_hf_power.py then read the very same weights. Needs torch and
transformers.
"""
import argparse
import os
import shutil

import torch
from transformers import OPTConfig, OPTForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER = os.path.join(HERE, "..", "tests", "fixtures", "opt-tiny-pre")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    cfg = OPTConfig(vocab_size=50272, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                    ffn_dim=3072, max_position_embeddings=2048, word_embed_proj_dim=768,
                    do_layer_norm_before=True, activation_function="relu", dropout=0.0,
                    attention_dropout=0.0, bos_token_id=2, eos_token_id=2, pad_token_id=1)
    model = OPTForCausalLM(cfg).eval()
    os.makedirs(args.out_dir, exist_ok=True)
    model.save_pretrained(args.out_dir, safe_serialization=True)
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(TOKENIZER, name), os.path.join(args.out_dir, name))
    print(f"wrote {args.out_dir}")


if __name__ == "__main__":
    main()
