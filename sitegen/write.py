"""The only writer: write-if-changed through temporary files, then remove stale files."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .model import OutputFile


def unsafe_output(out: Path, root: Path) -> str | None:
    """Return why `out` must not be cleaned by a build, or None when it is safe."""
    out, root = out.resolve(), root.resolve()
    if out == root or out in root.parents:
        return f"the output folder {out} contains the project; choose a folder inside it, e.g. dist/"
    for folder in ("content", "templates", "assets"):
        source = root / folder
        if out == source or source in out.parents or out in source.parents:
            return f"the output folder {out} overlaps {folder}/; choose another, e.g. dist/"
    return None


def write_output(out: Path, files: Sequence[OutputFile]) -> int:
    """Write the files below `out`, touching only those whose bytes differ; return how many changed."""
    out.mkdir(parents=True, exist_ok=True)
    changed = 0
    for file in files:
        target = out / file.dest_path
        if target.is_file() and target.read_bytes() == file.data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace(target, file.data)
        changed += 1
    return changed + remove_stale(out, {f.dest_path for f in files})


def _replace(target: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `target`, then move it into place atomically."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale(out: Path, keep: set[str]) -> int:
    """Remove files below `out` that the build did not produce, then empty folders; return count."""
    removed = 0
    for path in sorted(out.rglob("*"), reverse=True):
        rel = path.relative_to(out).as_posix()
        if path.is_file() or path.is_symlink():
            if rel not in keep:
                path.unlink()
                removed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return removed
