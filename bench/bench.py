#!/usr/bin/env python3
"""Benchmark careers-site against a floor script measured in the same run; print ratios of medians.

    python bench/bench.py [--sizes 5 500 5000] [--runs 3] [--real-runs 15] [--settle 35]

For each size N it generates a bilingual site of N postings per language (`bench/site.py`), then times
whole processes (imports included): the floor (`bench/floor.py`), a cold build (empty cache, empty
output), a rebuild with nothing changed, a rebuild after editing one posting, and `serve` (with a warm
cache and the preview an earlier serve left: until it answers, until its first build is done, and from
saving an edit to the updated file, to the reload message a live-reload client gets, to the updated page
that client then fetches, as a browser does, and to the end of that rebuild: medians of 5 saves a second
apart in each session; a line added to an English posting's text, then, in a session of its own, its French
title edited, which changes the French home page too, and in a third, lines added to its English and French
texts in turn, as a translator saves them). Each figure
is the median of `--runs` runs, given as a ratio to the floor's median; peak memory is the largest
resident size of one process. It also times the real site against `python -c "import jinja2, markdown,
yaml"` (`--real-runs` times each, in turns: a quarter of a second a build). No thresholds: the machine is
shared and noisy, so compare ratios. Results are recorded in bench/RESULTS.md.

Nothing is deleted while anything is timed: the last output and cache are moved aside, and deleted once
every step is done, and each run (and the real site's) starts `--settle` seconds after anything else
deleted files (the last run's build with one edit retires its old output). On a file system that skips
the inodes it freed in the last 30 seconds when it makes a file (ext4 without a journal, as on the
machine of bench/RESULTS.md), making 20,000 files and folders just after 20,000 were deleted costs
seconds more, and a different number each run: more for the floor than for a build whose workers share
that work between two cores (bench/RESULTS.md has the measurements).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.ports import free_port  # noqa: E402 - a size's serve runs share one: the address is in every page
from bench.reloads import Reloads  # noqa: E402
from bench.site import make_site  # noqa: E402

Run = tuple[float, float]  # seconds, peak MiB
SCENARIOS = ("floor", "cold", "unchanged", "one edit", "serve start", "serve ready", "serve edit", "serve edit, reload",
             "serve edit, shown", "serve edit, done", "serve title edit (fr)", "serve title edit (fr), reload",
             "serve edits en/fr in turn", "serve edits en/fr in turn, reload")


def _line_added(text: str, marker: str) -> str:
    """Return a text with a line added at its end."""
    return f"{text}\n{marker}\n"


# what `serve_edit` saves: a posting's English text, a line added at its end (its page changes, not its card);
# its French title (its page, its card on the French home page, its English page's language link); its French text
Edit = tuple[str, str, Callable[[str, str], str]]  # the text saved, its page's address, how a save changes the text
BODY: Edit = ("content/jobs/posting-00000.en.md", "en/jobs/posting-00000/", _line_added)
FRENCH_TITLE: Edit = ("content/jobs/posting-00000.fr.md", "fr/offres/stage-00000/",
                      lambda text, marker: re.sub(r"^title: (.*)$", rf"title: \1 {marker}", text, count=1, flags=re.M))
FRENCH_BODY: Edit = ("content/jobs/posting-00000.fr.md", "fr/offres/stage-00000/", _line_added)


def clean_env() -> dict[str, str]:
    """Return the environment for measured processes: as a user's, so Python writes and reuses .pyc files."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Return the wall time and peak memory of one process, which must succeed."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty process must never block on it
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env or clean_env())
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if status != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(command)} failed: {errors.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def median(runs: list[Run]) -> Run:
    """Return the median time and the largest peak memory of several runs."""
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def set_aside(path: Path, trash: Path) -> None:
    """Move `path`, if it is there, into `trash` (deleted when nothing is timed any more): deleting it now would
    slow down making the next files (see the module's docstring)."""
    if path.exists():
        trash.mkdir(exist_ok=True)
        path.rename(Path(tempfile.mkdtemp(dir=trash)) / path.name)


TRASH = "trash"  # where, in the scratch folder, outputs are set aside
SETTLE = 35.0  # seconds: ext4 skips the inodes freed in the last 30 s (35 while their table is being written)


def build_command(root: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--project", str(root), "build", "--out", str(out), *extra]


def measure(size: int, runs: int, scratch: Path, settle: float = SETTLE) -> dict[str, Run]:
    """Return the medians of every scenario for one size (each run `settle` seconds after the last deletion)."""
    root = scratch / f"site-{size}"
    make_site(root, size)
    env = {**clean_env(), "XDG_CACHE_HOME": str(scratch / f"cache-{size}")}
    # serve keeps its own cache folder, which the cold builds do not empty: its start is measured warm
    serving = {**clean_env(), "XDG_CACHE_HOME": str(scratch / f"serve-cache-{size}")}
    results: dict[str, list[Run]] = {k: [] for k in SCENARIOS}
    port = free_port()
    serve_start(root, serving, scratch / f"serve-{size}", port)  # warm the preview folder and the cache
    floor_out = scratch / f"floor-{size}"
    for run in range(runs):
        for path in (floor_out, scratch / f"cache-{size}", root / "dist"):
            set_aside(path, scratch / TRASH)
        time.sleep(settle)  # (the last run's build with one edit deleted its old output)
        results["floor"].append(timed([sys.executable, str(REPO / "bench/floor.py"), str(root), str(floor_out)]))
        results["cold"].append(timed(build_command(root, root / "dist"), env))
        results["unchanged"].append(timed(build_command(root, root / "dist"), env))
        edit(root, run)
        results["one edit"].append(timed(build_command(root, root / "dist"), env))
        answers, ready = serve_start(root, serving, scratch / f"serve-{size}", port)
        results["serve start"].append(answers)
        results["serve ready"].append(ready)
        page, reloaded, shown, done = serve_edit(root, serving, scratch / f"serve-{size}", run, port, BODY)
        results["serve edit"].append(page)
        results["serve edit, reload"].append(reloaded)
        results["serve edit, shown"].append(shown)
        results["serve edit, done"].append(done)
        page, reloaded, _, _ = serve_edit(root, serving, scratch / f"serve-{size}", run, port, FRENCH_TITLE)
        results["serve title edit (fr)"].append(page)
        results["serve title edit (fr), reload"].append(reloaded)
        page, reloaded, _, _ = serve_edit(root, serving, scratch / f"serve-{size}", run, port, BODY, FRENCH_BODY)
        results["serve edits en/fr in turn"].append(page)
        results["serve edits en/fr in turn, reload"].append(reloaded)
        print(f"  N={size} run {run + 1}: " + ", ".join(f"{name} {values[-1][0]:.2f} s"
                                                        for name, values in results.items()), file=sys.stderr)
    return {name: median(values) for name, values in results.items()}


def edit(root: Path, run: int) -> Path:
    """Change one posting's English text; return its path."""
    path = root / "content/jobs/posting-00000.en.md"
    path.write_text(path.read_text("utf-8") + f"\nAn edit, number {run}.\n", "utf-8")
    return path





def serve_process(root: Path, env: dict[str, str], out: Path, port: int) -> subprocess.Popen[str]:
    """Start `serve`; its output goes to `serve.log` beside the preview, with tracebacks of every thread if
    it has to be aborted (faulthandler)."""
    log = (out.parent / "serve.log").open("w")
    return subprocess.Popen([sys.executable, "-X", "faulthandler", str(REPO / "build.py"), "--project", str(root),
                             "serve", "--port", str(port), "--out", str(out)], stdout=log, stderr=log, text=True,
                            env=env)


def wait(condition: Callable[[], bool], limit: float = 600) -> float:
    """Poll until `condition` holds; return the time it took."""
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > limit:
            raise SystemExit("timed out")
        time.sleep(0.005)
    return time.perf_counter() - started


def serve_start(root: Path, env: dict[str, str], out: Path, port: int) -> tuple[Run, Run]:
    """Return how long `serve` takes, with a warm cache and preview, until it answers on its port, and until
    its first build is done (it serves the earlier preview while that build brings it up to date)."""
    started = time.perf_counter()
    server = serve_process(root, env, out, port)
    try:
        wait(lambda: _answers(server.args))
        answers = time.perf_counter() - started
        wait(lambda: _built(out))
        return (answers, 0.0), (time.perf_counter() - started, 0.0)
    finally:
        stop(server)


def _built(out: Path) -> bool:
    """Return True once the server whose preview is `out` has reported a finished build in its log."""
    return _builds(out) > 0


def _builds(out: Path) -> int:
    """Return how many finished builds the server whose preview is `out` has reported in its log."""
    log = (out.parent / "serve.log").read_text("utf-8", "replace")
    return sum(1 for line in log.splitlines() if line.startswith(("built ", "build failed")))


def stop(server: subprocess.Popen[str]) -> None:
    """Stop a server the way Ctrl+C would; abort it if it has not stopped within a minute, and show where
    each of its threads was (the end of its log)."""
    import signal

    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.send_signal(signal.SIGABRT)
        server.wait()
        args = [str(arg) for arg in server.args]  # type: ignore[union-attr]
        log = Path(args[args.index("--out") + 1]).parent / "serve.log"
        tail = "\n".join(log.read_text("utf-8", "replace").splitlines()[-60:])
        print(f"  (the server had to be aborted; the end of its log:)\n{tail}", file=sys.stderr)


def _answers(args: Any) -> bool:
    """Return True when the server started with `args` answers on its port."""
    port = args[args.index("--port") + 1]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/en/", timeout=1):
            return True
    except OSError:
        return False


SAVES = 5  # saves per `serve` session: the first one after a start is slower (its problems list changes)


def serve_edit(root: Path, env: dict[str, str], out: Path, run: int, port: int,
               *edits: Edit) -> tuple[Run, Run, Run, Run]:
    """Return the medians over SAVES saves, a second apart, while serving and with a browser's live-reload
    client on each edited page, of the times from the save to: the updated page on disk; the reload message;
    the page the client then fetches (checked to be the updated one); the end of that rebuild (when `serve`
    reports it). The saves make the `edits` in turn (`BODY` alone by default; `FRENCH_TITLE`, …)."""
    edits = edits or (BODY,)
    server = serve_process(root, env, out, port)
    clients: dict[str, Reloads] = {}
    times: list[tuple[float, float, float, float]] = []
    texts = {root / text_path: (root / text_path).read_text("utf-8") for text_path, _, _ in edits}
    try:
        wait(lambda: _answers(server.args))
        wait(lambda: _built(out))  # the edits come once the first build is done
        for _, address, _ in edits:
            if address not in clients:
                clients[address] = Reloads(f"http://127.0.0.1:{port}", "/" + address)
                clients[address].wait_connected()
        for save in range(SAVES):
            text_path, address, edited = edits[save % len(edits)]
            reloads, page, path = clients[address], out / address / "index.html", root / text_path
            time.sleep(1.0)  # let the watcher settle and the server take the client in
            marker = f"Saved edit {run}.{save}."
            builds, before = _builds(out), len(reloads.times)
            started = time.perf_counter()
            path.write_text(edited(texts[path], marker), "utf-8")
            wait(lambda: page.is_file() and marker in page.read_text("utf-8", "replace"))  # noqa: B023
            updated = time.perf_counter() - started
            reloaded, shown, html = reloads.wait_reload(before + 1)
            if marker not in html:
                raise RuntimeError("the page fetched after the reload message is not the updated one")
            wait(lambda: _builds(out) > builds)  # noqa: B023
            times.append((updated, reloaded - started, shown - started, time.perf_counter() - started))
        for path, text in texts.items():
            builds = _builds(out)
            path.write_text(text, "utf-8")
            wait(lambda: _builds(out) > builds)  # noqa: B023
        page_s, reload_s, shown_s, done_s = (statistics.median(column) for column in zip(*times, strict=True))
        return (page_s, 0.0), (reload_s, 0.0), (shown_s, 0.0), (done_s, 0.0)
    finally:
        for reloads in clients.values():
            reloads.close()
        stop(server)


def real_site(runs: int, scratch: Path, settle: float = SETTLE) -> dict[str, Run]:
    """Return the medians of the real site's cold and warm builds and of importing the three libraries (from
    `settle` seconds after the last deletion: the last size's build with one edit retired 20,000 files)."""
    env = {**clean_env(), "XDG_CACHE_HOME": str(scratch / "cache-real")}
    results: dict[str, list[Run]] = {"imports": [], "real cold": [], "real warm": []}
    time.sleep(settle)
    for _ in range(runs):
        results["imports"].append(timed([sys.executable, "-c", "import jinja2, markdown, yaml"]))
        for path in (scratch / "cache-real", scratch / "real-out"):
            set_aside(path, scratch / TRASH)
        results["real cold"].append(timed(build_command(REPO, scratch / "real-out"), env))
        results["real warm"].append(timed(build_command(REPO, scratch / "real-out"), env))
    return {name: median(values) for name, values in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 500, 5000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--real-runs", type=int, default=15,
                        help="runs of the real site (a quarter of a second each: three left its ratio to the noise)")
    parser.add_argument("--settle", type=float, default=SETTLE,
                        help="seconds to wait after a deletion before a run is timed (0: no wait)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careers-bench-") as folder:  # (the outputs set aside go with it)
        scratch = Path(folder)
        table = {size: measure(size, args.runs, scratch, args.settle) for size in args.sizes}
        real = real_site(args.real_runs, scratch, args.settle)
    sizes = " | ".join(f"N={n} ({2 * n + 14} pages)" for n in args.sizes)
    print(f"| ratio to the floor (median of {args.runs}) | {sizes} |")
    print("|---|" + "---|" * len(args.sizes))
    for name in SCENARIOS:
        cells = []
        for size in args.sizes:
            seconds, floor = table[size][name][0], table[size]["floor"][0]
            cells.append(f"{seconds:.2f} s" if name == "floor" else f"{seconds / floor:.2f}× ({seconds:.2f} s)")
        print(f"| {name} | " + " | ".join(cells) + " |")
    memory = " | ".join(f"{table[n]['cold'][1]:.0f} MiB / floor {table[n]['floor'][1]:.0f} MiB" for n in args.sizes)
    print(f"| peak memory, cold | {memory} |")
    base = real["imports"][0]
    print(f"\nreal site (median of {args.real_runs}): cold {real['real cold'][0]:.3f} s = "
          f"{real['real cold'][0] / base:.2f}× importing "
          f"jinja2, markdown and yaml ({base:.3f} s); warm {real['real warm'][0]:.3f} s = "
          f"{real['real warm'][0] / base:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
