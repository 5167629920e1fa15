#!/usr/bin/env python3
"""Download an OPT checkpoint from the Hugging Face hub into a directory psamp can load.

    python3 weights/fetch_opt.py facebook/opt-125m weights/opt-125m
    python3 weights/fetch_opt.py --local DOWNLOADED_DIR weights/opt-1.3b   # no network

Fetches config.json, vocab.json, merges.txt and the weights, in whichever form the
repository has them, first found first:
  model.safetensors                          copied as it is
  model.safetensors.index.json + shards      copied as they are (psamp loads shards)
  pytorch_model.bin                          converted to model.safetensors
  pytorch_model.bin.index.json + .bin shards each shard converted to a safetensors shard,
                                             with a model.safetensors.index.json for them
Converted tensors are made contiguous with their own storage. A tied lm_head
(tie_word_embeddings, OPT's default) is dropped: psamp re-ties it to embed_tokens. Shard
names in an index must be plain file names (no folders). With --local the files are read
from a folder (a repository snapshot downloaded some other way) instead of the hub.
Needs: pip install huggingface_hub torch safetensors (torch only to convert .bin files).
"""
import argparse
import json
import os
import shutil
import sys

META = ("config.json", "vocab.json", "merges.txt")
ST_INDEX = "model.safetensors.index.json"
BIN_INDEX = "pytorch_model.bin.index.json"


class FetchError(Exception):
    pass


def shard_names(index_path: str) -> list:
    """The shard files an index's weight_map names, each once, in order; refuses names that
    are not plain file names (an index must not reach outside the checkpoint folder)."""
    try:
        with open(index_path) as f:
            index = json.load(f)
        weight_map = index["weight_map"]
        names = list(weight_map.values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise FetchError(f"{index_path}: not an index with a \"weight_map\" object ({e})")
    for name in names:
        if (not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\\" in name):
            raise FetchError(f"{index_path}: shard {name!r} is not a plain file name")
    return sorted(set(names))


def tied(config_path: str) -> bool:
    with open(config_path) as f:
        return bool(json.load(f).get("tie_word_embeddings", True))


def own_tensors(state: dict, drop_lm_head: bool) -> dict:
    import torch

    out = {}
    for name, t in state.items():
        if drop_lm_head and name.endswith("lm_head.weight"):
            continue  # tied to embed_tokens: psamp falls back to it
        if not isinstance(t, torch.Tensor):
            raise FetchError(f"{name}: not a tensor")
        out[name] = t.detach().contiguous().clone()
    return out


def save_atomic(tensors: dict, out_path: str) -> None:
    from safetensors.torch import save_file

    tmp = out_path + ".tmp"
    save_file(tensors, tmp, metadata={"format": "pt"})
    os.replace(tmp, out_path)


def load_bin(path: str) -> dict:
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)


def convert_bin(bin_path: str, out_path: str, drop_lm_head: bool = True) -> None:
    save_atomic(own_tensors(load_bin(bin_path), drop_lm_head), out_path)


def convert_bin_shards(index_path: str, get, out_dir: str, drop_lm_head: bool) -> list:
    """Converts each .bin shard the index lists (get(name) gives its local path) into
    model-0000k-of-0000N.safetensors in out_dir, and writes model.safetensors.index.json
    from the tensors actually stored. Returns the local .bin paths."""
    shards = shard_names(index_path)
    weight_map, bins, total = {}, [], 0
    for k, name in enumerate(shards, 1):
        path = get(name)
        bins.append(path)
        tensors = own_tensors(load_bin(path), drop_lm_head)
        out_name = f"model-{k:05d}-of-{len(shards):05d}.safetensors"
        save_atomic(tensors, os.path.join(out_dir, out_name))
        for tname, t in tensors.items():
            if tname in weight_map:
                raise FetchError(f"{index_path}: tensor {tname} is stored in two shards")
            weight_map[tname] = out_name
            total += t.numel() * t.element_size()
    tmp = os.path.join(out_dir, ST_INDEX + ".tmp")
    with open(tmp, "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))},
                  f, indent=2)
    os.replace(tmp, os.path.join(out_dir, ST_INDEX))
    return bins


def fetch(files: set, get, out: str, remove_downloads: bool) -> None:
    """Brings a checkpoint into out. files: the names the source has; get(name): a local
    path of that file (downloading or copying it into out as the source requires)."""
    for name in META:
        if name not in files:
            raise FetchError(f"has no {name}")
        get(name)
    drop = tied(os.path.join(out, "config.json"))
    if "model.safetensors" in files:
        get("model.safetensors")
    elif ST_INDEX in files:
        for name in shard_names(get(ST_INDEX)):
            if name not in files:
                raise FetchError(f"{ST_INDEX} names shard {name}, which is not there")
            get(name)
    elif "pytorch_model.bin" in files:
        path = get("pytorch_model.bin")
        convert_bin(path, os.path.join(out, "model.safetensors"), drop)
        if remove_downloads:
            os.remove(path)
    elif BIN_INDEX in files:
        index = get(BIN_INDEX)
        for name in shard_names(index):
            if name not in files:
                raise FetchError(f"{BIN_INDEX} names shard {name}, which is not there")
        bins = convert_bin_shards(index, get, out, drop)
        if remove_downloads:
            for path in bins + [index]:
                os.remove(path)
    else:
        raise FetchError("has neither model.safetensors, model.safetensors.index.json, "
                         "pytorch_model.bin nor pytorch_model.bin.index.json")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo", help="hub repository, e.g. facebook/opt-125m (with --local: a folder)")
    ap.add_argument("out", help="output directory")
    ap.add_argument("--local", action="store_true",
                    help="read the files from the folder REPO instead of the hub")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.local:
        if not os.path.isdir(args.repo):
            print(f"fetch_opt.py: {args.repo}: not a folder", file=sys.stderr)
            return 1
        files = set(os.listdir(args.repo))

        def get(name: str) -> str:
            src, dst = os.path.join(args.repo, name), os.path.join(args.out, name)
            if name.endswith(".bin") or name == BIN_INDEX:
                return src  # converted, never copied
            if os.path.abspath(src) != os.path.abspath(dst):
                shutil.copyfile(src, dst)
            return dst
    else:
        try:
            from huggingface_hub import hf_hub_download, list_repo_files
        except ImportError:
            print("fetch_opt.py: pip install huggingface_hub torch safetensors", file=sys.stderr)
            return 1
        files = set(list_repo_files(args.repo))

        def get(name: str) -> str:
            return hf_hub_download(args.repo, name, local_dir=args.out)
    try:
        fetch(files, get, args.out, remove_downloads=not args.local)
    except FetchError as e:
        print(f"fetch_opt.py: {args.repo}: {e}", file=sys.stderr)
        return 1
    print(f"{args.repo} -> {args.out}: psamp generate --model {args.out} --prompt '...'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
