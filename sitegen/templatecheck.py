"""Check stage: templates that compile, and the UI strings they use against the catalogues."""

from __future__ import annotations

from collections.abc import Mapping

import jinja2

from .loader import TEMPLATE_DIR, TemplateLoader, template_nodes
from .model import Problem, Project


def check_templates(env: jinja2.Environment, project: Project) -> list[Problem]:
    """Return a problem for each template that does not compile."""
    problems = []
    for source in project.templates:
        name = source.src_path[len(TEMPLATE_DIR):]
        if not name.endswith((".html", ".xml", ".txt")):
            continue
        try:
            if isinstance(env.loader, TemplateLoader):
                env.loader.code(env, name)  # (compiled; made into a template only when a page renders with it)
            else:
                env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(Problem(source.src_path, exc.lineno, f"template syntax error: {exc.message}",
                                    "see the Jinja template documentation for the tag's form"))
        except UnicodeDecodeError:
            problems.append(Problem(source.src_path, None, "template is not valid UTF-8", "save it as UTF-8"))
    return problems


TRANSLATOR_NAMES = ("t", "tr")
StringKeys = tuple[dict[str, list[tuple[str, int]]], set[str]]


def string_keys_in_templates(env: jinja2.Environment, project: Project) -> StringKeys:
    """Return the UI string keys templates use, with where, and the prefixes of computed keys.

    `t('apply_now')` uses a key; `t('nav_' ~ name)` uses every key starting with 'nav_'; `fact_rows(posting)`
    uses the keys a posting's facts are labelled and written with (`FACT_ROW_KEYS`, `FACT_ROW_PREFIXES`).
    """
    used: dict[str, list[tuple[str, int]]] = {}
    prefixes: set[str] = set()
    for source in project.templates:
        try:
            every = template_nodes(env, source.src_path[len(TEMPLATE_DIR):], source.data.decode("utf-8"))
        except (jinja2.TemplateSyntaxError, UnicodeDecodeError):
            continue  # reported by check_templates
        for call in every:
            if not (isinstance(call, jinja2.nodes.Call) and isinstance(call.node, jinja2.nodes.Name)
                    and (call.node.name in TRANSLATOR_NAMES or call.node.name == FACT_ROWS) and call.args):
                continue
            if call.node.name == FACT_ROWS:
                for key in sorted(FACT_ROW_KEYS):
                    used.setdefault(key, []).append((source.src_path, call.lineno))
                prefixes |= FACT_ROW_PREFIXES
                continue
            arg = call.args[0]
            if isinstance(arg, jinja2.nodes.Const) and isinstance(arg.value, str):
                used.setdefault(arg.value, []).append((source.src_path, call.lineno))
            elif isinstance(arg, jinja2.nodes.Concat) and isinstance(arg.nodes[0], jinja2.nodes.Const):
                prefixes.add(str(arg.nodes[0].value))
    return used, prefixes


def undefined_string_keys(
    used: Mapping[str, list[tuple[str, int]]], strings: Mapping[str, Mapping[str, str]],
) -> list[Problem]:
    """Return an error for each UI string a template uses that no catalogue defines."""
    defined = {key for table in strings.values() for key in table}
    return [
        Problem(path, line, f"UI string '{key}' is not defined in any catalogue",
                "add it to every content/_strings.<lang>.yaml")
        for key, places in sorted(used.items()) if key not in defined for path, line in places
    ]


# What `fact_rows(posting)` (facts.py: a posting's facts as rows, for templates) makes its rows of: these UI
# strings, and those named after a fact's value.
FACT_ROWS = "fact_rows"
FACT_ROW_KEYS = frozenset({"fact_contract", "contract_schedule", "fact_duration", "fact_hours", "hours_per_week",
                           "fact_start", "fact_end", "fact_location", "fact_remote", "fact_pay", "fact_education",
                           "fact_experience", "experience_none", "fact_apply_by", "fact_requirement",
                           "fact_reference"})
FACT_ROW_PREFIXES = frozenset({"contract_", "schedule_", "remote_", "pay_per_", "education_"})
CODE_KEYS = frozenset({"legal_notice", "legal_notice_slug", "legal_notice_description"})  # read by assemble.py


def unused_string_keys(
    env: jinja2.Environment, project: Project, strings: Mapping[str, Mapping[str, str]],
) -> list[str]:
    """Return the catalogue keys no template uses, directly or through a computed key's prefix."""
    used, prefixes = string_keys_in_templates(env, project)
    defined = {key for table in strings.values() for key in table}
    return sorted(k for k in defined
                  if k not in used and k not in CODE_KEYS and not any(k.startswith(p) for p in prefixes))
