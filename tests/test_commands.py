"""Commands for editors: check, new posting, new person; exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from build import main
from tests.conftest import MakeProject


def run(root: Path, *args: str) -> int:
    return main(["--project", str(root), *args])


def test_check_validates_without_writing(make_project: MakeProject, capsys) -> None:
    root = make_project()
    assert run(root, "check") == 0
    assert capsys.readouterr().out.startswith("checked 8 pages (en 3, fr 3) in ")
    assert not (root / "dist").exists()
    (root / "content/pages/team.en.md").write_text("---\ntitle: Team\n---\n")
    assert run(root, "check") == 1
    err = capsys.readouterr().err
    assert "content/pages/team.en.md:2:1: missing required field 'description'" in err
    assert not (root / "dist").exists()


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
    capsys.readouterr()
    assert run(root, "check") == 1
    err = capsys.readouterr().err
    assert "content/jobs/design-intern.yaml:8:13: placeholder left in 'location.locality'" in err
    assert "content/jobs/design-intern.en.md:2:8: placeholder left in 'title'" in err
    assert "content/jobs/design-intern.fr.md:8:1: placeholder left in the text" in err
    assert "has no text" not in err
    assert run(root, "build") == 1
    assert not (root / "dist").exists()


def test_new_never_overwrites(make_project: MakeProject, capsys) -> None:
    root = make_project()
    before = (root / "content/jobs/data-intern.en.md").read_text()
    assert run(root, "new", "posting", "data-intern") == 1
    assert "content/jobs/data-intern.yaml: already exists" in capsys.readouterr().err
    assert (root / "content/jobs/data-intern.en.md").read_text() == before


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
    assert "content/people/ana-maria.fr.md:4:1: placeholder left in the text" in err


@pytest.mark.parametrize("argv", [["publish"], ["new", "job", "x"], ["build", "--nope"], []])
def test_usage_errors_exit_2(argv: list[str], make_project: MakeProject) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
