"""Commands for editors: check, new posting, new person; exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from build import main
from tests.conftest import MakeProject


def run(root: Path, *args: str) -> int:
    return main(["--project", str(root), *args])


def test_check_validates_without_writing(make_project: MakeProject, capsys) -> None:
    root = make_project()
    assert run(root, "check") == 0
    assert capsys.readouterr().out.startswith("checked 10 pages (en 4, fr 4) in ")
    assert not (root / "dist").exists()
    (root / "content/pages/team.en.md").write_text("---\ntitle: Team\n---\n")
    assert run(root, "check") == 1
    err = capsys.readouterr().err
    assert "content/pages/team.en.md:2:1: missing required field 'description'" in err
    assert not (root / "dist").exists()


def test_check_reports_the_same_on_one_process_or_several(make_project: MakeProject, capsys) -> None:
    """With workers (the templates compiled in one from the start), `check` prints what it prints on one
    process."""
    root = make_project({"content/pages/team.fr.md": None,  # a warning
                         "templates/legal.html": "{% if %}\n"})  # and an error
    printed = []
    for jobs in ("1", "2"):
        assert run(root, "check", "--jobs", jobs) == 1
        out, err = capsys.readouterr()
        printed.append((out, err))
    assert printed[0] == printed[1]
    assert "templates/legal.html:1: template syntax error" in printed[1][1]


def test_check_strict_fails_on_warnings(make_project: MakeProject, capsys) -> None:
    root = make_project({"content/pages/team.fr.md": None})
    assert run(root, "check") == 0
    assert "1 warning" in capsys.readouterr().out
    assert run(root, "check", "--strict") == 1


def test_new_posting_is_unpublishable_until_filled_in(make_project: MakeProject, capsys, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")  # 2027-01-01
    root = make_project()
    assert run(root, "new", "posting", "design-intern") == 0
    created = sorted(p.relative_to(root).as_posix() for p in (root / "content/jobs").glob("design-intern*"))
    assert created == ["content/jobs/design-intern.en.md", "content/jobs/design-intern.fr.md",
                       "content/jobs/design-intern.yaml"]
    facts = (root / "content/jobs/design-intern.yaml").read_text()
    assert facts.startswith("# yaml-language-server: $schema=../../sitegen/schemas/posting.schema.json\n")
    assert "date_posted: 2027-01-01" in facts
    for commented in ("# valid_through: ", "# pay: {min: 1400, max: 1600", "# start: {from: 2027-02, to: 2027-03}"):
        assert commented in facts
    assert "\nidentifier:" not in facts  # only a reference the company really uses
    french = (root / "content/jobs/design-intern.fr.md").read_text()
    assert "\nslug: todo-translated-slug" in french and "# requirement:" in french
    capsys.readouterr()
    assert run(root, "check") == 1
    err = capsys.readouterr().err
    assert "content/jobs/design-intern.yaml:7:13: placeholder left in 'location.locality'" in err
    assert "content/jobs/design-intern.en.md:2:8: placeholder left in 'title'" in err
    assert "content/jobs/design-intern.fr.md:5:7: placeholder left in 'slug'" in err  # never the English slug
    assert "content/jobs/design-intern.fr.md:9:1: placeholder left in the text" in err
    assert "has no text" not in err
    assert run(root, "build") == 1
    assert not (root / "dist").exists()


def test_new_never_overwrites(make_project: MakeProject, capsys) -> None:
    root = make_project()
    before = (root / "content/jobs/data-intern.en.md").read_text()
    assert run(root, "new", "posting", "data-intern") == 1
    assert "content/jobs/data-intern.yaml: already exists, in every language" in capsys.readouterr().err
    assert (root / "content/jobs/data-intern.en.md").read_text() == before


def test_new_creates_only_the_missing_files_of_an_existing_item(make_project: MakeProject, capsys) -> None:
    root = make_project({"content/jobs/data-intern.fr.md": None})
    before = {p: (root / p).read_text() for p in ("content/jobs/data-intern.yaml", "content/jobs/data-intern.en.md")}
    assert run(root, "new", "posting", "data-intern") == 0
    out = capsys.readouterr().out
    assert "kept content/jobs/data-intern.yaml (it exists)" in out and "created content/jobs/data-intern.fr.md" in out
    assert {p: (root / p).read_text() for p in before} == before
    assert (root / "content/jobs/data-intern.fr.md").read_text().startswith('---\ntitle: "TODO')


def test_new_posting_needs_a_slug(make_project: MakeProject, capsys) -> None:
    root = make_project()
    assert run(root, "new", "posting", "Stage Été") == 2
    assert "use 'stage-ete'" in capsys.readouterr().err
    assert not list((root / "content/jobs").glob("*ete*"))


def test_new_person(make_project: MakeProject, capsys) -> None:
    root = make_project()
    assert run(root, "new", "person", "Ana María") == 0
    assert (root / "content/people/ana-maria.yaml").read_text().splitlines()[1] == 'name: "Ana María"'
    capsys.readouterr()
    assert run(root, "check") == 1
    err = capsys.readouterr().err
    assert "content/people/ana-maria.en.md:2:7: placeholder left in 'role'" in err
    assert "content/people/ana-maria.fr.md:5:1: placeholder left in the text" in err
    assert "# photo_alt:" in (root / "content/people/ana-maria.fr.md").read_text()


@pytest.mark.parametrize("argv", [["publish"], ["new", "job", "x"], ["build", "--nope"], []])
def test_usage_errors_exit_2(argv: list[str], make_project: MakeProject) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2


def test_repeated_notices_are_one_line_per_kind(make_project: MakeProject, capsys) -> None:
    from sitegen.model import Problem
    from sitegen.problemlines import problem_lines

    notices = [Problem(f"content/jobs/p{n}.yaml", 3, "no 'education': why", "add it", 1, "notice") for n in range(3)]
    problems = [*notices, Problem("content/a.yaml", 1, "bad", "fix", 1), Problem("b.md", None, "stale", "", None,
                                                                                 "warning")]
    assert problem_lines(problems) == [
        "content/a.yaml:1:1: bad (fix)", "b.md: warning: stale",
        "notice: 3 files: no 'education': why (add it); run with --verbose to list them"]
    assert problem_lines(problems, verbose=True)[2:] == [str(n) for n in notices]


def test_the_summary_counts_warnings_and_notices_apart(real_project, capsys) -> None:
    assert main(["--project", str(real_project), "check", "--today", "2026-01-15"]) == 0
    assert re.search(r"checked 14 pages \(en 6, fr 6\) in \d+\.\d\d s: no errors, 5 notices\n$",
                     capsys.readouterr().out)


def test_profile_prints_the_time_of_each_stage(real_project, tmp_path, capsys) -> None:
    argv = ["--project", str(real_project), "build", "--out", str(tmp_path / "o"), "--profile", "--jobs", "1"]
    assert main(argv) == 0
    line = next(x for x in capsys.readouterr().err.splitlines() if x.startswith("profile:"))
    assert re.fullmatch(r"profile: read \S+ s, parse \S+ s, assemble \S+ s, check \S+ s, render \S+ s, "
                        r"write \S+ s \(1 worker\)", line)


def test_the_error_page_shows_errors_first_with_their_line(tmp_path) -> None:
    from bs4 import BeautifulSoup

    from sitegen.model import Problem
    from sitegen.serve import error_page, source_lines

    (tmp_path / "content").mkdir()
    (tmp_path / "content/x.yaml").write_text("a: 1\nb: [2\n")
    problems = [Problem("content/n.yaml", 1, "advice", "", 1, "notice"),
                Problem("content/x.yaml", 2, "'[' is never closed", "close it", 4)]
    page = BeautifulSoup(error_page(problems, source_lines(tmp_path, problems)), "html.parser")
    first = page.find("main").find("ol").find("li")
    assert "never closed" in first.get_text() and first.find("pre").get_text() == "b: [2"
    assert page.find("details").find("summary").get_text() == "Warnings and notices (1)"


def test_progress_bars_show_each_stage(capsys) -> None:
    import io

    from sitegen.cli import ProgressBars

    stream = io.StringIO()
    bars = ProgressBars(stream, delay=0)
    for done in (40, 80, 100):
        bars.update("render", done, 100)
    assert bars.bars["render"].n == 100 and bars.bars["render"].total == 100
    bars.close()
    assert stream.getvalue().startswith("\rrender:")


def test_no_progress_is_shown_when_stderr_is_not_a_terminal(real_project, tmp_path, capsys) -> None:
    assert main(["--project", str(real_project), "build", "--out", str(tmp_path / "o")]) == 0
    assert "render" not in capsys.readouterr().err
