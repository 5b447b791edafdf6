"""The only writer: the new output is built beside the old one and swapped in whole."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .model import OutputFile, Problem


def unsafe_output(out: Path, root: Path) -> str | None:
    """Return why `out` must not be cleaned by a build, or None when it is safe."""
    out, root = out.resolve(), root.resolve()
    if out == root or out in root.parents:
        return f"the output folder {out} contains the project; choose a folder inside it, e.g. dist/"
    for folder in ("content", "templates", "assets"):
        source = root / folder
        if out == source or source in out.parents or out in source.parents:
            return f"the output folder {out} overlaps {folder}/; choose another, e.g. dist/"
    if out.is_dir() and any(out.iterdir()) and not (out / "index.html").is_file():
        return f"the output folder {out} is not empty and holds no built site; choose an empty or new folder"
    return None


def unsafe_destinations(files: Sequence[OutputFile]) -> list[Problem]:
    """Return a problem for each output path that could land outside the output folder."""
    problems = []
    for file in files:
        parts = file.dest_path.split("/")
        if "\\" in file.dest_path or any(part in ("", ".", "..") for part in parts):
            problems.append(Problem(file.dest_path, None, "output path would leave the output folder",
                                    "this is a bug in careers-site: please report it"))
    return problems


def write_output(out: Path, files: Sequence[OutputFile]) -> int:
    """Replace `out` with exactly these files, atomically; return how many files changed.

    The new tree is written into a folder beside `out` and swapped in only when complete, so a failure
    leaves the previous output untouched. Files whose bytes did not change are hard links to the old
    ones and keep their modification times.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        staging.chmod(0o755)
        changed = sum(_place(out, staging, file) for file in files)
        old_files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} if out.is_dir() else set()
        changed += len(old_files - {f.dest_path for f in files})
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return changed


def _place(out: Path, staging: Path, file: OutputFile) -> int:
    """Put one file into the staging tree: a link to the unchanged old file, or new bytes; 1 if new."""
    target = staging / file.dest_path
    target.parent.mkdir(parents=True, exist_ok=True)
    old = out / file.dest_path
    if old.is_file() and not old.is_symlink() and old.read_bytes() == file.data:
        try:
            os.link(old, target)
        except OSError:
            shutil.copy2(old, target)
        return 0
    target.write_bytes(file.data)
    return 1


def _swap(staging: Path, out: Path) -> None:
    """Move the finished staging tree into place, then delete the previous output."""
    if not out.exists():
        staging.replace(out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    out.replace(retired)
    staging.replace(out)
    shutil.rmtree(retired, ignore_errors=True)
