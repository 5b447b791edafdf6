"""Template problems become located messages, never tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from sitegen.model import BuildResult, Problem
from sitegen.pipeline import BuildCache, compile_site
from sitegen.reuse import Reuse
from sitegen.sources import read_project
from tests.conftest import MakeProject, messages


def compile_project(root):
    return compile_site(read_project(root), None, BuildCache())


def templates_only(root: Path, templates: dict[str, str]) -> Path:
    """Write a project of these templates (by name below templates/) and no content; return its folder."""
    (root / "content").mkdir(parents=True)
    for name, text in templates.items():
        (root / "templates" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "templates" / name).write_text(text)
    return root


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


def test_the_checks_read_every_node_of_a_template_once_in_find_alls_order(real_project, tmp_path) -> None:
    """The UI string keys and the variables and templates a template reaches come from one list of its nodes,
    in `find_all`'s order: the same as walking the tree for each, on the real site's templates and on one
    that includes, imports and extends by computed names."""
    from jinja2 import meta, nodes

    from sitegen.environment import make_environment
    from sitegen.fingerprint import template_names
    from sitegen.i18n import make_formatters
    from sitegen.loader import template_nodes
    from sitegen.templatecheck import FACT_ROW_KEYS, FACT_ROWS, TRANSLATOR_NAMES, string_keys_in_templates

    odd = templates_only(tmp_path / "odd", {"odd.html":
        '{% extends ["base.html", layout] %}{% from "_m.html" import x %}{% import name as m %}'
        "{% block b %}{{ t('a') }}{{ t('p_' ~ kind) }}{% include ('a.html', 'b.html') %}{{ y }}{% endblock %}"})
    for root in (real_project, odd):
        project = read_project(root)
        env = make_environment(project, make_formatters, None)
        names, (used, prefixes) = template_names(env, project), string_keys_in_templates(env, project)
        fresh = make_environment(project, make_formatters, None)
        for source in project.templates:
            name, text = source.src_path.removeprefix("templates/"), source.data.decode()
            tree = fresh.parse(text)
            assert [type(n) for n in template_nodes(env, name, text)] == [type(n) for n in tree.find_all(nodes.Node)]
            direct = {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load"}
            assert direct <= names[name]
            if None not in meta.find_referenced_templates(tree):
                reached = {str(r) for r in meta.find_referenced_templates(tree)}
                assert all(names.get(other, frozenset()) <= names[name] for other in reached)
        walked: dict[str, list[tuple[str, int]]] = {}  # the keys as a walk of each tree finds them, in order
        for source in project.templates:
            for call in fresh.parse(source.data.decode()).find_all(nodes.Call):
                if isinstance(call.node, nodes.Name) and call.node.name == FACT_ROWS and call.args:
                    for key in sorted(FACT_ROW_KEYS):  # (the keys a posting's fact rows are made of)
                        walked.setdefault(key, []).append((source.src_path, call.lineno))
                elif isinstance(call.node, nodes.Name) and call.node.name in TRANSLATOR_NAMES and call.args \
                        and isinstance(call.args[0], nodes.Const) and isinstance(call.args[0].value, str):
                    walked.setdefault(call.args[0].value, []).append((source.src_path, call.lineno))
        assert used == walked and list(used) == list(walked)
    assert names["odd.html"] == frozenset(n for template in names.values() for n in template) and prefixes == {"p_"}


def test_templates_compile_to_the_code_jinja_makes(real_project, tmp_path) -> None:
    """`QuickCodeGenerator` finds a template's `extends`, blocks and imports in the checks' list of its nodes, or
    in one walk of its own: the code is Jinja's, byte for byte, on the real site's templates and on ones with
    nested blocks, `extends` in an `if`, and imports (the blocks' order is the code's order)."""
    import jinja2
    from jinja2.compiler import CodeGenerator

    from sitegen.environment import make_environment
    from sitegen.i18n import make_formatters
    from sitegen.loader import EVERY_NODE, template_nodes

    odd = templates_only(tmp_path / "odd", {
        "odd.html": '{% if x %}{% extends "base.html" %}{% endif %}{% import "_m.html" as m %}'
                    '{% from "_m.html" import y %}{% block b %}{% block c %}{{ self.d() }}{% endblock %}{% endblock %}'
                    "{% block d %}{{ super() }}{% endblock %}"
                    "{% for i in z %}{% block e %}{{ i }}{% endblock %}{% endfor %}",
        "_m.html": "{% macro y() %}{% block f %}{{ caller() }}{% endblock %}{% endmacro %}"})
    compiled = 0
    for root in (real_project, odd):
        project = read_project(root)
        env = make_environment(project, make_formatters, None)
        plain = make_environment(project, make_formatters, None)
        plain.code_generator_class = CodeGenerator
        for source in project.templates:
            name, text = source.src_path.removeprefix("templates/"), source.data.decode()
            filename = "templates/" + name
            jinjas = plain.compile(text, name, filename, raw=True)
            assert env.compile(text, name, filename, raw=True) == jinjas  # (one walk of its own)
            tree = env.loader.tree(env, name)  # the tree the checks walk, and their list of its nodes
            vars(tree)[EVERY_NODE] = template_nodes(env, name, text)  # as the loader hands them over to compile
            assert env._generate(tree, name, filename) == jinjas and EVERY_NODE not in vars(tree)
            assert "find_all" not in vars(tree)
            checked = make_environment(project, make_formatters, None)
            template_nodes(checked, name, text)
            checked.get_template(name)  # (compiled by the loader, from the checks' tree and list)
            assert checked.loader.compiled[name] == compile(jinjas, filename, "exec", dont_inherit=True)
            compiled += 1
    assert compiled == len(read_project(real_project).templates) + 2
    assert isinstance(make_environment(read_project(odd), make_formatters, None).get_template("odd.html"),
                      jinja2.Template)


def test_pages_that_list_every_posting_render_first(make_project: MakeProject, monkeypatch) -> None:
    """A big site's home page lists every posting (1.7 MB at 5,000 postings): the pages whose template reads the
    job list go to the workers first, so that a worker makes them while it is smallest; the others keep their
    order, and the output is the same."""
    import sitegen.render

    orders: list[list[str]] = []
    real = sitegen.render.iter_chunks

    def spied(task, context, items, *args, **kwargs):  # type: ignore[no-untyped-def]
        orders.append([page.dest_path for page, _ in items])
        return real(task, context, items, *args, **kwargs)

    monkeypatch.setattr(sitegen.render, "iter_chunks", spied)
    root = make_project()

    def one_off() -> BuildResult:  # (serve renders pages with `cached` blocks, the homes, in its own process)
        return compile_site(read_project(root), None, BuildCache(reuse=Reuse(remember=False)))

    first = one_off()
    monkeypatch.setattr(sitegen.render, "LISTED", "no template reads this")  # as if none listed the postings
    plain = one_off()
    assert first.ok and [(o.dest_path, o.content) for o in first.outputs] == [
        (o.dest_path, o.content) for o in plain.outputs]
    listed, unlisted = orders
    homes = ["en/index.html", "fr/index.html"]  # (home.html shows the job list)
    assert listed[:2] == homes and unlisted[:2] != homes
    assert listed == homes + [dest for dest in unlisted if dest not in homes]


def test_a_finished_page_ends_with_one_newline_and_is_handed_over() -> None:
    from sitegen.render import _finished

    for html in ("<p>x</p>", "<p>x</p>\n", "<p>x</p>\n\n\n"):
        rendered = [html]
        done = _finished(rendered, "a.txt", "content/a.en.md", False, None)
        assert not isinstance(done, Problem) and done.content == b"<p>x</p>\n"
        assert rendered == []  # the page is `_finished`'s alone: each version of it is let go once the next is made


def test_ui_strings_and_macros_are_called_at_once_and_render_as_jinja_renders_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Templates call `t` and macros without Jinja's look for `pass_context` and its like on them (1.3 µs a call,
    some 160 calls a posting page): in loops, blocks and `call` blocks, the output is what Jinja's own context
    gives, and any other callable is still called as Jinja calls it (with the context, where it asks)."""
    import jinja2

    from sitegen.environment import make_environment
    from sitegen.i18n import make_formatters
    from sitegen.translations import Translator

    root = templates_only(tmp_path / "site", {"x.html":
        "{% macro box(x) %}[{{ x }}{{ caller() if caller is defined else '' }}]{% endmacro %}"
        "{% for i in items %}{{ t('hello', name=i) }}{% call box(i) %}{{ t('plain') }}{{ loop.index }}{% endcall %}"
        "{% endfor %}{% block b %}{{ t('plain') }}{{ box('b') }}{{ who() }}{% endblock %}"})
    project = read_project(root)

    @jinja2.pass_context
    def who(context: jinja2.runtime.Context) -> str:
        return f"<{context['lang']}>"

    called: list[object] = []
    real = jinja2.runtime.Context.call
    monkeypatch.setattr(jinja2.runtime.Context, "call", lambda *a, **k: called.append(a[1]) or real(*a, **k))
    values = {"t": Translator("en", {"hello": "Hi {name}", "plain": "&"}), "items": ["a", "b"], "who": who,
              "lang": "en"}
    rendered = []
    for context_class in (None, jinja2.runtime.Context):
        env = make_environment(project, make_formatters, None)
        if context_class is not None:
            env.context_class = context_class
        called.clear()
        rendered.append(env.get_template("x.html").render(values))
        counted = [type(c).__name__ for c in called]
        if context_class is None:
            assert counted == ["function"]  # `who` alone: `t`, the macro and `caller` were called at once
        else:
            assert counted.count("Translator") == 5 and counted.count("Macro") == 5
    assert rendered[0] == rendered[1] == "Hi a[a&amp;1]Hi b[b&amp;2]&amp;[b]&lt;en&gt;"


