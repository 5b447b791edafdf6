#!/usr/bin/env python3
"""Count the instructions of the real site's cold build against those of the imports it is divided by.

    python bench/instructions.py [--project PATH] [--runs 1] [--jobs 2]

Wall times on this shared machine move by a third within minutes (bench.py's ratios are medians of
turns for that reason), which hides a step of a few milliseconds. Instruction counts do not move:
valgrind's cachegrind counts what a process executes, and two runs of the same code differ by a
fraction of a percent (hash randomisation). This prints, for a cold build (empty cache, empty output),
the instructions of each of its processes (the build's, and the templates' worker forked from it, whose
count includes what the build did before the fork) and their ratio to those of
`python -c "import jinja2, markdown, yaml"`. Goal 5 is about wall time, and the two processes run side
by side: the larger of the two counts is the one to bring down. Instructions are not time (a loop in C
runs more of them a nanosecond than the interpreter does), but a step that removes work shows here
whatever the machine's load. Needs valgrind (`apt-get install valgrind`); some 10 s a run.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench import clean_env  # noqa: E402

IMPORTS = [sys.executable, "-c", "import jinja2, markdown, yaml"]
# The build, with its workers let finish rather than killed once their result is in (a killed process's count is
# never reported): `python -c WAITING build.py args...`
WAITING = """
import os, runpy, sys
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))
import sitegen.parallel as parallel
def _stop(workers):
    for pid, pipe in workers:
        os.close(pipe)
    for pid, _ in workers:
        os.waitpid(pid, 0)
parallel._stop = _stop
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def counted(command: list[str], env: dict[str, str]) -> list[int]:
    """Return the instructions each process of `command` executed under cachegrind, the first process's first."""
    valgrind = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    done = subprocess.run([*valgrind, *command], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed under valgrind:\n{done.stderr[-2000:]}")
    first = re.search(r"==(\d+)== Command:", done.stderr)
    counts = dict(re.findall(r"==(\d+)== I\s+refs:\s+([\d,]+)", done.stderr))
    if first is None or first.group(1) not in counts:
        raise SystemExit(f"no instruction count in valgrind's report:\n{done.stderr[-2000:]}")
    own = int(counts.pop(first.group(1)).replace(",", ""))
    return [own, *sorted(int(count.replace(",", "")) for count in counts.values())]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=REPO, help="the site to build (default: the real site)")
    parser.add_argument("--runs", type=int, default=1, help="runs of each (the counts barely move)")
    parser.add_argument("--jobs", type=int, default=2, help="the build's --jobs (1: one process)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    scratch = Path(tempfile.mkdtemp())
    try:
        env = {**clean_env(), "XDG_CACHE_HOME": str(scratch / "cache")}
        build = [sys.executable, "-c", WAITING, str(REPO / "build.py"), "--project", str(args.project), "build",
                 "--out", str(scratch / "out"), "--jobs", str(args.jobs)]
        subprocess.run(build, env=env, capture_output=True, check=True)  # .pyc files written, as a user's are
        subprocess.run(IMPORTS, env=env, check=True)
        imports = statistics.median(counted(IMPORTS, env)[0] for _ in range(args.runs))
        runs = []
        for _ in range(args.runs):
            shutil.rmtree(scratch / "cache", ignore_errors=True)
            shutil.rmtree(scratch / "out", ignore_errors=True)
            runs.append(counted(build, env))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"imports: {imports / 1e6:.1f}M instructions")
    names = ["the build's process", *(f"worker {n}" for n in range(1, max(map(len, runs))))]
    for index, name in enumerate(names):
        counts = [run[index] for run in runs if len(run) > index]
        middle = statistics.median(counts)
        spread = f" ({min(counts) / 1e6:.1f}M to {max(counts) / 1e6:.1f}M)" if len(counts) > 1 else ""
        print(f"cold build, {name}: {middle / 1e6:.1f}M = {middle / imports:.2f}× the imports{spread}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
