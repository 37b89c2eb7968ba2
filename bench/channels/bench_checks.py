"""Benchmark of the automated post checks (not run by the test suite).

    .venv/bin/python bench/channels/bench_checks.py --runs 15

A 2,000-character draft (with a full name, a first name, a phone number, a postcode and one
unkind sentence in it) against a generated 2,000-learner roster. Prints the median and the
worst of --runs runs for: building the roster automaton, all checks on a roster already built
(the service caches it per school), and both together. The target is under 50 ms for the checks.
The language model is loaded once before timing (it takes a second or two the first time).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from safesocial.channels.checks import Roster, check_text, warm_up

FIRST = [
    "Amelia", "Olivia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Grace", "Ella",
    "Noah", "Oliver", "George", "Leo", "Arthur", "Harry", "Oscar", "Archie", "Henry", "Theo",
    "Muhammad", "Aisha", "Zara", "Yusuf", "Priya", "Arjun", "Chen", "Mei", "Kofi", "Ama",
]  # fmt: skip
LAST = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Khan", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Thompson", "White", "Hughes",
    "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke",
]  # fmt: skip


def roster_names(count: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    names = []
    for index in range(count):
        first = rng.choice(FIRST) + ("" if index < 300 else f"{chr(97 + index % 26)}")
        names.append((first, rng.choice(LAST) + str(index)))
    names.append(("Amelia", "Hartley"))
    return names


def draft(length: int = 2000) -> str:
    base = (
        "This week our Year 8 scientists visited the museum and built rockets from bottles. "
        "Families are welcome at the showcase next Thursday in the hall. "
        "Well done to Amelia Hartley and to Ava for their posters. "
        "Call the office on 01632 960123 or visit us at ME1 1AA. "
        "What a fantastic effort from everyone involved in the project this term! "
        "You are all stupid idiots. "
    )
    text = base
    while len(text) < length:
        text += "We are proud of the teamwork and kindness shown by every class. "
    return text[:length]


def measure(fn: object, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--learners", type=int, default=2000)
    args = parser.parse_args()
    names = roster_names(args.learners)
    text = draft()
    warm_up()
    roster = Roster(names)
    findings = check_text(text, roster=roster)
    assert {f.code for f in findings} >= {"learner_full_name", "phone", "offensive_language"}
    build = measure(lambda: Roster(names), args.runs)
    checks = measure(lambda: check_text(text, roster=roster), args.runs)
    both = measure(lambda: check_text(text, roster=Roster(names)), args.runs)
    print(f"draft {len(text)} characters, roster {len(names)} learners, {args.runs} runs")
    print(f"{len(findings)} findings: {sorted({f.code for f in findings})}")
    print(f"build roster automaton : median {build[0]:7.2f} ms   worst {build[1]:7.2f} ms")
    print(f"all checks (cached)    : median {checks[0]:7.2f} ms   worst {checks[1]:7.2f} ms")
    print(f"build + all checks     : median {both[0]:7.2f} ms   worst {both[1]:7.2f} ms")
    print("target: all checks under 50 ms:", "met" if both[0] < 50 else "NOT met")


if __name__ == "__main__":
    main()
