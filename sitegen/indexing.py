"""Tell Google's Indexing API which posting URLs appeared and which went away, after a deploy.

Optional and off unless configured: it needs an access token of the site owner's own service account
(`GOOGLE_INDEXING_TOKEN`, scope https://www.googleapis.com/auth/indexing). It compares the `jobs.json`
that was published before the deploy with the one just built; a preview has no `jobs.json`, so a
preview is never announced.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

ENDPOINT = "https://indexing.googleapis.com/v3/urlNotifications:publish"
TOKEN_VARIABLE = "GOOGLE_INDEXING_TOKEN"


def posting_urls(jobs_json: str) -> set[str]:
    """Return the URL of every open posting in every language of a `jobs.json` text (none for empty text)."""
    if not jobs_json.strip():
        return set()
    data = json.loads(jobs_json)
    return {job["url"] for jobs in data.get("languages", {}).values() for job in jobs}


def notifications(previous: str, current: str) -> list[tuple[str, str]]:
    """Return (URL, URL_UPDATED | URL_DELETED) for postings that appeared or went away, sorted."""
    before, after = posting_urls(previous), posting_urls(current)
    return sorted([(url, "URL_UPDATED") for url in after - before] + [(url, "URL_DELETED") for url in before - after])


def publish(items: list[tuple[str, str]], token: str, endpoint: str = ENDPOINT, timeout: float = 30) -> list[str]:
    """Send each notification; return one line per URL, errors included ('error: …')."""
    lines = []
    for url, kind in items:
        body = json.dumps({"url": url, "type": kind}).encode("utf-8")
        request = urllib.request.Request(endpoint, data=body, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                lines.append(f"{kind} {url} ({response.status})")
        except urllib.error.HTTPError as exc:
            lines.append(f"error: {kind} {url} was refused ({exc.code} {exc.reason})")
        except (urllib.error.URLError, OSError) as exc:
            lines.append(f"error: {kind} {url} could not be sent ({getattr(exc, 'reason', exc)})")
    return lines


def read_previous(path: Path | None) -> str:
    """Return the previously published `jobs.json` text, or '' when there was none (a first deploy)."""
    return path.read_text("utf-8") if path is not None and path.is_file() else ""
