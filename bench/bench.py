#!/usr/bin/env python3
"""Benchmark: build a synthetic bilingual site of N postings; print time, pages/s, peak memory.

    python bench/bench.py [--postings 1000] [--keep DIR]

The synthetic site uses the real templates, strings, pages, people and hiring steps, plus N
generated postings (facts YAML + English and French Markdown). No thresholds: compare runs.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FACTS = """identifier: bench-{n}
date_posted: 2026-{month:02d}-{day:02d}
contract: internship
employment_type: [FULL_TIME, INTERN]
duration_months: {months}
hours_per_week: 35
start: {{from: 2027-02, to: 2027-03}}
end: {{from: 2027-08, to: 2027-09}}
location: {{locality: Paris, region: Île-de-France, country: FR}}
apply_url: https://example.org/apply/{n}
people: [theotime, dawn]
process: [recruiter-interview, technical-interview, team-interview]
"""

TEXT = """---
title: {title} {n}
description: {description}
{slug}---
## {heading}

{paragraph}

- {item} 1
- {item} 2
- {item} 3
"""


def make_site(root: Path, postings: int) -> None:
    """Write a synthetic project with `postings` postings into `root`."""
    for folder in ("templates", "assets"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copytree(REPO / "content", root / "content", ignore=shutil.ignore_patterns("jobs"))
    jobs = root / "content/jobs"
    jobs.mkdir()
    for n in range(postings):
        stem = f"posting-{n:05d}"
        (jobs / f"{stem}.yaml").write_text(
            FACTS.format(n=n, month=n % 12 + 1, day=n % 28 + 1, months=n % 6 + 1), "utf-8")
        (jobs / f"{stem}.en.md").write_text(TEXT.format(
            n=n, title="Backend Engineering Intern", description="Build things with experienced engineers.",
            slug="", heading="What you will do", item="Responsibility",
            paragraph="Collaborate with experienced engineers on feature development. " * 8), "utf-8")
        (jobs / f"{stem}.fr.md").write_text(TEXT.format(
            n=n, title="Stagiaire ingénieur·e backend", description="Construire avec des ingénieur·es.",
            slug=f"slug: stage-{n:05d}\n", heading="Vos missions", item="Mission",
            paragraph="Collaborer avec des ingénieur·es expérimenté·es sur les fonctionnalités. " * 8),
            "utf-8")


def main() -> int:
    """Generate, build cold, rebuild with the cache, rebuild after one edit; print the measurements."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="generate the site here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careers-bench-") as scratch:
        root = args.keep or Path(scratch) / "site"
        if root.exists():
            shutil.rmtree(root)
        make_site(root, args.postings)
        started = time.perf_counter()
        from sitegen.pipeline import BuildCache, build

        cache = BuildCache()
        result = build(root, root / "dist", cache=cache)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        build(root, root / "dist", cache=cache)
        warm = time.perf_counter() - started
        edited = root / "content/jobs/posting-00000.en.md"
        edited.write_text(edited.read_text() + "\nOne more line.\n", "utf-8")
        started = time.perf_counter()
        build(root, root / "dist", cache=cache)
        incremental = time.perf_counter() - started
    if not result.ok:
        print("\n".join(str(p) for p in result.errors), file=sys.stderr)
        return 1
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"postings: {args.postings}")
    print(f"pages: {result.page_count}")
    print(f"full build: {cold:.2f} s (imports included)")
    print(f"pages per second: {result.page_count / cold:.0f}")
    print(f"rebuild, nothing changed: {warm:.2f} s")
    print(f"rebuild after editing one posting: {incremental:.2f} s")
    print(f"peak memory: {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
