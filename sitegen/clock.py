"""The build date: the one clock a build reads (kept apart, so that a build with nothing to do imports little)."""

from __future__ import annotations

import datetime as dt
import os

from .model import SetupError


def build_date(explicit: str | None = None) -> dt.date:
    """Return the build date: `explicit` (YYYY-MM-DD), else SOURCE_DATE_EPOCH, else today's date.

    This is the only place the build reads a clock.
    """
    if explicit:
        return dt.date.fromisoformat(explicit)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch:
        return dt.date.today()
    if not epoch.isascii() or not epoch.isdigit():
        raise SetupError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC "
                         f"(it is {epoch[:40]!r})")
    try:
        if len(epoch) > 12:
            raise ValueError(epoch)
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    except (OverflowError, ValueError, OSError):
        raise SetupError(f"SOURCE_DATE_EPOCH is too large to be a date (it is {epoch[:40]!r})") from None
