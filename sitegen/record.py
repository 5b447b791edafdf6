"""Build stage shortcut: a build whose inputs are those of the last one, into the output it left, does nothing.

After each successful build into a folder, the record keeps a digest of everything the output depends on
(every input file's path and SHA-256, the problems met while reading them, the generator's code and
libraries, the base URL, the build date and the options) with the build's problems and page counts, and
a digest of the manifest it wrote. A later build with the same digest, into a folder whose manifest is
that one and whose files still have the sizes it lists, reports the same result without parsing or
rendering anything: the output is already exactly what the build would write. Records are plain JSON in
the cache folder; a missing, stale or corrupt one only means a full build.
"""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import plain_problem, write_json
from .model import BuildResult, Problem, Project
from .records import record
from .write import MANIFEST, output_lock, read_manifest, real_output

if TYPE_CHECKING:
    import datetime as dt


def build_options(strict: bool, preview: bool, live: bool) -> tuple[bool, ...]:
    """Return the options of a build that its key covers."""
    return (strict, preview, live)


def replay_build(project: Project, out: Path, recorder: Recorder, base_url: str | None, today: dt.date,
                 options: tuple[bool, ...]) -> tuple[str, BuildResult | None]:
    """Return the build's key, and the result of the last build into `out` when this one would write the same
    output (else None).

    It needs the project as read and nothing else: the command line tries it before it imports the build.
    """
    key = recorder.key(project, base_url, today, options)
    with output_lock(real_output(out)):
        return key, recorder.replay(out, key)


@record
class Recorder:
    """Where the records of builds live (a private cache folder), and the generator's stamp."""

    folder: Path
    stamp: str

    def key(self, project: Project, base_url: str | None, today: dt.date, options: tuple[bool, ...]) -> str:
        """Return the digest of everything a build's output depends on."""
        digest = hashlib.sha256()
        parts = [self.stamp, repr(base_url), today.isoformat(), repr(options), repr(project.problems)]
        parts += [f"{s.src_path}\t{s.digest}" for s in (*project.content, *project.templates, *project.assets)]
        for part in parts:
            digest.update(part.encode("utf-8", "surrogatepass") + b"\n")
        return digest.hexdigest()

    def _path(self, out: Path) -> Path:
        return record_path(self.folder, out)

    def replay(self, out: Path, key: str) -> BuildResult | None:
        """Return the recorded result when the last build into `out` had this key and left `out` as it is."""
        try:
            record = json.loads(self._path(out).read_text(encoding="utf-8"))
            if record["key"] != key or record["manifest"] != _manifest_digest(out):
                return None
            if not _intact(real_output(out)):
                return None  # a file was removed or changed size since
            return BuildResult(
                outputs=(), problems=tuple(Problem(*fields) for fields in record["problems"]),
                pages_per_lang={str(k): int(v) for k, v in record["pages_per_lang"].items()},
                page_count=int(record["page_count"]), rendered=0,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def keep(self, out: Path, key: str, result: BuildResult) -> None:
        """Record a successful build into `out`; a failure to write only costs the next build its shortcut."""
        record: dict[str, Any] = {
            "key": key, "manifest": _manifest_digest(out), "page_count": result.page_count,
            "pages_per_lang": dict(result.pages_per_lang),
            "problems": [plain_problem(p) for p in result.problems],
        }
        write_json(self._path(out), record)


def record_path(folder: Path, out: Path) -> Path:
    """Return the file in the cache folder `folder` that records the last build into `out`."""
    name = hashlib.sha256(str(real_output(out)).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return folder / f"build-{name}.json"


def _intact(out: Path) -> bool:
    """Return True when every file the output's manifest lists is there, a regular file of the listed size."""
    for path, (_, size) in (read_manifest(out) or {}).items():
        try:
            info = (out / path).lstat()
        except OSError:
            return False
        if not stat.S_ISREG(info.st_mode) or info.st_size != size:
            return False
    return True


def _manifest_digest(out: Path) -> str:
    """Return the digest of the manifest an output folder holds ('' without one)."""
    try:
        return hashlib.sha256((real_output(out) / MANIFEST).read_bytes()).hexdigest()
    except OSError:
        return ""
