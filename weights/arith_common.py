"""What train_base.py and train_rl.py share: the task data, the tokenizer, batching, a training
loop, temperature-1 sampling and the per-family accuracy. Run through scripts/pyenv.sh hf."""
import json
import math
import os
import random
import sys
import time

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "experiments", "tasks"))
import gen_tasks  # noqa: E402
import judge  # noqa: E402

BOS = EOS = 2  # "</s>", as in OPT
PAD = 1        # "<pad>"
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]  # ids 0..3, as in OPT
FAMILIES = list(gen_tasks.FAMILIES)


class PlainTokenizer:
    """The GPT-2 byte-level BPE rules psamp and OPT apply to vocab.json + merges.txt (the GPT-2
    split pattern, byte-to-unicode mapping, merges by rank), via the `tokenizers` package."""

    def __init__(self, folder):
        self.tok = Tokenizer(models.BPE.from_file(os.path.join(folder, "vocab.json"),
                                                  os.path.join(folder, "merges.txt")))
        self.tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        self.tok.decoder = decoders.ByteLevel()

    def encode(self, text):
        return self.tok.encode(text, add_special_tokens=False).ids

    def decode(self, ids):
        return self.tok.decode(ids, skip_special_tokens=False)

    def tokens(self, ids):
        return [self.tok.id_to_token(i) for i in ids]


def load_tokenizer(folder):
    return PlainTokenizer(folder)


def encode_example(tok, prompt, solution):
    """(ids, number of context tokens): </s> prompt solution </s>; the loss covers solution and EOS."""
    p = tok.encode(prompt)
    s = tok.encode(solution)
    return [BOS] + p + s + [EOS], 1 + len(p)


def batches(examples, batch_size, rng):
    """Shuffled batches of similar length (sorted within chunks of 50 batches), padded with PAD."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    chunk = batch_size * 50
    groups = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda i: len(examples[i][0]))
        groups += [part[b:b + batch_size] for b in range(0, len(part), batch_size)]
    rng.shuffle(groups)
    for g in groups:
        width = max(len(examples[i][0]) for i in g)
        ids = torch.full((len(g), width), PAD, dtype=torch.long)
        mask = torch.zeros((len(g), width), dtype=torch.long)
        labels = torch.full((len(g), width), -100, dtype=torch.long)
        for row, i in enumerate(g):
            seq, ctx = examples[i]
            ids[row, :len(seq)] = torch.tensor(seq)
            mask[row, :len(seq)] = 1
            labels[row, ctx:len(seq)] = torch.tensor(seq[ctx:])
        yield ids, mask, labels


def train_loop(model, examples, *, steps, batch_size, lr, warmup, seed, log_every, csv_path, label):
    """AdamW with linear warmup and cosine decay to 10 %; writes step,tokens,loss,lr,seconds,cpu_seconds
    rows (wall seconds depend on what else the machine runs; CPU seconds of this process much less)."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.01)
    model.train()
    device = next(model.parameters()).device
    t0, cpu0, tokens, step, running, count = time.time(), time.process_time(), 0, 0, 0.0, 0
    with open(csv_path, "w") as csv:
        csv.write("step,tokens,loss,lr,seconds,cpu_seconds\n")
        while step < steps:
            for ids, mask, labels in batches(examples, batch_size, rng):
                if step >= steps:
                    break
                scale = min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / steps)))
                for group in opt.param_groups:
                    group["lr"] = lr * scale
                loss = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device)).loss
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                step += 1
                tokens += int(mask.sum())
                running += loss.item()
                count += 1
                if step % log_every == 0 or step == steps:
                    elapsed = time.time() - t0
                    csv.write(f"{step},{tokens},{running / count:.5f},{lr * scale:.3e},{elapsed:.1f},"
                              f"{time.process_time() - cpu0:.1f}\n")
                    csv.flush()
                    print(f"{label} step {step}/{steps} loss {running / count:.4f} tokens {tokens} "
                          f"{elapsed:.0f}s", flush=True)
                    running, count = 0.0, 0
    model.eval()
    return time.time() - t0, time.process_time() - cpu0, tokens


@torch.no_grad()
def sample(model, tok, prompts, *, samples_per_prompt, max_new_tokens, seed, batch_size=256):
    """Ancestral sampling at temperature 1 (no top-k, no top-p): for each prompt a list of
    completion texts (decoded up to, not including, the first EOS)."""
    gen = torch.Generator().manual_seed(seed)
    encoded = [[BOS] + tok.encode(p) for p in prompts]
    jobs = [(i, e) for i, e in enumerate(encoded) for _ in range(samples_per_prompt)]
    by_len = {}
    for i, e in jobs:
        by_len.setdefault(len(e), []).append((i, e))
    out = [[] for _ in prompts]
    for length in sorted(by_len):
        group = by_len[length]
        for b in range(0, len(group), batch_size):
            part = group[b:b + batch_size]
            ids = torch.tensor([e for _, e in part])
            res = model(input_ids=ids, use_cache=True)
            past, new = res.past_key_values, []
            done = torch.zeros(len(part), dtype=torch.bool)
            logits = res.logits[:, -1]
            for _ in range(max_new_tokens):
                probs = torch.softmax(logits.float(), dim=-1)
                nxt = torch.multinomial(probs, 1, generator=gen)[:, 0]
                nxt = torch.where(done, torch.full_like(nxt, EOS), nxt)
                new.append(nxt)
                done |= nxt == EOS
                if bool(done.all()):
                    break
                res = model(input_ids=nxt[:, None], past_key_values=past, use_cache=True)
                past, logits = res.past_key_values, res.logits[:, -1]
            rows = torch.stack(new, dim=1).tolist()
            for (i, _), row in zip(part, rows):
                if EOS in row:
                    row = row[:row.index(EOS)]
                out[i].append(tok.decode(row))
    return out


def mean_ci(per_problem, z=1.96):
    """Mean of per-problem accuracies and its 95 % normal interval over problems (samples of one
    problem are not independent, so the problem is the unit)."""
    n = len(per_problem)
    mean = sum(per_problem) / n
    var = sum((x - mean) ** 2 for x in per_problem) / max(1, n - 1)
    half = z * math.sqrt(var / n)
    return mean, (max(0.0, mean - half), min(1.0, mean + half))


def family_accuracy(model, tok, problems_by_family, *, samples_per_prompt, max_new_tokens, seed):
    """{family: {"correct", "total", "accuracy", "ci95"}} of temperature-1 samples, judged by judge.py."""
    report = {}
    for f, problems in problems_by_family.items():
        texts = sample(model, tok, [p["prompt"] for p in problems], samples_per_prompt=samples_per_prompt,
                       max_new_tokens=max_new_tokens, seed=seed)
        per_problem = [sum(judge.correct(t, p["answer"]) for t in ts) / len(ts) for p, ts in zip(problems, texts)]
        mean, (lo, hi) = mean_ci(per_problem)
        right = round(mean * len(problems) * samples_per_prompt)
        report[f] = {"problems": len(problems), "samples_per_problem": samples_per_prompt, "correct": right,
                     "accuracy": mean, "ci95": [lo, hi]}
    return report


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