def test_the_quick_context_calls_every_kind_of_callable_as_jinja_does() -> None:
    """Templates call UI strings, macros, plain functions, their methods and built-ins at once; a callable
    marked by `pass_context` and its like (a function, a method, an object's `__call__`) gets what Jinja
    gives it: the same output as Jinja's own context."""
    import jinja2

    from sitegen.environment import QuickContext
    from sitegen.translations import Translator

    class Helper:
        def plain(self, value: str) -> str:
            return f"plain:{value}"

        @jinja2.pass_context
        def marked(self, context: jinja2.runtime.Context, value: str) -> str:
            return f"marked:{context['who']}:{value}"

    class Marked:
        @jinja2.pass_environment
        def __call__(self, environment: jinja2.Environment, value: str) -> str:
            return f"env:{environment.autoescape}:{value}"

    @jinja2.pass_eval_context
    def evaluated(context: jinja2.nodes.EvalContext, value: str) -> str:
        return f"eval:{context.autoescape}:{value}"

    @jinja2.pass_context
    def with_context(context: jinja2.runtime.Context, value: str) -> str:
        return f"context:{context['who']}:{value}"

    def stopping() -> str:
        raise StopIteration

    source = ("{% macro m(x) %}[{{ x }}]{% endmacro %}{{ t('hi', name=who) }} {{ m(who) }} {{ plain_fn(who) }} "
              "{{ helper.plain(who) }} {{ helper.marked(who) }} {{ object(who) }} {{ evaluated(who) }} "
              "{{ with_context(who) }} {{ table.get('a') }} {{ 'a,b'.split(',') }} {{ stopping() is undefined }}")
    values = {"who": "Ana", "t": Translator("en", {"hi": "Hi {name}"}), "plain_fn": lambda v: f"fn:{v}",
              "helper": Helper(), "object": Marked(), "evaluated": evaluated, "with_context": with_context,
              "table": {"a": 1}, "stopping": stopping}
    outputs = []
    for quick in (False, True):
        env = jinja2.Environment(autoescape=True)
        if quick:
            env.context_class = QuickContext
        outputs.append(env.from_string(source).render(values))
    assert outputs[1] == outputs[0]
    assert "marked:Ana:Ana" in outputs[0] and "env:True:Ana" in outputs[0] and "eval:True:Ana" in outputs[0]


