#!/usr/bin/env python3
"""Hugging Face transformers peer: batched plain temperature sampling with `generate`, timed.

    python3 benchmarks/cpu_peers/peer_hf_temp.py --model weights/opt-125m-random --batch 8 \
        --new-tokens 64 --threads 2 --cache dynamic

The batch holds psamp bench's prompt once per row; `generate` samples over the whole
vocabulary (top_k 0, top_p 1) at the given temperature with a dynamic or static KV cache,
stopping a row at OPT's EOS. fp32, torch's CPU kernels with --threads threads. One untimed
warm-up call of 2 tokens at the same batch comes first; then one timed call. Output: one
JSON object (tokens/s counts the tokens really produced).
"""
import argparse
import time

import torch
import transformers
from transformers import AutoModelForCausalLM

from peer_common import cpu_name, generated_tokens, prompt_ids, report


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="OPT checkpoint directory")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--cache", choices=("dynamic", "static"), default="dynamic", help="KV cache kind")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="also write the JSON here")
    a = ap.parse_args()
    if a.batch < 1 or a.new_tokens < 1 or a.prompt_len < 1 or a.threads < 1 or a.temperature <= 0:
        ap.error("--batch, --new-tokens, --prompt-len, --threads and --temperature must be positive")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32).eval()
    cfg = model.config
    ids = torch.tensor([prompt_ids(a.prompt_len, cfg.bos_token_id, cfg.vocab_size)] * a.batch)
    kw = dict(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=True, temperature=a.temperature,
              top_k=0, top_p=1.0, eos_token_id=cfg.eos_token_id, pad_token_id=cfg.pad_token_id,
              cache_implementation=a.cache)
    with torch.inference_mode():
        model.generate(max_new_tokens=2, **kw)  # warm-up, not timed
        t0 = time.perf_counter()
        out = model.generate(max_new_tokens=a.new_tokens, **kw)
        wall = time.perf_counter() - t0
    tokens = generated_tokens(out[:, a.prompt_len:].tolist(), cfg.eos_token_id, a.new_tokens)
    report({"peer": "transformers", "version": transformers.__version__, "torch": torch.__version__,
            "cache": a.cache, "cpu": cpu_name(), "threads": torch.get_num_threads(), "batch": a.batch,
            "prompt_tokens": a.prompt_len, "new_tokens": a.new_tokens, "temperature": a.temperature,
            "tokens": tokens, "wall_seconds": wall, "tokens_per_second": tokens / wall}, a.out)


if __name__ == "__main__":
    main()
