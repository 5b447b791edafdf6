"""`build.py new`: the files of a new posting or person, in every language, full of TODO placeholders.

A scaffolded item cannot be published by accident: `check` and `build` flag every TODO until it is
replaced.
"""

from __future__ import annotations

import datetime as dt

from .model import Problem, SiteConfig
from .slugs import is_slug, slugify

SLUG_PLACEHOLDER = "todo-translated-slug"  # a valid slug that `check` flags until it is replaced
SCHEMA_LINE = "# yaml-language-server: $schema=../../sitegen/schemas/{name}.schema.json"


def posting_files(config: SiteConfig, slug: str, today: dt.date) -> list[tuple[str, str]] | Problem:
    """Return (path, text) for a new posting's facts and its text in every language."""
    if not is_slug(slug):
        return Problem(slug, None, "not a valid slug", f"use '{slugify(slug)}'" if slugify(slug) else
                       "use lowercase letters, digits and hyphens")
    facts = "\n".join([
        SCHEMA_LINE.format(name="posting"),
        "# A new posting: replace every TODO, then run `python3 build.py check`. Write only what the posting says.",
        f"date_posted: {today.isoformat()}  # the day this site publishes the posting",
        "contract: internship  # internship | permanent | fixed_term | apprenticeship | freelance",
        "employment_type: [FULL_TIME, INTERN]  # FULL_TIME, PART_TIME, INTERN, TEMPORARY, …",
        "location:",
        "  locality: TODO city",
        "  country: TODO  # two-letter country code, e.g. FR",
        "apply_url: https://TODO.example/apply  # https:// or mailto:, or one per language: {en: …, fr: …}",
        "# Optional, when the posting says so (remove the # to use a line):",
        "# duration_months: 6",
        "# hours_per_week: 35",
        "# start: {from: 2027-02, to: 2027-03}  # the possible start months; the posting closes after the last",
        "# end: {from: 2027-08, to: 2027-09}",
        "# valid_through: 2027-01-31  # the last day to apply",
        "# pay: {min: 1400, max: 1600, currency: EUR, unit: MONTH}  # leave out max (or make it equal) for one amount",
        "# identifier: REF-123  # only a reference the company uses and candidates can quote",
        "# people: [theotime]",
        "# process: [recruiter-interview]",
        "",
    ])
    files = [(f"content/jobs/{slug}.yaml", facts)]
    for lang in config.languages:
        files.append((f"content/jobs/{slug}.{lang.code}.md", _text_file(
            [f'title: "TODO: the job title in {lang.name}"',
             f'description: "TODO: one or two sentences in {lang.name} for job lists and search results"',
             f"# requirement: what every candidate must meet, in {lang.name}, e.g. internship agreement required",
             *([f"slug: {SLUG_PLACEHOLDER}  # the address of the page in {lang.name}, e.g. stage-data"]
               if lang.code != config.source_lang else [])],
            ["## TODO: first section", "", "TODO: what the job is, what the candidate will do, what they need."],
        )))
    return files


def person_files(config: SiteConfig, name: str) -> list[tuple[str, str]] | Problem:
    """Return (path, text) for a new person's facts and their role and introduction in every language."""
    slug = slugify(name)
    if not slug:
        return Problem(name, None, "the name gives no file name", "use a name with letters or digits")
    facts = "\n".join([
        SCHEMA_LINE.format(name="person"),
        f"name: {_yaml_text(name)}",
        "order: 99  # where the person appears on the team page",
        "# photo: ana.jpg  # optional, a square photo in assets/; then every language's file needs photo_alt",
        "",
    ])
    files = [(f"content/people/{slug}.yaml", facts)]
    for lang in config.languages:
        files.append((f"content/people/{slug}.{lang.code}.md", _text_file(
            [f'role: "TODO: the role in {lang.name}"',
             f"# photo_alt: what the photo shows, in {lang.name} (required when the person has a photo)"],
            [f"TODO: a short introduction in {lang.name}, from the person's role only."],
        )))
    return files


def _text_file(front_matter: list[str], body: list[str]) -> str:
    """Return a Markdown file: front matter between '---' fences, then the body."""
    return "\n".join(["---", *front_matter, "---", *body, ""])


def _yaml_text(value: str) -> str:
    """Return a string as a double-quoted YAML scalar."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
