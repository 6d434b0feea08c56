"""``python -m bench.signin [--rounds 5 --per-round 20]``: what a sign-in POST costs next to the
one Argon2 verify it needs, and what a wrong-captcha POST costs (it must cost no hash at all).

In one process, through Django's test client, on a fresh migrated SQLite database with the
production settings (``DEBUG`` off, real Argon2): each POST gets a fresh captcha first (not
timed), as a browser does. Rounds alternate the three measurements so load from elsewhere falls
on all of them alike. Figures are medians, printed, never asserted. Targets (issue 9): a
successful sign-in POST at most 1.1x one Argon2 verify.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.site import configure_production_site

EMAIL = "bench-signin@example.com"
PASSWORD = "bench-Passw0rd-2026!"  # noqa: S105  (a benchmark member's password)


def configure(workdir: Path) -> None:
    """Production settings on a fresh database in ``workdir``, migrated, with one member."""
    configure_production_site(workdir, allowed_hosts="testserver")
    from django.conf import settings

    # Hundreds of refused captchas from one address are this benchmark's business, not an attack.
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 1_000_000
    logging.getLogger("member").setLevel(logging.WARNING)  # one log line per attempt otherwise
    from member.models import Member

    Member.objects.create_user(EMAIL, PASSWORD, username="Bench")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        configure(Path(folder))
        from django.test import Client

        from member import captcha
        from member.models import Member

        stored_hash = Member.objects.get(email=EMAIL).password
        from django.contrib.auth.hashers import check_password

        def post(*, right_captcha: bool) -> Callable[[], object]:
            client = Client(HTTP_X_FORWARDED_PROTO="https")
            client.get("/member/captcha/", secure=True)
            answer = captcha.current_answer(client.session) if right_captcha else "ZZZZZ"
            data = {"useremail": EMAIL, "userpassword": PASSWORD, "captcha": answer}

            def send() -> None:
                response = client.post("/member/login/", data, secure=True)
                expected = 302 if right_captcha else 200
                if response.status_code != expected:
                    raise SystemExit(f"sign-in POST answered {response.status_code}")

            return send

        verify, sign_in, wrong = [], [], []
        for _ in range(args.rounds):
            for _ in range(args.per_round):
                verify.append(timed(lambda: check_password(PASSWORD, stored_hash)))
                sign_in.append(timed(post(right_captcha=True)))
                wrong.append(timed(post(right_captcha=False)))

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.1f} ms"

    ratio = statistics.median(sign_in) / statistics.median(verify)
    count = args.rounds * args.per_round
    print(f"\n### Sign-in cost, {count} of each, alternating, in-process (DEBUG off)\n")
    print("| measurement | median |")
    print("| --- | ---: |")
    print(f"| one Argon2 verify (`check_password`) | {ms(verify)} |")
    print(f"| successful sign-in POST (302) | {ms(sign_in)} |")
    print(f"| wrong-captcha sign-in POST (200, no hash) | {ms(wrong)} |")
    print(f"| sign-in POST / one Argon2 verify | {ratio:.2f}x (target at most 1.1x) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
