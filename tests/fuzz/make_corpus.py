#!/usr/bin/env python3
"""Writes the seed inputs of tests/fuzz/corpus/<target>/seed-* from the repository's fixtures
and examples (standard library only; run from anywhere: python3 tests/fuzz/make_corpus.py).

Seeds are small: safetensors seeds are made here (a few tensors of each dtype) or are the
fixtures' headers without their data, tokenizer texts are the fixtures' test cases. Files
named regress-* (inputs that once found a bug) are kept; seed-* files are rewritten."""
import glob
import json
import os
import struct

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
FIX = os.path.join(ROOT, "tests", "fixtures")
TRACE = """\
{"chain":0,"block":0,"step":0,"idx":1,"len_current":2,"len_proposal":2,"logp_prefix":-0.510825634,"logp_current":-1.10866261,"logp_proposal":-1.07880962,"log_r":0,"accepted":true}
{"chain":1,"block":0,"step":0,"idx":1,"len_current":2,"len_proposal":2,"logp_prefix":-0.510825634,"logp_current":-1.10866261,"logp_proposal":-1.10866261,"log_r":0,"accepted":true}
{"chain":0,"block":0,"step":1,"idx":1,"len_current":2,"len_proposal":2,"logp_prefix":-0.510825634,"logp_current":-1.07880962,"logp_proposal":-1.10866261,"log_r":0,"accepted":true}
{"chain":1,"block":0,"step":1,"idx":1,"len_current":2,"len_proposal":2,"logp_prefix":-0.510825634,"logp_current":-1.10866261,"logp_proposal":-1.07880962,"log_r":0,"accepted":true}
{"chain":0,"block":0,"step":2,"idx":1,"len_current":2,"len_proposal":2,"logp_prefix":-0.510825634,"logp_current":-1.10866261,"logp_proposal":-1.10866261,"log_r":0,"accepted":true}
{"chain":1,"block":0,"step":2,"idx":0,"len_current":2,"len_proposal":2,"logp_prefix":0,"logp_current":-1.58963525,"logp_proposal":-1.61948824,"log_r":0,"accepted":true}
{"chain":0,"block":0,"step":3,"idx":0,"len_current":2,"len_proposal":2,"logp_prefix":0,"logp_current":-1.61948824,"logp_proposal":-1.61948824,"log_r":0,"accepted":true}
{"chain":0,"block":0,"step":4,"idx":1,"len_current":2,"len_proposal":2,"logp_prefix":-0.510825634,"logp_current":-1.10866261,"logp_proposal":-1.10866261,"log_r":0,"accepted":true}
"""


def read(*parts):
    with open(os.path.join(ROOT, *parts), "rb") as f:
        return f.read()


def put(target, seeds):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for old in glob.glob(os.path.join(d, "seed-*")):
        os.remove(old)
    for name, data in seeds.items():
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)


def safetensors(tensors, metadata=None):
    """tensors: (name, dtype, shape, bytes per element); data is a byte ramp."""
    header, off, data = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, size in tensors:
        n = size
        for s in shape:
            n *= s
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + n]}
        data += bytes(i % 251 for i in range(n))
        off += n
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + data


def header_only(path):
    raw = read(path)
    (n,) = struct.unpack("<Q", raw[:8])
    return raw[: 8 + n]


def hf_texts():
    cases = json.loads(read("tests", "fixtures", "hf_tokenizer_roundtrip.json"))["cases"]
    seen, out = set(), []
    for c in cases:
        t = bytes.fromhex(c["text_hex"])
        if t not in seen and len(t) < 400:
            seen.add(t)
            out.append(t)
    return out