def test_the_quick_context_knows_the_globals_of_each_template_as_jinjas_does() -> None:
    """A context's names of globals are Jinja's: for templates with globals of their own, after a global is added
    or taken out, and for macros imported from a template whose globals lack the importer's (which Jinja
    imports again with those)."""
    import jinja2

    from sitegen.environment import QuickContext

    sources = {"macros.html": "{% macro show() %}[{{ own }}|{{ shared }}]{% endmacro %}",
               "page.html": "{% from 'macros.html' import show %}{{ show() }}{% include 'part.html' %}",
               "part.html": "<{{ own }}>"}
    outputs, names = [], []
    for quick in (False, True):
        env = jinja2.Environment(loader=jinja2.DictLoader(sources))
        if quick:
            env.context_class = QuickContext
        env.globals["shared"] = "s"
        page = env.get_template("page.html", globals={"own": "o"})
        made = [page.render()]
        names.append(set(page.new_context().globals_keys))
        env.globals["added"] = "a"
        names.append(set(page.new_context().globals_keys))
        del env.globals["shared"]
        env.globals["other"] = "x"
        names.append(set(page.new_context().globals_keys))
        made.append(env.from_string("{{ own }}{{ other }}", globals={"own": "p"}).render())
        outputs.append(made)
    assert outputs[1] == outputs[0] == ["[o|s]<o>", "px"]
    assert names[3:] == names[:3]
    assert names[1] - names[0] == {"added"} and "shared" not in names[2] and "other" in names[2]


