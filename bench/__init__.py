"""Benchmarks: each module is one command that prints a Markdown table (bench/README.md).

Every one takes ``--quick``: the same run at sizes small enough to finish in well under two
minutes, which CI runs (``python -m bench.smoke``) so that no benchmark rots unseen.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def parse(parser: argparse.ArgumentParser, **quick: Any) -> argparse.Namespace:
    """The command line, with ``--quick`` setting each option named in ``quick`` to its value
    (an option also given on the command line keeps the value given)."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run at tiny sizes: "
        + ", ".join(f"--{name.replace('_', '-')} {value}" for name, value in quick.items()),
    )
    args = parser.parse_args()
    if args.quick:
        given = {a.split("=", 1)[0] for a in sys.argv[1:] if a.startswith("--")}
        for name, value in quick.items():
            if f"--{name.replace('_', '-')}" not in given:
                setattr(args, name, value)
    return args
