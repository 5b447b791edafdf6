"""One fixture per kind of editor mistake: the exact message, path, line and column, and no output."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.pipeline import BuildCache, compile_site
from sitegen.reuse import Reuse
from sitegen.sources import read_project
from tests.conftest import SITES, MakeProject

FACTS = "content/jobs/data-intern.yaml"
TEXT = "content/jobs/data-intern.en.md"
GOOD = (SITES / "tiny" / FACTS).read_text(encoding="utf-8")
HOME = "---\ntitle: Tiny home\ndescription: d\n---\n"
NOT_SYNCED = ("content/pages/{0}.fr.md: warning: translation is out of date: content/pages/{0}.en.md changed since "
              "it was synced (update it, then run: python3 build.py translations --mark-synced "
              "content/pages/{0}.fr.md)")


def facts(old: str, new: str) -> dict[str, str]:
    assert old in GOOD
    return {FACTS: GOOD.replace(old, new)}


JOB_NOT_SYNCED = ("content/jobs/data-intern.fr.md: warning: translation is out of date: content/jobs/data-intern.en.md "
                  "changed since it was synced (update it, then run: python3 build.py translations --mark-synced "
                  "content/jobs/data-intern.fr.md)")
ALT_MISSING = [
    f"content/people/ada.{lang}.md:2:1: no 'photo_alt': content/people/ada.yaml gives a photo, and every language "
    "needs a text that describes it for people who cannot see it (add 'photo_alt: …' to the front matter, "
    "e.g. photo_alt: Ada at her desk, smiling)" for lang in ("en", "fr")]

CASES: dict[str, tuple[dict[str, str], list[str]]] = {
    "yaml_unclosed_bracket": (facts("people: [ada]", "people: [ada"), [
        "content/jobs/data-intern.yaml:9:9: YAML syntax error: '[' is never closed "
        "(close it with ']' on the same line, or quote the value)"]),
    "yaml_tab_indent": (facts("location: {locality: Lyon, country: FR}", "location:\n\tlocality: Lyon"), [
        "content/jobs/data-intern.yaml:8:1: YAML syntax error: a tab is used for indentation (indent with spaces)"]),
    "yaml_unexpected_colon": ({"content/pages/team.en.md": "---\ntitle: Team: who we are\ndescription: d\n---\n"}, [
        "content/pages/team.en.md:2:12: YAML syntax error: unexpected ':' (quote a value that contains ': ' "
        "(title: \"Note: this\"), or fix the indentation)"]),
    "yaml_unclosed_quote": ({"content/pages/team.en.md": "---\ntitle: \"Team\ndescription: d\n---\n"}, [
        "content/pages/team.en.md:2:8: YAML syntax error: the quote is never closed "
        "(end the value with \" on the same line; write \\\" for a quote inside it)"]),
    "yaml_unclosed_quote_before_quote": (
        {"content/pages/team.en.md": "---\ntitle: \"Team\ndescription: \"d\"\n---\n"}, [
            "content/pages/team.en.md:2:8: YAML syntax error: the quote is never closed "
            "(end the value with \" on the same line; write \\\" for a quote inside it)"]),
    "yaml_apostrophe_in_single_quotes": (
        {"content/pages/team.en.md": "---\ntitle: 'It's us'\ndescription: d\n---\n"}, [
            "content/pages/team.en.md:2:11: YAML syntax error: an apostrophe ends the quoted text early "
            "(inside '…' write an apostrophe twice ('It''s'), or quote the text with \"…\")"]),
    "yaml_python_tag": (facts("contract: internship", "contract: !!python/object/apply:os.system [ls]"), [
        "content/jobs/data-intern.yaml:3:11: YAML tag '!!python/object/apply:os.system' is not allowed "
        "(remove the tag: content is plain text, numbers, lists and fields)"]),
    "yaml_second_document": ({FACTS: GOOD + "---\nidentifier: x\n"}, [
        "content/jobs/data-intern.yaml:15:1: the file holds a second YAML document "
        "(a line '---' starts a new document: remove it)"]),
    "yaml_duplicate_key": ({FACTS: GOOD + "contract: permanent\n"}, [
        "content/jobs/data-intern.yaml:15:1: duplicate key 'contract' (it is already set on line 3; keep one)"]),
    "missing_required": (facts("apply_url: mailto:jobs@tiny.example.org\n", ""), [
        "content/jobs/data-intern.yaml:1:1: missing required field 'apply_url' (add 'apply_url: …' to this file)"]),
    "unknown_key": (facts("duration_months: 4", "duration_month: 4"), [
        "content/jobs/data-intern.yaml:5:1: unknown field 'duration_month' (did you mean 'duration_months'?)"]),
    "wrong_type": (facts("duration_months: 4", "duration_months: four"), [
        "content/jobs/data-intern.yaml:5:18: 'duration_months' must be a whole number (it is a text here)"]),
    "bad_enum": (facts("contract: internship", "contract: intern"), [
        "content/jobs/data-intern.yaml:3:11: 'contract' is 'intern', which is not allowed "
        "(use one of: internship, permanent, fixed_term, apprenticeship, freelance)"]),
    "bad_date": (facts("date_posted: 2026-01-15", "date_posted: 2026-13-01"), [
        "content/jobs/data-intern.yaml:2:14: 'date_posted' is '2026-13-01', which is not a date: there is no "
        "month 13 (write a day that exists, as YYYY-MM-DD)"]),
    "day_that_does_not_exist": (facts("valid_through: 2026-03-31", "valid_through: 2026-02-30"), [
        "content/jobs/data-intern.yaml:11:16: 'valid_through' is '2026-02-30', which is not a date: February 2026 "
        "has 28 days (write a day that exists, as YYYY-MM-DD)"]),
    "not_a_date_at_all": (facts("date_posted: 2026-01-15", "date_posted: 15/01/2026"), [
        "content/jobs/data-intern.yaml:2:14: 'date_posted' has an invalid value '15/01/2026' "
        "(it must be an ISO date, YYYY-MM-DD)"]),
    "person_named_as_shown": (facts("people: [ada]", "people: [Ada Lovelace]"), [
        "content/jobs/data-intern.yaml:9:10: 'people[0]' has an invalid value 'Ada Lovelace' (it must be a file "
        "name in content/people/ without .yaml (lowercase letters, digits and hyphens): use 'ada-lovelace')"]),
    "list_written_as_text": (facts("employment_type: [INTERN]", "employment_type: INTERN"), [
        "content/jobs/data-intern.yaml:4:18: 'employment_type' must be a list (it is a text here; write it as in "
        "employment_type: [FULL_TIME, INTERN])"]),
    "links_written_as_files": ({TEXT: "---\ntitle: Data Intern\ndescription: d\n---\n## The job\n\n"
                                      "[team](team.en.md) [logo](logo.png) [équipe](/fr/team/)\n"}, [
        "content/jobs/data-intern.en.md:7:8: link to 'team.en.md' leads nowhere on this site "
        "(did you mean '/en/team/'?)",
        "content/jobs/data-intern.en.md:7:27: link to 'logo.png' leads nowhere on this site "
        "(did you mean '/assets/logo.png'?)",
        "content/jobs/data-intern.en.md:7:46: link to '/fr/team/' leads nowhere on this site "
        "(did you mean '/fr/equipe/'?)", JOB_NOT_SYNCED]),
    "person_misspelt": (facts("people: [ada]", "people: [adaa]"), [
        "content/jobs/data-intern.yaml:9:10: unknown person 'adaa' (did you mean 'ada'?)"]),
    "step_misspelt": (facts("process: [call]", "process: [cal]"), [
        "content/jobs/data-intern.yaml:10:11: unknown process step 'cal' (did you mean 'call'?)"]),
    "apply_url_missing_a_language": (facts("apply_url: mailto:jobs@tiny.example.org",
                                           "apply_url: {en: 'https://tiny.example.org/en/apply'}"), [
        "content/jobs/data-intern.yaml:8:1: apply_url gives no URL for fr (add 'fr: https://…' under apply_url, "
        "or give one URL for every language)"]),
    "apply_url_unknown_language": (facts("apply_url: mailto:jobs@tiny.example.org",
                                         "apply_url: {en: 'https://a.example.org/', fr: 'https://b.example.org/', "
                                         "de: 'https://c.example.org/'}"), [
        "content/jobs/data-intern.yaml:8:73: apply_url names 'de', which is not a language of the site "
        "(use the site's language codes: en, fr)"]),
    "bad_month": (facts("{from: 2026-04, to: 2026-04}", "{from: 2026-4, to: 2026-04}"), [
        "content/jobs/data-intern.yaml:6:15: 'start.from' has an invalid value '2026-4' "
        "(it must be a month, YYYY-MM)"]),
    "http_url": (facts("mailto:jobs@tiny.example.org", "http://tiny.example.org/apply"), [
        "content/jobs/data-intern.yaml:8:12: 'apply_url' has an invalid value 'http://tiny.example.org/apply' "
        "(it must be an absolute https:// or mailto: URL)"]),
    "javascript_url": (facts("mailto:jobs@tiny.example.org", "javascript:alert(1)"), [
        "content/jobs/data-intern.yaml:8:12: 'apply_url' has an invalid value 'javascript:alert(1)' "
        "(it must be an absolute https:// or mailto: URL)"]),
    "duration_not_positive": (facts("duration_months: 4", "duration_months: 0"), [
        "content/jobs/data-intern.yaml:5:18: 'duration_months' is 0, which is out of range (it must be at least 1)"]),
    "bad_slug": ({"content/pages/team.fr.md": "---\ntitle: Équipe\ndescription: d\nslug: Équipe Tech\n---\n"}, [
        "content/pages/team.fr.md:4:7: 'slug' has an invalid value 'Équipe Tech' "
        "(it must be lowercase letters, digits and hyphens: use 'equipe-tech')"]),
    "end_before_start": ({FACTS: GOOD + "end: {from: 2026-01, to: 2026-02}\n"}, [
        "content/jobs/data-intern.yaml:15:1: the end window is before the start window (check the years and months)"]),
    "window_reversed": (facts("{from: 2026-04, to: 2026-04}", "{from: 2026-05, to: 2026-04}"), [
        "content/jobs/data-intern.yaml:6:24: 'start.to' is before 'start.from' (swap the two months)"]),
    "unknown_person": (facts("people: [ada]", "people: [ada, bob]"), [
        "content/jobs/data-intern.yaml:9:15: unknown person 'bob' (create content/people/bob.yaml, or fix the name)"]),
    "unknown_step": (facts("process: [call]", "process: [call, lunch]"), [
        "content/jobs/data-intern.yaml:10:17: unknown process step 'lunch' "
        "(create content/process/lunch.yaml, or fix the name)"]),
    "missing_front_matter": ({TEXT: "title: Data Intern\n\nCount things.\n"}, [
        "content/jobs/data-intern.en.md:1:1: missing front matter "
        "(start the file with a line '---', the YAML fields, then another '---')"]),
    "unclosed_front_matter": ({TEXT: "---\ntitle: Data Intern\ndescription: d\nCount things.\n"}, [
        "content/jobs/data-intern.en.md:1:1: front matter is not closed "
        "(close the front matter with a line '---' before the text)"]),
    "front_matter_not_a_mapping": ({TEXT: "---\n- Data Intern\n---\nCount things.\n"}, [
        "content/jobs/data-intern.en.md:2:1: front matter must be a mapping "
        "(write 'field: value' lines between the '---' fences)"]),
    "unknown_language": ({"content/pages/team.es.md": "---\ntitle: Equipo\ndescription: d\n---\n"}, [
        "content/pages/team.es.md: unknown language 'es' (use one of the site's languages: en, fr; "
        "or add 'es' to content/_site.yaml)"]),
    "no_language": ({"content/pages/about.md": "---\ntitle: About\ndescription: d\n---\n"}, [
        "content/pages/about.md: file name does not say its language (name it about.<language>.md, e.g. about.en.md)"]),
    "file_name_not_a_slug": ({"content/pages/À propos.en.md": "---\ntitle: About\ndescription: d\n---\n"}, [
        "content/pages/À propos.en.md: file name 'À propos' is not a slug (rename it a-propos.en.md)"]),
    "outside_the_content_folders": ({"content/blog/post.en.md": "---\ntitle: Post\ndescription: d\n---\n"}, [
        "content/blog/post.en.md: file is outside the content folders (put pages in content/pages/, postings in "
        "content/jobs/, people in content/people/, hiring steps in content/process/)"]),
    "same_output_path": ({"content/pages/about.en.md": "---\ntitle: About\ndescription: d\nslug: team\n---\n",
                          "content/pages/about.fr.md": "---\ntitle: À propos\ndescription: d\nslug: a-propos\n---\n"}, [
        "content/pages/about.fr.md: warning: translation was never marked as synced with content/pages/about.en.md "
        "(check it against the source, then run: python3 build.py translations --mark-synced "
        "content/pages/about.fr.md)",
        "content/pages/team.en.md: two pages write en/team/index.html "
        "(content/pages/about.en.md writes it too; change a slug)"]),
    "broken_links": ({"content/pages/home.en.md": HOME + "See [the team](/en/teams/) and [mission](mission/).\n"}, [
        "content/pages/home.en.md:5:16: link to '/en/teams/' leads nowhere on this site (did you mean '/en/team/'?)",
        "content/pages/home.en.md:5:42: link to 'mission/' leads nowhere on this site "
        "(write a path such as /en/team/ or /assets/file.pdf)",
        NOT_SYNCED.format("home")]),
    "forbidden_link_scheme": ({"content/pages/home.en.md": HOME + "Click [here](javascript:alert(1)).\n"}, [
        "content/pages/home.en.md:5:14: link uses the 'javascript:' scheme, which is not allowed "
        "(use https:, mailto:, tel: or a path on this site)",
        NOT_SYNCED.format("home")]),
    "missing_photo": ({"content/people/ada.yaml": "name: Ada Lovelace\nphoto: ada.jpg\n"}, [
        *ALT_MISSING,
        "content/people/ada.yaml:2:8: photo 'assets/ada.jpg' does not exist "
        "(add the image to assets/, or fix the file name)"]),
    "photo_without_alt": ({"content/people/ada.yaml": "name: Ada Lovelace\nphoto: logo.png\n"}, ALT_MISSING),
    "level_one_heading": ({TEXT: "---\ntitle: Data Intern\ndescription: d\n---\n# Data Intern\n\nCount.\n"}, [
        "content/jobs/data-intern.en.md:5:1: the text has a level-1 heading "
        "(the title is the page's only top heading: start sections with '##')"]),
    "skipped_heading_level": ({TEXT: "---\ntitle: Data Intern\ndescription: d\n---\n## Job\n\n#### Detail\n"}, [
        "content/jobs/data-intern.en.md:7:1: heading level 4 follows level 2 "
        "(use ### here: heading levels may not be skipped)"]),
    "image_without_alt": ({"content/pages/team.en.md": "---\ntitle: Team\ndescription: d\nlayout: team\n---\n"
                                                       "![](/assets/logo.png) <img src=\"/assets/logo.png\">\n"}, [
        "content/pages/team.en.md:6:1: image has no alt text "
        "(describe it between the brackets: ![what it shows](file.jpg))",
        "content/pages/team.en.md:6:23: image has no alt text "
        "(describe it between the brackets: ![what it shows](file.jpg))"]),
    "placeholders": ({TEXT: "---\ntitle: \"TODO: title\"\ndescription: d\n---\nTODO: describe the job.\n"}, [
        "content/jobs/data-intern.en.md:2:8: placeholder left in 'title' "
        "(replace it with the real text; scaffolded files stay unpublishable until then)",
        "content/jobs/data-intern.en.md:5:1: placeholder left in the text "
        "(replace it with the real text; scaffolded files stay unpublishable until then)"]),
    "empty_yaml": ({"content/people/ada.yaml": ""}, [
        "content/people/ada.yaml:1:1: file is empty (fill in its fields)"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_mistake(case: str, make_project: MakeProject) -> None:
    files, expected = CASES[case]
    result = compile_site(read_project(make_project(files)), None, BuildCache())
    assert [str(p) for p in result.problems] == expected
    assert not result.ok and not result.outputs


@pytest.mark.parametrize("case", sorted(CASES))
def test_mistake_in_a_one_off_build(case: str, make_project: MakeProject) -> None:
    """A one-off build keeps nothing for a next one (its link check is the lean one): the same problems."""
    files, expected = CASES[case]
    result = compile_site(read_project(make_project(files)), None, BuildCache(reuse=Reuse(remember=False)))
    assert [str(p) for p in result.problems] == expected


@pytest.mark.parametrize("remember", [True, False])
def test_anchor_links_are_checked_against_the_ids_of_their_page(make_project: MakeProject, remember: bool) -> None:
    text = "---\ntitle: Data Intern\ndescription: d\n---\n## The job\n\n" \
           "[a](#the-jobb) [b](#the-job) [c](/en/team/#nobody) [d](#main) [e](/en/team/#ada)\n"
    result = compile_site(read_project(make_project({TEXT: text})), None, BuildCache(reuse=Reuse(remember=remember)))
    assert result.ok  # a broken anchor is a warning: --strict fails on it
    assert [str(p) for p in result.problems] == [
        "content/jobs/data-intern.en.md:7:5: warning: link to '#the-jobb' names no heading or section of that "
        "page (did you mean '#the-job'?)",
        "content/jobs/data-intern.en.md:7:34: warning: link to '/en/team/#nobody' names no heading or section of "
        "that page (link to a heading's id, shown in the page's HTML)", JOB_NOT_SYNCED]


def test_not_utf8(make_project: MakeProject) -> None:
    root = make_project()
    (root / "content/people/ada.yaml").write_bytes(b"name: Ada\nrole: Ad\xe9\n")
    result = compile_site(read_project(root), None, BuildCache())
    assert [str(p) for p in result.problems] == [
        "content/people/ada.yaml:2:9: file is not valid UTF-8 (save it with the UTF-8 encoding)"]


def test_missing_site_configuration(make_project: MakeProject) -> None:
    root = make_project({"content/_site.yaml": None})
    result = compile_site(read_project(root), None, BuildCache())
    assert [str(p) for p in result.problems] == [
        "content/_site.yaml: missing site configuration (create it with name, base_url, languages and organisation)"]


def test_symlink_outside_the_project_is_refused(make_project: MakeProject, tmp_path: Path) -> None:
    root = make_project()
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\ndescription: d\n---\nroot password\n")
    (root / "content/pages/secret.en.md").symlink_to(secret)
    result = compile_site(read_project(root), None, BuildCache())
    assert "content/pages/secret.en.md: symbolic link points outside the project "\
           "(copy what it points to into the project instead)" in [str(p) for p in result.problems]
    assert not result.ok
