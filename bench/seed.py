"""``python -m bench.seed``: how long ``seed_members --count N`` takes with the real Argon2 hasher.

Each run uses a fresh, migrated SQLite database in a temporary folder, so the figure is the
command's own cost. Target (issue 3): 10,000 members in under 5 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 5.0


def run_once(count: int, workdir: Path, index: int) -> float:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "memberproj.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{workdir / f'seed-{index}.sqlite3'}",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    started = time.perf_counter()
    subprocess.run(
        [*manage, "seed_members", "--count", str(count)],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        times = [run_once(args.count, Path(folder), i) for i in range(args.runs)]
    median = statistics.median(times)
    print(f"\n### seed_members --count {args.count} (Argon2, fresh SQLite, {args.runs} runs)\n")
    print("| median | fastest | slowest | per member | target | median / target |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| {median:.2f} s | {min(times):.2f} s | {max(times):.2f} s "
        f"| {median / args.count * 1e6:.0f} µs | < {TARGET_SECONDS:.0f} s "
        f"| {median / TARGET_SECONDS:.2f} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
