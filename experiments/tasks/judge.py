#!/usr/bin/env python3
"""The numeric-marker rule of psamp's task files, in Python (standard library only).

A completion is right when: the first occurrence of the marker ("Answer:") is found, the text after
it up to the next newline (or the end) with spaces stripped is a decimal integer (an optional sign,
then digits), and that integer equals the task's answer. Anything else is wrong.

    judge.correct(" 3+4=7\\nAnswer: 7", "7", "Answer:") -> True
"""
import re

INTEGER = re.compile(r"[+-]?[0-9]+")


def extract(completion, marker="Answer:"):
    """The integer after the first marker, or None when there is none."""
    at = completion.find(marker)
    if at < 0:
        return None
    rest = completion[at + len(marker):]
    line = rest.split("\n", 1)[0].strip(" ")
    if not INTEGER.fullmatch(line):
        return None
    return int(line)


def correct(completion, answer, marker="Answer:"):
    got = extract(completion, marker)
    return got is not None and got == int(answer)


if __name__ == "__main__":
    import sys
    if len(sys.argv) != 3:
        sys.exit("usage: judge.py ANSWER COMPLETION")
    print("right" if correct(sys.argv[2], sys.argv[1]) else "wrong")