def main():
    put("safetensors", {
        "f32": safetensors([("a", "F32", [2, 3], 4), ("b", "F32", [3], 4)]),
        "mixed": safetensors([("w", "F16", [4, 2], 2), ("v", "BF16", [2], 2), ("s", "F32", [], 4)],
                             {"format": "pt"}),
        "empty-tensor": safetensors([("z", "F32", [0, 4], 4), ("x", "F16", [1], 2)]),
        "opt-header": header_only("tests/fixtures/opt-tiny-pre/model.safetensors"),
        "qwen2-header": header_only("tests/fixtures/qwen2-tiny-gqa/model.safetensors"),
    })
    index = {"metadata": {"total_size": 24}, "weight_map": {"a": "shard-1.safetensors",
             "b": "shard-1.safetensors", "c": "shard-2.safetensors"}}
    put("safetensors_set", {
        "two-shards": json.dumps(index, indent=2).encode(),
        "one-shard": json.dumps({"weight_map": {"c": "shard-2.safetensors"}}).encode(),
        "opt-sharded": read("tests/fixtures/opt-tiny-sharded/model.safetensors.index.json"),
    })
    opt, hf = {}, {}
    for cfg in sorted(glob.glob(os.path.join(FIX, "*", "config.json"))):
        name = os.path.basename(os.path.dirname(cfg))
        (opt if name.startswith("opt-") else hf)[name] = read(cfg)
    put("opt_config", opt)
    put("hf_config", hf)

    vocab, merges = read("tests/fixtures/tokenizer/vocab.json"), read("tests/fixtures/tokenizer/merges.txt")
    put("tokenizer_files", {
        "fixture": vocab + b"\0" + merges + b"\0" + b"Hello world</s> it's 42",
        "bytes-only": json.dumps({chr(c) if 33 <= c <= 126 else "\\u%04x" % (c + 256): i
                                  for i, c in enumerate(range(256))}).encode() + b"\0#version: 0.2\n\0ab",
    })
    enc = json.loads(read("tests/fixtures/tokenizer_cases.json"))["encode"]
    opt_texts = {c["name"]: bytes.fromhex(c["hex"]) for c in enc if len(c["hex"]) < 800}
    put("tokenizer_opt", dict(list(opt_texts.items())[:40]))
    texts = hf_texts()
    put("tokenizer_hf", {"%s-%02d" % (k, i): bytes([j]) + t
                         for j, k in enumerate(["qwen2", "llama3", "phi3"])
                         for i, t in enumerate(texts[:20])})
    put("tokenizer_json", {k: read("tests/fixtures/tokenizers", k, "tokenizer.json") + b"\0" + texts[3]
                           for k in ["qwen2", "llama3", "phi3"]})

    put("toy_world", {os.path.basename(p): read(p) for p in
                      sorted(glob.glob(os.path.join(ROOT, "experiments", "toy", "*.json")))})
    put("experiment_config", {
        "passk-ci": read("experiments/passk/ci.json"),
        "h3-ci": read("experiments/h3/ci.json"),
    })
    put("method_spec", {
        "text": b"\0greedy temp:temperature=0.25,label=low-temp power:alpha=4,block-size=2,mcmc-steps=30",
        "grid": b"\0power:alpha=2|4|8,block-size=4|8,mcmc-steps=10 bestofn:best-of=4",
        "json": b"\1" + json.dumps(json.loads(read("experiments/passk/ci.json"))["methods"]).encode(),
        "json-grid": b"\1" + json.dumps([{"method": "power", "alpha": [2, 4], "block_size": [4, 8]},
                                         {"method": "maxswap", "proposal_temp": 0.5}]).encode(),
    })
    tasks = read("experiments/tasks/cloze.jsonl")
    put("passk_tasks", {
        "cloze": tasks + b"\0 Paris, the city",
        "marker": b'{"id": "a", "prompt": "2+2?", "answer": "4", "marker": "Answer:", "numeric": true}\n'
                  b'{"id": "b", "prompt": "x", "regex": "^6([^0-9]|$)"}\n\0So... Answer: 4.0\n',
    })
    put("task_answer", {
        "marker": b"Answer:\0Work it out. Answer:  -0012.50 \nmore\0-12.5\0-0012.500",
        "plain": b"####\0#### 7\0+7\x007.0",
    })
    # The first lines of `psamp generate --model experiments/toy/greedy_trap.json --chains 2
    # --max-new-tokens 6 --trace FILE`.
    put("h2_trace", {"power-toy": TRACE.encode()})

    def sweep(path):
        c = json.loads(read(path))
        c["model"] = "w.json"
        if "tasks" in c:
            c["tasks"] = "t.jsonl"
        return json.dumps(c, indent=1).encode()
    put("sweep_config", {
        "toy-sweep": sweep("experiments/configs/toy-sweep.json"),
        "tiny-tasks": sweep("experiments/configs/tiny-tasks-sweep.json"),
        "tasks": json.dumps({"model": "w.json", "tasks": "t.jsonl", "method": ["power", "greedy"],
                             "samples_per_task": [2, 4], "k": [1, 2], "max_new_tokens": 2}).encode(),
        "prompts": json.dumps({"name": "p", "model": ["w.json", "w.json"], "prompt": ["a", "b a"],
                               "method": "bestofn", "best_of": [2, 3], "seed": [1, 2]}).encode(),
    })


if __name__ == "__main__":
    main()
