#!/usr/bin/env python3
"""The floor: the least a single-process Python generator with these libraries must do for the same site.

PyYAML's CSafeLoader, Python-Markdown with no extensions, Jinja2 with autoescape and one template per
page kind; every posting page, a listing per language and a sitemap, written to disk.

    python bench/floor.py PROJECT OUT
"""

from __future__ import annotations

import sys
from pathlib import Path

import jinja2
import markdown
import yaml

PAGE = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1><p>{{ facts.location.locality }}, {{ facts.duration_months }}</p>
{{ body|safe }}</main></body></html>
"""
LIST = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8"><title>Jobs</title></head>
<body><main><ul>{% for p in postings %}<li><a href="{{ p.url }}">{{ p.title }}</a></li>{% endfor %}</ul></main>
</body></html>
"""


def main(project: Path, out: Path) -> None:
    """Build the postings of `project` into `out`."""
    env = jinja2.Environment(autoescape=True)
    page, listing = env.from_string(PAGE), env.from_string(LIST)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    converter = markdown.Markdown()
    postings: dict[str, list[dict[str, str]]] = {"en": [], "fr": []}
    for facts_path in sorted((project / "content/jobs").glob("*.yaml")):
        facts = yaml.load(facts_path.read_text("utf-8"), Loader=loader)
        for lang in ("en", "fr"):
            _, front, body = facts_path.with_suffix(f".{lang}.md").read_text("utf-8").split("---\n", 2)
            meta = yaml.load(front, Loader=loader)
            converter.reset()
            slug = meta.get("slug", facts_path.stem)
            url = f"/{lang}/jobs/{slug}/"
            target = out / url.strip("/") / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page.render(lang=lang, title=meta["title"], facts=facts,
                                          body=converter.convert(body)), "utf-8")
            postings[lang].append({"url": url, "title": meta["title"]})
    urls = []
    for lang, items in postings.items():
        (out / lang).mkdir(parents=True, exist_ok=True)
        (out / lang / "index.html").write_text(listing.render(lang=lang, postings=items), "utf-8")
        urls += [item["url"] for item in items]
    (out / "sitemap.xml").write_text("<urlset>" + "".join(f"<url><loc>{u}</loc></url>" for u in urls) + "</urlset>")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
