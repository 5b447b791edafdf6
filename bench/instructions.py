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
by side: the larger of the two counts is the one to bring down. A worker that goes on once its result is
sent (the templates' worker writes them to the cache then) is also counted until then: the build waits
for no more. Instructions are not time (a loop in C runs more of them a nanosecond than the interpreter
does), but a step that removes work shows here whatever the machine's load. Needs valgrind
(`apt-get install valgrind`); some 20 s a run.

With `--phases`, it builds again, stopping the build's process at the start or end of each stage in
turn (`PHASES`), and prints the instructions of each stage: where the build's process spends them.
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
# never reported), and the build's process stopped where INSTRUCTIONS_STOP says ("module:function" at its
# start, "module:function:after" at its end), if set: `python -c WAITING build.py args...`
WAITING = """
import builtins, os, runpy, sys
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))
import sitegen.parallel as parallel
def _stop(workers, kill=True):
    for pid, pipe in workers:
        os.close(pipe)
    for pid, _ in workers:
        os.waitpid(pid, 0)
parallel._stop = _stop
if os.environ.get("INSTRUCTIONS_UNTIL_SENT"):  # a worker ends once its result is sent (what follows is left out)
    _fork_one = parallel._fork_one
    parallel._fork_one = lambda task, then=None: _fork_one(task)
STOP = os.environ.get("INSTRUCTIONS_STOP")
if STOP:
    module, name, *after = STOP.split(":")
    main, importing = os.getpid(), builtins.__import__
    def leave():
        sys.stdout.flush()
        sys.stderr.write("instructions: stopped\\n")
        sys.stderr.flush()
        os._exit(0)
    def hooked(*args, **kwargs):
        found = importing(*args, **kwargs)
        held = sys.modules.get(module)
        if held is not None and hasattr(held, name) and builtins.__import__ is hooked:
            builtins.__import__ = importing
            function = getattr(held, name)
            def stopping(*args, **kwargs):
                if os.getpid() == main and not after:
                    leave()
                result = function(*args, **kwargs)
                if os.getpid() == main:
                    leave()
                return result
            setattr(held, name, stopping)
        return found
    builtins.__import__ = hooked
runpy.run_path(sys.argv[0], run_name="__main__")
"""
# Where `--phases` stops the build's process, and what it did since the last stop
PHASES = [
    ("sitegen.cli:templates_compiling", "start, the command line, the project read"),
    ("sitegen.cli:templates_compiling:after", "Jinja and the template modules (then the fork)"),
    ("sitegen.pipeline:build", "the build's modules imported"),
    ("sitegen.pipeline:load_content:after", "the content parsed (Markdown imported)"),
    ("sitegen.pipeline:load_locales:after", "Babel's data for the site's locales"),
    ("sitegen.pipeline:assemble_site:after", "the site assembled"),
    ("sitegen.pipeline:render_site", "the templates taken, the checks"),
    ("sitegen.pipeline:render_site:after", "the pages rendered and written"),
    ("", "the rest, to the end"),
]


def counted(command: list[str], env: dict[str, str]) -> tuple[list[int], str]:
    """Return the instructions each process of `command` executed under cachegrind, the first process's first, and
    what it printed to stderr."""
    valgrind = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    done = subprocess.run([*valgrind, *command], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed under valgrind:\n{done.stderr[-2000:]}")
    first = re.search(r"==(\d+)== Command:", done.stderr)
    counts = dict(re.findall(r"==(\d+)== I\s+refs:\s+([\d,]+)", done.stderr))
    if first is None or first.group(1) not in counts:
        raise SystemExit(f"no instruction count in valgrind's report:\n{done.stderr[-2000:]}")
    own = int(counts.pop(first.group(1)).replace(",", ""))
    return [own, *sorted(int(count.replace(",", "")) for count in counts.values())], done.stderr


def cold(build: list[str], env: dict[str, str], scratch: Path, stop: str = "") -> tuple[list[int], str]:
    """Return what `counted` returns for a cold build (no cache, no output), stopped at `stop` if given."""
    shutil.rmtree(scratch / "cache", ignore_errors=True)
    shutil.rmtree(scratch / "out", ignore_errors=True)
    return counted(build, {**env, "INSTRUCTIONS_STOP": stop} if stop else env)


def phases(build: list[str], env: dict[str, str], scratch: Path, imports: float) -> None:
    """Print the instructions of each phase of the build's process (`PHASES`)."""
    print("\n| the build's process, up to | instructions | of which this phase | × the imports |\n|---|---|---|---|")
    before = 0
    for stop, what in PHASES:
        counts, errors = cold(build, env, scratch, stop)
        reached = not stop or "instructions: stopped" in errors
        label = f"{what} (`{stop}`)" if stop else what
        note = "" if reached else " (never reached: the function is not called, or was renamed)"
        print(f"| {label}{note} | {counts[0] / 1e6:.1f}M | {(counts[0] - before) / 1e6:.1f}M | "
              f"{(counts[0] - before) / imports:.2f}× |")
        before = counts[0] if reached else before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=REPO, help="the site to build (default: the real site)")
    parser.add_argument("--runs", type=int, default=1, help="runs of each (the counts barely move)")
    parser.add_argument("--jobs", type=int, default=2, help="the build's --jobs (1: one process)")
    parser.add_argument("--phases", action="store_true", help="also count each phase of the build's process")
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
        imports = statistics.median(counted(IMPORTS, env)[0][0] for _ in range(args.runs))
        runs = [cold(build, env, scratch)[0] for _ in range(args.runs)]
        sent = [cold(build, {**env, "INSTRUCTIONS_UNTIL_SENT": "1"}, scratch)[0] for _ in range(args.runs)]
        print(f"imports: {imports / 1e6:.1f}M instructions")
        names = ["the build's process", *(f"worker {n}" for n in range(1, max(map(len, runs))))]
        for index, name in enumerate(names):
            for label, taken in (("", runs), (", until its result is sent", sent if index else [])):
                counts = [run[index] for run in taken if len(run) > index]
                if not counts:
                    continue
                middle = statistics.median(counts)
                spread = f" ({min(counts) / 1e6:.1f}M to {max(counts) / 1e6:.1f}M)" if len(counts) > 1 else ""
                print(f"cold build, {name}{label}: {middle / 1e6:.1f}M = {middle / imports:.2f}× the imports{spread}")
        if args.phases:
            phases(build, env, scratch, imports)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
