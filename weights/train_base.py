#!/usr/bin/env python3
"""Trains psamp's shipped base model, psamp-arith-base: a byte-level BPE and a small OPT
(pre-LN, ReLU, tied lm_head, the code path of OPT-125M) on the arithmetic tasks' train split,
on the CPU with 2 threads, seeded. Writes a Hugging Face checkpoint folder (fp16 safetensors,
config.json, vocab.json, merges.txt) plus training_log.csv and train_stats.json.

    export PSAMP_PYENV=/work/pyenv   # optional: where the venv lives
    "$(scripts/pyenv.sh hf)/bin/python" weights/train_base.py            # weights/psamp-arith-base/

The defaults are the frozen choice recorded in weights/psamp-arith-base/README.md. The flags exist
to train a larger model elsewhere (e.g. --device cuda --hidden 512 --layers 8 --steps 20000).
"""
import argparse
import json
import os
import platform
import shutil
import tempfile
import time

import torch
import transformers
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import OPTConfig, OPTForCausalLM

import arith_common as ac

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER_CORPUS_PER_FAMILY = 4000


def train_tokenizer(train, vocab_size, out_dir):
    """Byte-level BPE with OPT's special ids 0..3. Digits are split one by one before training, so no
    merge joins digits: every number is spelled digit by digit (which a small model can add), and
    the plain GPT-2 rules psamp uses (vocab.json + merges.txt) give the same ids (checked)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False)])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=ac.SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    corpus = [p["prompt"] + p["solution"] for f in ac.FAMILIES for p in train[f][:TOKENIZER_CORPUS_PER_FAMILY]]
    tok.train_from_iterator(corpus, trainer=trainer)
    tok.model.save(out_dir)
    with open(os.path.join(out_dir, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    assert sorted(vocab.values()) == list(range(len(vocab))), "vocabulary ids are not 0..n-1"
    assert all(vocab[s] == i for i, s in enumerate(ac.SPECIALS)), "special tokens are not ids 0..3"
    plain = ac.load_tokenizer(out_dir)
    for text in corpus[::7]:
        if plain.encode(text) != tok.encode(text).ids:
            raise SystemExit(f"train_base.py: the plain GPT-2 rules tokenize {text!r} differently")
    return plain, len(vocab)


def main():
    ap = argparse.ArgumentParser(description="train psamp-arith-base")
    ap.add_argument("--out", default=os.path.join(HERE, "psamp-arith-base"))
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--vocab", type=int, default=512)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--positions", type=int, default=256)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--eval-samples", type=int, default=2, help="T=1 samples per test problem")
    ap.add_argument("--max-new-tokens", type=int, default=160)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    splits = ac.gen_tasks.generate()
    train = {f: splits[f][1] for f in ac.FAMILIES}
    test = {f: splits[f][0] for f in ac.FAMILIES}
    work = tempfile.mkdtemp(prefix="psamp-arith-")
    tok, vocab_size = train_tokenizer(train, args.vocab, work)
    examples = [ac.encode_example(tok, p["prompt"], p["solution"]) for f in ac.FAMILIES for p in train[f]]
    longest = max(len(e[0]) for e in examples)
    if longest > args.positions:
        raise SystemExit(f"train_base.py: an example has {longest} tokens > --positions {args.positions}")

    cfg = OPTConfig(vocab_size=vocab_size, hidden_size=args.hidden, num_hidden_layers=args.layers,
                    num_attention_heads=args.heads, ffn_dim=4 * args.hidden, max_position_embeddings=args.positions,
                    word_embed_proj_dim=args.hidden, do_layer_norm_before=True, activation_function="relu",
                    dropout=0.0, attention_dropout=0.0, init_std=0.02, enable_bias=True,
                    tie_word_embeddings=True, bos_token_id=ac.BOS, eos_token_id=ac.EOS, pad_token_id=ac.PAD)
    cfg._attn_implementation = "eager"  # faster than sdpa with padding masks on the CPU; the same maths
    model = OPTForCausalLM(cfg).to(args.device)
    params = sum(p.numel() for p in model.parameters())
    print(f"train_base.py: {params} parameters, vocab {vocab_size}, {len(examples)} examples, "
          f"longest {longest} tokens", flush=True)

    os.makedirs(args.out, exist_ok=True)
    seconds, cpu_seconds, tokens = ac.train_loop(model, examples, steps=args.steps, batch_size=args.batch, lr=args.lr,
                                    warmup=args.warmup, seed=args.seed, log_every=50,
                                    csv_path=os.path.join(args.out, "training_log.csv"), label="base")

    # Ship fp16; everything measured from here on is the fp16-rounded model computed in fp32.
    model = model.to("cpu").half().float().eval()
    model.config._attn_implementation = "eager"
    model.half().save_pretrained(args.out, safe_serialization=True)
    model.float()
    for f in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(work, f), os.path.join(args.out, f))
    shutil.rmtree(work)

    t0 = time.time()
    acc = ac.family_accuracy(model, tok, test, samples_per_prompt=args.eval_samples,
                             max_new_tokens=args.max_new_tokens, seed=args.seed + 1)
    stats = {"script": "weights/train_base.py", "args": vars(args), "parameters": params, "vocab_size": vocab_size,
             "train_examples": len(examples), "train_seconds": round(seconds, 1),
             "train_cpu_seconds": round(cpu_seconds, 1), "train_tokens": tokens,
             "eval_seconds": round(time.time() - t0, 1), "test_accuracy_t1": acc,
             "machine": f"{platform.machine()} {platform.processor() or ''}".strip() + f", torch threads {args.threads}",
             "versions": f"torch {torch.__version__}, transformers {transformers.__version__}"}
    ac.write_json(os.path.join(args.out, "train_stats.json"), stats)
    print(json.dumps(acc, indent=1))


if __name__ == "__main__":
    main()
