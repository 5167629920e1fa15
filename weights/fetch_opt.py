#!/usr/bin/env python3
"""Download an OPT checkpoint from the Hugging Face hub into a directory psamp can load.

    python3 weights/fetch_opt.py facebook/opt-125m weights/opt-125m

Fetches config.json, vocab.json, merges.txt and the weights. When the hub has no
model.safetensors (facebook/opt-125m serves pytorch_model.bin), the .bin is converted to
model.safetensors here: every tensor is made contiguous and given its own storage (the
.bin ties lm_head to embed_tokens; psamp re-ties a missing lm_head itself, so it is
dropped). Needs: pip install huggingface_hub torch safetensors. Offline, copy the four
files of any OPT checkpoint into one directory instead.
"""
import argparse
import os
import sys


def convert_bin(bin_path: str, out_path: str) -> None:
    import torch
    from safetensors.torch import save_file

    state = torch.load(bin_path, map_location="cpu", weights_only=True)
    tensors = {}
    for name, t in state.items():
        if name.endswith("lm_head.weight"):
            continue  # tied to embed_tokens: psamp falls back to it
        tensors[name] = t.detach().contiguous().clone()
    tmp = out_path + ".tmp"
    save_file(tensors, tmp, metadata={"format": "pt"})
    os.replace(tmp, out_path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo", help="hub repository, e.g. facebook/opt-125m")
    ap.add_argument("out", help="output directory")
    args = ap.parse_args()
    try:
        from huggingface_hub import hf_hub_download, list_repo_files
    except ImportError:
        print("fetch_opt.py: pip install huggingface_hub torch safetensors", file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    files = set(list_repo_files(args.repo))
    for name in ("config.json", "vocab.json", "merges.txt"):
        if name not in files:
            print(f"fetch_opt.py: {args.repo} has no {name}", file=sys.stderr)
            return 1
        hf_hub_download(args.repo, name, local_dir=args.out)
    if "model.safetensors" in files:
        hf_hub_download(args.repo, "model.safetensors", local_dir=args.out)
    elif "pytorch_model.bin" in files:
        path = hf_hub_download(args.repo, "pytorch_model.bin", local_dir=args.out)
        convert_bin(path, os.path.join(args.out, "model.safetensors"))
        os.remove(path)
    else:
        print(f"fetch_opt.py: {args.repo} has neither model.safetensors nor pytorch_model.bin",
              file=sys.stderr)
        return 1
    print(f"{args.repo} -> {args.out}: psamp generate --model {args.out} --prompt '...'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
