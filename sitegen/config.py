"""Site stage: `content/_site.yaml` → `SiteConfig`; the one check of a base URL."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .model import Language, LegalNotice, Organisation, Problem, SiteConfig, YamlData
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
    if base_url is None and (reason := base_url_problem(raw["base_url"])):
        line, column = doc.where_value(("base_url",))
        problems.append(Problem(SITE_FILE, line, f"base_url is not usable: {reason}",
                                "write the address the site is published at, e.g. https://careers.example.org/",
                                column))
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
        legal=_legal(raw.get("legal")),
    )
    return config, []


def _legal(raw: dict[str, Any] | None) -> LegalNotice | None:
    """Return the legal notice of a schema-valid `legal:` block."""
    if raw is None:
        return None
    host = raw["host"]
    return LegalNotice(raw["publisher"], raw["registered_office"], raw["registration"], raw["publication_director"],
                       host["name"], host["address"], raw.get("vat_number"), raw.get("contact"), host.get("phone"))


def legal_notice_problems(config: SiteConfig, doc: YamlData) -> list[Problem]:
    """Return a notice when a site in French has no legal notice, which French law asks for."""
    if config.legal is not None or "fr" not in {code.split("-")[0] for code in config.lang_codes}:
        return []
    return [Problem(SITE_FILE, *doc.where(())[:1], "no 'legal' block: French law (LCEN, article 6) asks a site "
                    "published in France for a legal notice (mentions légales)",
                    "add legal: {publisher, registered_office, registration, publication_director, host: {name, "
                    "address}} with the company's own facts; the build then writes a legal notice page per language",
                    1, "notice")]


def _with_slash(url: str) -> str:
    """Return the URL ending with exactly one '/'."""
    return url.rstrip("/") + "/"


LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST = re.compile(rf"^(?:{LABEL}\.)*{LABEL}$")
SEGMENT = re.compile(r"^(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})*$")


def base_url_problem(url: str) -> str | None:
    """Return why a base URL cannot be used, or None when it is an http(s) URL with a host and a plain path."""
    if any(char.isspace() or not char.isprintable() for char in url):
        return "it contains a space or a control character"
    if any(char in url for char in "\"'<>\\`"):
        return "it contains a quote, an angle bracket or a backslash"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "it must start with https:// (or http://)"
    if "?" in url or "#" in url:
        return "it may not have a query ('?') or a fragment ('#')"
    if "@" in parts.netloc:
        return "it may not contain a user name or password"
    try:
        port = parts.port
    except ValueError:
        return "its port is not a number from 1 to 65535"
    if port == 0 or not parts.hostname or not (HOST.match(parts.hostname) or _ipv6(parts.netloc)):
        return "it needs a host name, such as careers.example.org" if not parts.hostname else \
            f"'{parts.hostname}' is not a host name"
    segments = parts.path.split("/")[1:]
    if any(segment in (".", "..") for segment in segments):
        return "its path may not contain '.' or '..'"
    if not all(SEGMENT.match(segment) for segment in segments):
        return "its path may contain only letters, digits, '-', '.', '_', '~' and %-escapes"
    return None


def _ipv6(netloc: str) -> bool:
    """Return True when the host part of a URL is an IPv6 address in brackets."""
    import ipaddress

    host = netloc.rsplit("]", 1)[0].removeprefix("[") if netloc.startswith("[") else ""
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True
