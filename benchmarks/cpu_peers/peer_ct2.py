#!/usr/bin/env python3
"""CTranslate2 peer: plain temperature sampling, a batch of identical prompts, timed.

    python3 benchmarks/cpu_peers/peer_ct2.py --ct2-model weights/opt-125m-random-ct2 \
        --hf-model weights/opt-125m-random --batch 8 --new-tokens 64 --threads 2

The model is the CTranslate2 conversion (convert_ct2.py) of the checkpoint psamp reads;
the prompt is psamp bench's (token ids, read through the stored vocabulary). Sampling is
over the whole vocabulary (sampling_topk 0) at the given temperature, stopping at OPT's EOS
as psamp does. One untimed warm-up call of 2 tokens at the same batch comes first; then one
timed generate_batch. Output: one JSON object (tokens/s counts the tokens really produced).
"""
import argparse
import json
import os
import time

import ctranslate2

from peer_common import cpu_name, generated_tokens, load_config, prompt_ids, report


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ct2-model", required=True, help="CTranslate2 model directory (convert_ct2.py)")
    ap.add_argument("--hf-model", required=True, help="the checkpoint it came from (for config.json: ids)")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2, help="intra_threads (the compute threads)")
    ap.add_argument("--compute-type", default="float32", help="CTranslate2 compute type (default float32)")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="CTranslate2 device (default cpu)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="also write the JSON here")
    a = ap.parse_args()
    if a.batch < 1 or a.new_tokens < 1 or a.prompt_len < 1 or a.threads < 1 or a.temperature <= 0:
        ap.error("--batch, --new-tokens, --prompt-len, --threads and --temperature must be positive")
    cfg = load_config(a.hf_model)
    vocab_path = os.path.join(a.ct2_model, "vocabulary.json")
    with open(vocab_path) as f:
        vocab = json.load(f)
    if len(vocab) != cfg["vocab_size"]:
        raise SystemExit(f"{vocab_path}: {len(vocab)} tokens, config.json says vocab_size {cfg['vocab_size']}")
    eos = cfg["eos_token_id"]
    prompt = [vocab[i] for i in prompt_ids(a.prompt_len, cfg["bos_token_id"], len(vocab))]
    ctranslate2.set_random_seed(a.seed)
    gen = ctranslate2.Generator(a.ct2_model, device=a.device, compute_type=a.compute_type,
                                intra_threads=a.threads, inter_threads=1)
    opts = dict(sampling_topk=0, sampling_temperature=a.temperature, include_prompt_in_result=False,
                end_token=vocab[eos], return_end_token=True, max_batch_size=0)
    gen.generate_batch([prompt] * a.batch, max_length=2, **opts)  # warm-up, not timed
    t0 = time.perf_counter()
    res = gen.generate_batch([prompt] * a.batch, max_length=a.new_tokens, **opts)
    wall = time.perf_counter() - t0
    tokens = generated_tokens((r.sequences_ids[0] for r in res), eos, a.new_tokens)
    report({"peer": "ctranslate2", "version": ctranslate2.__version__, "compute_type": gen.compute_type,
            "device": a.device, "cpu": cpu_name(), "threads": a.threads, "batch": a.batch, "prompt_tokens": a.prompt_len,
            "new_tokens": a.new_tokens, "temperature": a.temperature, "tokens": tokens,
            "wall_seconds": wall, "tokens_per_second": tokens / wall}, a.out)


if __name__ == "__main__":
    main()