class Shown:
    """An object that gives its own HTML, as Jinja's and MarkupSafe's objects may."""

    def __init__(self, html: str) -> None:
        self.html = html

    def __html__(self) -> str:
        return self.html


@given(value=st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.none(),
                       st.booleans(), st.text().map(Markup),
                       st.text().map(Shown), st.text().map(type("Text", (str,), {}))))
def test_the_quick_escape_escapes_as_markupsafe_does(value: object) -> None:
    """Templates escape what they output with `quick_escape`: the same text, as `Markup`, as MarkupSafe's."""
    import markupsafe

    from sitegen.environment import quick_escape

    quick, escaped = quick_escape(value), markupsafe.escape(value)
    assert type(quick) is markupsafe.Markup and type(escaped) is markupsafe.Markup
    assert str.__str__(quick) == str.__str__(escaped)


def test_templates_escape_with_the_quick_escape_and_give_jinjas_output() -> None:
    """The project's templates call `quick_escape` where Jinja's code calls `escape`, and render what Jinja
    renders: text, markup, numbers, objects with their own HTML, in output, macros and filters."""
    import jinja2

    from sitegen.environment import make_environment, quick_escape
    from sitegen.model import Project, Source

    source = ("{% macro m(x) %}<i>{{ x }}</i>{% endmacro %}{{ text }} {{ markup }} {{ number }} {{ shown }} "
              "{{ m(text) }} {{ text|upper }} {{ markup|safe }} {{ 'a' ~ text }} "
              "{% set c %}{{ text }}{% endset %}{{ c }}")
    template = Source("templates/x.html", source.encode("utf-8"), "0")
    env = make_environment(Project(content=(), templates=(template,), assets=()), lambda locale: {})
    compiled = env.get_template("x.html")
    assert compiled.root_render_func.__globals__["escape"] is quick_escape
    values = {"text": "<a href='x'>&amp;\"", "markup": Markup("<b>ok</b>"), "number": 3, "shown": Shown("<s>")}
    plain = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    assert compiled.render(values) == plain.from_string(source).render(values)
