"""Summarise py-spy's collapsed stacks (`bench/load.py --profile DIR`): where the time goes.

    .venv/bin/python bench/profile_summary.py DIR/feed-1.txt [--top 40] [--focus app/]

Prints, per function (file:function), the share of samples in which it is on the stack
(inclusive) and at the top of it (self), the threads' idle waits excluded by py-spy already.
"""

import argparse
import collections
import re
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def frames(stack: str) -> list[str]:
    out = []
    for frame in stack.split(";"):
        match = FRAME.match(frame)
        if match is None:
            out.append(frame)
            continue
        path = match["file"]
        for marker in ("site-packages/", "/lib/python3.11/", "/wt/perf/"):
            if marker in path:
                path = path.split(marker, 1)[1]
        out.append(f"{path}:{match['func']}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--focus", default="", help="only functions whose file contains this")
    args = parser.parse_args()
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in args.file.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        names = frames(stack)
        # The process/thread frames py-spy prepends are not Python functions.
        names = [f for f in names if not f.startswith(("process ", "thread "))]
        total += n
        for name in set(names):
            inclusive[name] += n
        if names:
            own[names[-1]] += n
    print(f"{total} samples")
    print(f"{'incl':>6} {'self':>6}  function")
    ranked = [k for k, _ in inclusive.most_common() if args.focus in k]
    for name in ranked[: args.top]:
        print(f"{inclusive[name] / total:>6.1%} {own[name] / total:>6.1%}  {name}")
    print("\nby self time:")
    for name, n in own.most_common(args.top):
        if args.focus in name:
            print(f"{n / total:>6.1%}  {name}")


if __name__ == "__main__":
    main()
