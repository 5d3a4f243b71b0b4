"""The `main` entry point: prints a greeting.

brain passes every parameter declared in onebrain.yml as `--name value`:
    brain run -e main -P who=Ada -P times=3
"""

from __future__ import annotations

import argparse
from datetime import date


def greet(greeting: str, who: str, times: int) -> list[str]:
    """The lines to print."""
    return [f"{greeting}, {who}!" for _ in range(times)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Print a greeting a few times.")
    parser.add_argument("--greeting", default="Hello")
    parser.add_argument("--who", default="world")
    parser.add_argument("--times", type=int, default=1)
    parser.add_argument("--ds", type=date.fromisoformat, default=date(2024, 1, 1))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for line in greet(args.greeting, args.who, args.times):
        print(line)
    print(f"(as of {args.ds.isoformat()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
