#!/usr/bin/env python3
"""Hugging Face transformers peer: batched plain temperature sampling with `generate`, timed.

    python3 benchmarks/cpu_peers/peer_hf_temp.py --model weights/opt-125m-random --batch 8 \
        --new-tokens 64 --threads 2 --cache dynamic
    python3 benchmarks/cpu_peers/peer_hf_temp.py --model /tmp/opt-125m-random --device cuda \
        --dtype fp16 --cache static --batch 1024 --new-tokens 64 --prompt-len 32

The batch holds psamp bench's prompt once per row; `generate` samples over the whole
vocabulary (top_k 0, top_p 1) at the given temperature with a dynamic or static KV cache,
stopping a row at OPT's EOS. Default: fp32 on torch's CPU kernels with --threads threads,
one untimed warm-up call of 2 tokens at the same batch, then one timed call.

--device cuda (--dtype fp16 or bf16 there): the warm-up is a whole call of the timed length
(same batch, same cache length), so whatever transformers builds for those shapes -- with a
static cache on CUDA, `generate` compiles its decoding step itself (torch.compile, inductor,
CUDA graphs) unless --compile off -- is built before the clock starts; its time is reported
as warmup_seconds, and "compiled" says whether the timed call ran the compiled step. Should
that compile fail, the error goes into compile_error and the call is timed without it
(compiled false). --eager-too adds one more timed call without the compile
(eager_tokens_per_second). The timed calls are bracketed by torch.cuda.synchronize().
Without a GPU, --device cuda stops at once with one line on stderr and exit status 2.

Output: one JSON object (tokens/s counts the tokens really produced; device_name is the GPU
on cuda, the CPU's name on cpu).
"""
import argparse
import sys
import time

import torch
import transformers
from transformers import AutoModelForCausalLM

from peer_common import cpu_name, generated_tokens, prompt_ids, report

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def timed(model, new_tokens, cuda, kw, keep=False):
    """One generate call, synchronised on CUDA: (seconds, output) when keep, else (seconds, error)
    where error is a compile failure's message (None when it ran); other errors propagate."""
    t0 = time.perf_counter()
    try:
        out = model.generate(max_new_tokens=new_tokens, **kw)
    except Exception as e:  # noqa: BLE001 -- only a failure of transformers' own compile is caught
        if keep or kw.get("disable_compile") or not hasattr(model, "_compiled_call"):
            raise
        del model._compiled_call
        return 0.0, " ".join(f"{type(e).__name__}: {e}".split())[:300]
    if cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - t0, out if keep else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="OPT checkpoint directory")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--cache", choices=("dynamic", "static"), default="dynamic", help="KV cache kind")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where the model runs (default cpu)")
    ap.add_argument("--dtype", choices=tuple(DTYPES), default="fp32", help="weights and activations (default fp32)")
    ap.add_argument("--compile", choices=("auto", "off"), default="auto",
                    help="auto: transformers' own choice (it compiles the decoding step with a static cache "
                         "on CUDA); off: generate(disable_compile=True)")
    ap.add_argument("--eager-too", action="store_true",
                    help="when the timed call ran compiled, also time one call without the compile "
                         "(eager_tokens_per_second)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="also write the JSON here")
    a = ap.parse_args()
    if a.batch < 1 or a.new_tokens < 1 or a.prompt_len < 1 or a.threads < 1 or a.temperature <= 0:
        ap.error("--batch, --new-tokens, --prompt-len, --threads and --temperature must be positive")
    if a.device == "cuda" and not torch.cuda.is_available():
        print(f"peer_hf_temp.py: --device cuda: torch {torch.__version__} sees no CUDA device", file=sys.stderr)
        sys.exit(2)
    cuda = a.device == "cuda"
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=DTYPES[a.dtype]).to(a.device).eval()
    cfg = model.config
    ids = torch.tensor([prompt_ids(a.prompt_len, cfg.bos_token_id, cfg.vocab_size)] * a.batch, device=a.device)
    kw = dict(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=True, temperature=a.temperature,
              top_k=0, top_p=1.0, eos_token_id=cfg.eos_token_id, pad_token_id=cfg.pad_token_id,
              cache_implementation=a.cache)
    if a.compile == "off":
        kw["disable_compile"] = True
    with torch.inference_mode():
        warmup, compile_error = timed(model, a.new_tokens if cuda else 2, cuda, kw)  # warm-up, not timed
        if compile_error:  # the compiled step failed to build: time transformers without it, and say so
            kw["disable_compile"] = True
            warmup, _ = timed(model, a.new_tokens, cuda, kw)
        wall, out = timed(model, a.new_tokens, cuda, kw, keep=True)
        compiled = hasattr(model, "_compiled_call") and not kw.get("disable_compile", False)
        eager = None
        if a.eager_too and compiled:
            kw["disable_compile"] = True
            timed(model, 2, cuda, kw)  # the eager decoding step's kernels, once
            eager_wall, eager_out = timed(model, a.new_tokens, cuda, kw, keep=True)
            eager = generated_tokens(eager_out[:, a.prompt_len:].tolist(), cfg.eos_token_id, a.new_tokens) / eager_wall
    tokens = generated_tokens(out[:, a.prompt_len:].tolist(), cfg.eos_token_id, a.new_tokens)
    fields = {"peer": "transformers", "version": transformers.__version__, "torch": torch.__version__,
              "cache": a.cache, "cpu": cpu_name(), "threads": torch.get_num_threads(), "batch": a.batch,
              "prompt_tokens": a.prompt_len, "new_tokens": a.new_tokens, "temperature": a.temperature,
              "tokens": tokens, "wall_seconds": wall, "tokens_per_second": tokens / wall,
              "device": a.device, "dtype": a.dtype,
              "device_name": torch.cuda.get_device_name() if cuda else cpu_name(),
              "compiled": compiled, "warmup_seconds": warmup}
    if compile_error:
        fields["compile_error"] = compile_error
    if eager is not None:
        fields["eager_tokens_per_second"] = eager
    report(fields, a.out)


if __name__ == "__main__":
    main()
