"""Template problems become located messages, never tracebacks."""

from __future__ import annotations

from sitegen.pipeline import BuildCache, compile_site
from sitegen.sources import read_project
from tests.conftest import MakeProject, messages


def compile_project(root):
    return compile_site(read_project(root), None, BuildCache())


def test_undefined_variable_names_template_line_and_page(make_project: MakeProject) -> None:
    root = make_project()
    page = root / "templates/team.html"
    lines = page.read_text().splitlines()
    lines[3] = "  <h1>{{ page.titel }}</h1>"
    page.write_text("\n".join(lines) + "\n")
    result = compile_project(root)
    assert not result.ok
    assert messages(result) == [
        f"templates/team.html:4: template error: 'page' has no field 'titel' "
        f"(while rendering content/pages/team.{lang}.md)" for lang in ("en", "fr")]


def test_unknown_ui_string_names_the_key_and_template(make_project: MakeProject) -> None:
    root = make_project()
    footer = root / "templates/_partials/footer.html"
    footer.write_text(footer.read_text().replace("t('footer_visit'", "t('footer_vist'"))
    line = next(i for i, text in enumerate(footer.read_text().splitlines(), 1) if "footer_vist" in text)
    result = compile_project(root)
    assert messages(result) == [
        f"templates/_partials/footer.html:{line}: UI string 'footer_vist' is not defined in any catalogue "
        "(add it to every content/_strings.<lang>.yaml)"]


def test_a_string_missing_at_render_time_names_template_and_line(make_project: MakeProject) -> None:
    root = make_project()
    footer = root / "templates/_partials/footer.html"
    footer.write_text(footer.read_text().replace("t('footer_visit'", "t('footer_' ~ 'vist'"))
    line = next(i for i, text in enumerate(footer.read_text().splitlines(), 1) if "'vist'" in text)
    result = compile_project(root)
    assert any(m.startswith(f"templates/_partials/footer.html:{line}: template error: UI string 'footer_vist' "
                            "is not defined for 'en'") for m in messages(result))


def test_syntax_error_is_reported_once_with_its_line(make_project: MakeProject) -> None:
    root = make_project()
    (root / "templates/team.html").write_text("{% extends 'base.html' %}\n{% block main %}\n{% for x in %}\n")
    result = compile_project(root)
    assert [m for m in messages(result) if "team.html" in m] == [
        "templates/team.html:3: template syntax error: Expected an expression, got 'end of statement block' "
        "(see the Jinja template documentation for the tag's form)"]


def test_missing_layout_template(make_project: MakeProject) -> None:
    root = make_project()
    (root / "templates/team.html").unlink()
    assert "content/pages/team.en.md: template 'team.html' does not exist "\
           "(create templates/team.html, or fix the layout name)" in messages(compile_project(root))


def test_missing_catalogue_key_in_one_language(make_project: MakeProject) -> None:
    root = make_project()
    fr = root / "content/_strings.fr.yaml"
    fr.write_text("\n".join(line for line in fr.read_text().splitlines() if not line.startswith("apply_now:")))
    msgs = messages(compile_project(root))
    assert any(m.startswith("content/_strings.fr.yaml: missing UI string 'apply_now'; used in "
                            "templates/posting.html:") and "(it is defined in content/_strings.en.yaml:" in m
               for m in msgs)


def test_translated_placeholders_must_match_the_source(make_project: MakeProject) -> None:
    root = make_project()
    fr = root / "content/_strings.fr.yaml"
    fr.write_text(fr.read_text().replace("footer_visit: Découvrir {company}", "footer_visit: Découvrir {compagnie}"))
    line = next(i for i, text in enumerate(fr.read_text().splitlines(), 1) if text.startswith("footer_visit:"))
    assert messages(compile_project(root)) == [
        f"content/_strings.fr.yaml:{line}:15: UI string 'footer_visit' has placeholders that differ from "
        "content/_strings.en.yaml (use exactly: {company})"]


def test_a_cold_build_parses_each_template_once(make_project: MakeProject, monkeypatch) -> None:
    """The checks (variables read, UI strings used) and compiling share one parse of each template."""
    import jinja2

    parsed: list[str | None] = []
    parse = jinja2.Environment._parse

    def counting(self, source, name, filename):
        parsed.append(name)
        return parse(self, source, name, filename)

    monkeypatch.setattr(jinja2.Environment, "_parse", counting)
    root = make_project()
    project = read_project(root)
    result = compile_site(project, None, BuildCache())
    assert result.ok and result.page_count > 0
    assert sorted(parsed) == sorted(t.src_path.removeprefix("templates/") for t in project.templates)
