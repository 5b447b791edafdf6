"""Site configuration: `content/_site.yaml` → `SiteConfig`."""

from __future__ import annotations

from .model import Language, Organisation, Problem, SiteConfig, YamlData
from .sources import SITE_FILE


def make_config(doc: YamlData, base_url: str | None = None) -> tuple[SiteConfig | None, list[Problem]]:
    """Return the typed configuration of a schema-valid `_site.yaml`, or the problems in it."""
    raw = doc.value
    languages = tuple(
        Language(item["code"], item["name"], item["locale"], item["jobs_slug"])
        for item in raw["languages"]
    )
    codes = [lang.code for lang in languages]
    problems = [
        Problem(SITE_FILE, *doc.where(("languages", index, "code"))[:1],
                f"language '{code}' is listed twice", "list each language once",
                doc.where(("languages", index, "code"))[1])
        for index, code in enumerate(codes) if code in codes[:index]
    ]
    for field in ("default_language", "source_language"):
        if raw[field] not in codes:
            line, column = doc.where((field,))
            problems.append(Problem(SITE_FILE, line, f"{field} '{raw[field]}' is not one of the languages",
                                    f"use one of: {', '.join(codes)}", column))
    if problems:
        return None, problems
    org = raw["organisation"]
    config = SiteConfig(
        name=raw["name"],
        base_url=_with_slash(base_url or raw["base_url"]),
        default_lang=raw["default_language"],
        source_lang=raw["source_language"],
        languages=languages,
        organisation=Organisation(org["name"], org["url"], org.get("logo"), tuple(org.get("same_as", ()))),
        nav=tuple(raw["nav"]),
        share_image=raw.get("share_image"),
    )
    return config, []


def _with_slash(url: str) -> str:
    """Return the URL ending with exactly one '/'."""
    return url.rstrip("/") + "/"
