"""A synthetic bilingual careers site: the real templates, pages, people and steps, plus N postings.

Each posting has a facts file and an English and a French text of about 700 words: six `##` sections
with a paragraph, a list and a link.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sitegen.translations import text_hash  # noqa: E402

FACTS = """identifier: bench-{n}
date_posted: 2026-{month:02d}-{day:02d}
contract: internship
employment_type: [FULL_TIME, INTERN]
duration_months: {months}
hours_per_week: 35
start: {{from: 2027-02, to: 2027-03}}
end: {{from: 2027-08, to: 2027-09}}
location: {{locality: Paris, region: Île-de-France, country: FR}}
apply_url: https://example.org/apply/{n}
education: bachelor_degree
experience_months: 6
people: [theotime, dawn]
process: [recruiter-interview, technical-interview, team-interview]
"""

WORDS = {
    "en": ("You will work with experienced engineers on feature development, system enhancements and the "
           "technical rework of our codebase, in an international team that ships every day."),
    "fr": ("Vous travaillerez avec des ingénieur·es expérimenté·es sur de nouvelles fonctionnalités, "
           "l’amélioration de nos systèmes et la refonte technique de notre base de code : chaque jour !"),
}
HEADINGS = {
    "en": ("What you will do", "Your team", "What we look for", "How you will grow", "Where", "How to apply"),
    "fr": ("Vos missions", "Votre équipe", "Votre profil", "Votre évolution", "Où", "Comment postuler"),
}


def text(lang: str, n: int) -> str:
    """Return one posting's text in one language: front matter and six sections (about 700 words).

    The French text records the hash of the English one, as a translator's would after syncing.
    """
    title = "Backend Engineering Intern" if lang == "en" else "Stagiaire ingénieur·e backend"
    front = [f"title: {title} {n}", f"description: {WORDS[lang][:120]}"]
    if lang == "fr":
        source = text("en", n).split("---\n", 2)
        meta = {"title": f"Backend Engineering Intern {n}", "description": WORDS["en"][:120]}
        front += [f"slug: stage-{n:05d}", f'source_hash: "{text_hash(meta, source[2])}"']
    sections = []
    for index, heading in enumerate(HEADINGS[lang]):
        items = "\n".join(f"- {WORDS[lang][: 60 + 9 * item]}" for item in range(4))
        link = f"[{'the team' if lang == 'en' else 'l’équipe'}](/{lang}/{'team' if lang == 'en' else 'equipe'}/)"
        sections.append(f"## {heading}\n\n{WORDS[lang]} {WORDS[lang]} {link}.\n\n{items}\n")
        if index == 2:
            sections.append(f"**{'Mandatory' if lang == 'en' else 'Obligatoire'}:** {WORDS[lang]}\n")
    return "---\n" + "\n".join(front) + "\n---\n" + "\n".join(sections)


def make_site(root: Path, postings: int) -> None:
    """Write a synthetic project with `postings` postings in English and French into `root`."""
    for folder in ("templates", "assets"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copytree(REPO / "content", root / "content", ignore=shutil.ignore_patterns("jobs"))
    jobs = root / "content/jobs"
    jobs.mkdir()
    for n in range(postings):
        stem = f"posting-{n:05d}"
        (jobs / f"{stem}.yaml").write_text(FACTS.format(n=n, month=n % 11 + 1, day=n % 28 + 1, months=n % 6 + 1),
                                           "utf-8")
        for lang in ("en", "fr"):
            (jobs / f"{stem}.{lang}.md").write_text(text(lang, n), "utf-8")
