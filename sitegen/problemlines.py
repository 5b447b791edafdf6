"""How the command line lists a build's problems: one line each, repeated notices folded into one."""

from __future__ import annotations

from collections.abc import Iterable

from .model import Problem


def problem_lines(problems: Iterable[Problem], verbose: bool = False) -> list[str]:
    """Return the lines that report problems: errors, then warnings, then notices.

    Notices that repeat with the same text in several files are one line with their count, unless
    `verbose`; every error and warning keeps its own line.
    """
    problems = list(problems)
    lines = [str(p) for severity in ("error", "warning") for p in problems if p.severity == severity]
    groups: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        if problem.severity == "notice":
            groups.setdefault((problem.message, problem.hint), []).append(problem)
    for (message, hint), group in groups.items():
        if verbose or len(group) == 1:
            lines.extend(str(p) for p in group)
        else:
            lines.append(f"notice: {len(group)} files: {message} ({hint}); run with --verbose to list them")
    return lines
