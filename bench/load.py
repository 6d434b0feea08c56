"""``python -m bench.load``: the site under gunicorn with concurrent visitors through captcha and
sign-in (``qa.load``), its figures printed as a table for ``make bench``."""

from __future__ import annotations

import argparse
import sys

from qa.load import run_visitors
from qa.site_under_test import serve_site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=3)
    options = parser.parse_args(argv)
    with serve_site(members=options.visitors, workers=options.workers) as site:
        figures = run_visitors(site, visitors=options.visitors, rounds=options.rounds)
    print(f"Load: gunicorn, {options.workers} workers, SQLite\n")
    print(figures.table())
    for error in figures.errors[:10]:
        print(error, file=sys.stderr)
    return 1 if figures.errors or figures.sign_ins != figures.expected_sign_ins else 0


if __name__ == "__main__":
    sys.exit(main())
