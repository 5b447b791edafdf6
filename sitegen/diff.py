"""`build.py diff OLD NEW`: what changed between two built sites, as Markdown for a pull request's summary.

Pages added, removed and changed per language; postings opened and closed (read from the pages, so
previews compare too); and, given the two builds' printed problems, the warnings that are new.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from .records import record

MANIFEST = ".careers-site-manifest"
TITLE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
TAG = re.compile(r"<[^>]+>")


@record
class Built:
    """What a built folder holds: every file's bytes by path, and which postings are open."""

    files: dict[str, bytes]
    postings: dict[str, tuple[str, bool]]  # page path → (title, open)


def read_built(folder: Path) -> Built:
    """Return the files of a built site and the postings its pages show (open when they have an apply button)."""
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
             if p.is_file() and p.name != MANIFEST}
    postings = {}
    for path, data in files.items():
        if not path.endswith(".html"):
            continue
        html = data.decode("utf-8", "replace")
        if '<article class="posting">' in html:
            title = TITLE.search(html)
            name = TAG.sub("", title.group(1)).strip() if title else path
            postings[path] = (name, 'class="notice closed"' not in html)
    return Built(files, postings)


def compare(old: Built, new: Built, languages: set[str], old_problems: list[str] | None = None,
            new_problems: list[str] | None = None) -> str:
    """Return the Markdown summary of the changes from `old` to `new`."""
    pages: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"added": [], "removed": [], "changed": []})
    for path in sorted(set(old.files) | set(new.files)):
        if not path.endswith(".html"):
            continue
        group = path.split("/", 1)[0] if "/" in path and path.split("/", 1)[0] in languages else "other"
        if path not in old.files:
            pages[group]["added"].append(path)
        elif path not in new.files:
            pages[group]["removed"].append(path)
        elif old.files[path] != new.files[path]:
            pages[group]["changed"].append(path)
    lines = ["## What this change does to the site", ""]
    if not any(items for by_kind in pages.values() for items in by_kind.values()):
        lines.append("No page changes.")
    else:
        lines += ["| language | added | removed | changed |", "| --- | --- | --- | --- |"]
        for group in sorted(pages, key=lambda g: (g == "other", g)):
            counts = [str(len(pages[group][kind])) for kind in ("added", "removed", "changed")]
            lines.append(f"| {group} | {' | '.join(counts)} |")
        for kind in ("added", "removed", "changed"):
            paths = [p for group in sorted(pages) for p in pages[group][kind]]
            if paths:
                lines += ["", f"**Pages {kind}:** " + ", ".join(f"`{_url(p)}`" for p in paths)]
    lines += ["", *_posting_lines(old.postings, new.postings)]
    other = sorted(p for p in set(old.files) ^ set(new.files)
                   if not p.endswith(".html") and not p.startswith("assets/"))
    if other:
        lines += ["", "**Other files added or removed:** " + ", ".join(f"`{p}`" for p in other)]
    if new_problems is not None:
        fresh = [p for p in new_problems if "warning:" in p and p not in set(old_problems or [])]
        lines += ["", "**New warnings:**" if fresh else "No new warning.", *(f"- `{p}`" for p in fresh)]
    return "\n".join(lines).rstrip() + "\n"


def _posting_lines(old: dict[str, tuple[str, bool]], new: dict[str, tuple[str, bool]]) -> list[str]:
    """Return the lines that list postings opened and closed."""
    opened = [new[p][0] + f" (`{_url(p)}`)" for p in sorted(new) if new[p][1] and not old.get(p, ("", False))[1]]
    closed = [old[p][0] + f" (`{_url(p)}`)" for p in sorted(old) if old[p][1] and not new.get(p, ("", False))[1]]
    if not opened and not closed:
        return ["No posting opened or closed."]
    return [*(["**Postings opened:** " + "; ".join(opened)] if opened else []),
            *(["**Postings closed or removed:** " + "; ".join(closed)] if closed else [])]


def _url(path: str) -> str:
    """Return the site path of an output file: 'en/team/index.html' → '/en/team/'."""
    return "/" + path.removesuffix("index.html")
