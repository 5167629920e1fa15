#!/usr/bin/env python3
"""MATH500 as a psamp task file judged by the boxed checker. Standard library only.

    python3 scripts/math500_tasks.py MATH500.json > math500_tasks.jsonl

MATH500.json is the list the paper's code reads (llm_experiments/data/MATH500.json in
github.com/aakaran/reasoning-with-sampling: objects with "prompt", "answer", "id", "source");
a JSONL file of such objects (one a line) works too, e.g. HuggingFaceH4/MATH-500's test.jsonl,
whose "problem" / "unique_id" fields are read when "prompt" / "id" are absent. Each task:
{"id", "prompt": the problem text, "answer", "checker": "boxed", "source"}; the problem goes into
the model's prompt through --prompt-template (experiments/prompts/math500_qwen.txt).
"""
import json
import sys


def read(path):
    text = open(path, encoding="utf-8").read()
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: math500_tasks.py MATH500.json > tasks.jsonl")
    seen = set()
    for n, item in enumerate(read(sys.argv[1]), 1):
        problem = item.get("prompt", item.get("problem"))
        task_id = item.get("id", item.get("unique_id", f"math500-{n}"))
        if problem is None or "answer" not in item:
            sys.exit(f"{sys.argv[1]}: item {n}: needs a prompt (or problem) and an answer")
        if task_id in seen:
            sys.exit(f"{sys.argv[1]}: item {n}: id {task_id!r} repeats")
        seen.add(task_id)
        sys.stdout.write(json.dumps({"id": task_id, "prompt": problem, "answer": item["answer"], "checker": "boxed",
                                     "source": item.get("source", "MATH500")}) + "\n")


if __name__ == "__main__":
    main()
