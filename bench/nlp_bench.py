"""Benchmark: full NLP pipeline throughput as a ratio of raw sentence-transformer encode throughput.

Run: python bench/nlp_bench.py [--n 2000] [--json]   (same as `feedloop nlp bench`)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp.cli import nlp_cli  # noqa: E402


def main() -> None:
    """Forward the arguments to the `bench` command."""
    nlp_cli(["bench", *sys.argv[1:]], prog_name="nlp_bench")


if __name__ == "__main__":
    main()
