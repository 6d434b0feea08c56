"""``python -m bench.seed``: how long ``seed_members --count N`` takes with the real Argon2 hasher,
and its peak memory.

Each run uses a fresh, migrated SQLite database in a temporary folder, so the figure is the
command's own cost. Targets: 10,000 members in under 5 s (issue 3); 100,000 in under 6 s with
memory flat (issue 9): the peak is Argon2's own 100 MiB working memory plus Django, whatever N.
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
TARGETS = {10_000: 5.0, 100_000: 6.0}  # seconds


def run_once(count: int, workdir: Path, index: int) -> tuple[float, float]:
    """Seconds and peak resident MiB of one ``seed_members --count`` on a fresh database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "memberproj.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{workdir / f'seed-{count}-{index}.sqlite3'}",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    started = time.perf_counter()
    process = subprocess.Popen(
        [*manage, "seed_members", "--count", str(count)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # wait4 gives this child's own peak memory (getrusage would give the largest of all children).
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"seed_members --count {count} failed ({process.returncode})")
    return elapsed, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, action="append", help="default: 10000 and 100000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    counts = args.count or list(TARGETS)
    print(f"\n### seed_members with Argon2, fresh SQLite, {args.runs} runs each\n")
    print("| members | median | fastest | slowest | per member | peak memory | target |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        for count in counts:
            runs = [run_once(count, Path(folder), i) for i in range(args.runs)]
            times = [seconds for seconds, _ in runs]
            median = statistics.median(times)
            target = TARGETS.get(count)
            print(
                f"| {count:,} | {median:.2f} s | {min(times):.2f} s | {max(times):.2f} s "
                f"| {median / count * 1e6:.0f} µs | {max(peak for _, peak in runs):.0f} MiB "
                f"| {f'< {target:.0f} s' if target else ''} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
