"""`build.py diff`: what a change does to the built site, for a pull request's summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from build import main
from tests.conftest import MakeProject, write_files

DESIGN = {
    "content/jobs/design-intern.yaml": "date_posted: 2026-03-20\ncontract: internship\nemployment_type: [INTERN]\n"
                                       "location: {locality: Lyon, country: FR}\n"
                                       "apply_url: mailto:jobs@tiny.example.org\n",
    "content/jobs/design-intern.en.md": "---\ntitle: Design Intern\ndescription: Draw things.\n---\nDraw.\n",
    "content/jobs/design-intern.fr.md": "---\ntitle: Stagiaire design\ndescription: Dessiner.\nslug: stagiaire-design\n"
                                        "---\nDessiner.\n",
}


def test_diff_of_a_posting_added_one_closed_and_a_text_changed(make_project: MakeProject, tmp_path: Path,
                                                               capsys) -> None:
    root = make_project()
    old, new = tmp_path / "old", tmp_path / "new"
    assert main(["--project", str(root), "build", "--today", "2026-03-30", "--out", str(old)]) == 0
    old_err = capsys.readouterr().err
    write_files(root, {**DESIGN, "content/pages/team.en.md": "---\ntitle: Team\ndescription: Our team.\n"
                                                             "layout: team\n---\nWho we are now.\n"})
    later = (dt.date(2026, 3, 30) + dt.timedelta(days=2)).isoformat()  # the data internship has closed
    assert main(["--project", str(root), "build", "--today", later, "--out", str(new)]) == 0
    (tmp_path / "old.txt").write_text(old_err)
    (tmp_path / "new.txt").write_text(capsys.readouterr().err)
    assert main(["diff", str(old), str(new), "--old-problems", str(tmp_path / "old.txt"),
                 "--new-problems", str(tmp_path / "new.txt")]) == 0
    summary = capsys.readouterr().out
    assert "| en | 1 | 0 | 3 |" in summary and "| fr | 1 | 0 | 2 |" in summary, summary
    assert "**Pages added:** `/en/jobs/design-intern/`, `/fr/offres/stagiaire-design/`" in summary
    assert "`/en/team/`" in summary.split("**Pages changed:**")[1]
    assert "**Postings opened:** Design Intern (`/en/jobs/design-intern/`); Stagiaire design" in summary
    assert "**Postings closed or removed:** Data Intern (`/en/jobs/data-intern/`); Stagiaire data" in summary
    assert "**New warnings:**" in summary and "content/pages/team.fr.md: warning: translation is out of date" in summary


def test_diff_of_identical_builds_and_bad_folders(make_project: MakeProject, tmp_path: Path, capsys) -> None:
    root = make_project()
    for name in ("a", "b"):
        assert main(["--project", str(root), "build", "--out", str(tmp_path / name)]) == 0
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "No page changes." in out and "No posting opened or closed." in out
    assert main(["diff", str(tmp_path / "a"), str(tmp_path / "missing")]) == 2
