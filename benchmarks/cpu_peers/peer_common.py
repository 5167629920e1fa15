"""What the CPU peer scripts share: psamp bench's prompt, the JSON report, thread settings."""
import json
import os
import platform


def prompt_ids(n, bos, vocab):
    """The prompt `psamp bench` uses: BOS, then fixed ids (their values do not change the cost)."""
    return [bos if i == 0 else 1000 + 37 * i % (vocab - 1000) for i in range(n)]


def generated_tokens(rows, eos_id, max_new):
    """Tokens each row really produced: up to and including its first EOS, else max_new."""
    total = 0
    for row in rows:
        row = list(row)[:max_new]
        total += row.index(eos_id) + 1 if eos_id in row else len(row)
    return total


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_config(model_dir):
    """The OPT config.json of a checkpoint directory (vocab_size, bos/eos ids)."""
    path = os.path.join(model_dir, "config.json")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit(f"{path}: {e}")


def report(fields, out):
    """Prints one JSON object and writes it to `out` when given."""
    text = json.dumps(fields)
    print(text)
    if out:
        with open(out, "w") as f:
            f.write(text + "\n")
