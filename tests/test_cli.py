"""The command line: exit codes, the summary line, located errors, no traceback."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from build import main
from tests.conftest import REPO


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def test_build_py_only_runs_the_command_line_whose_compiled_code_python_keeps() -> None:
    """Python keeps the compiled code of the modules it imports, never of the script it runs: the command
    line's code is in `sitegen.cli`, and `build.py` only runs it (its 600 lines, compiled again on every
    command, were 8 ms of each)."""
    tree = ast.parse((REPO / "build.py").read_text("utf-8"))
    made = {type(node).__name__ for node in ast.walk(tree)} & {"FunctionDef", "AsyncFunctionDef", "ClassDef", "Lambda"}
    assert not made
    assert [node.module for node in tree.body if isinstance(node, ast.ImportFrom)] == ["sitegen.cli"]
    assert not [node for node in tree.body if isinstance(node, ast.Import)]
    assert len(tree.body) <= 4  # the docstring, the import, `__all__` and the `__main__` guard
    done = run_cli("--help", cwd=REPO)
    assert done.returncode == 0 and done.stdout.startswith("usage: build.py")


def test_build_exits_0_and_prints_the_summary(real_project: Path) -> None:
    done = run_cli("build", cwd=real_project)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"built 14 pages \(en 6, fr 6\) in \d+\.\d\d s, 5 notices -> dist/\n", done.stdout)
    assert (real_project / "dist/en/index.html").is_file()


def test_the_output_reaches_a_pipe_when_python_buffers_it(real_project: Path) -> None:
    """The command line exits without the interpreter's teardown, after flushing what it printed."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    for args, code in ((["translations"], 0), (["build"], 0), (["build"], 1)):
        if code:
            facts = real_project / "content/jobs/backend-intern.yaml"
            facts.write_text(facts.read_text("utf-8") + "\nbroken: [\n", "utf-8")
        done = subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=real_project, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == code, done.stderr
        assert done.stdout.strip() if code == 0 else "nothing was written" in done.stderr, args


def test_broken_yaml_exits_1_with_path_and_line(real_project: Path) -> None:
    run_cli("build", cwd=real_project)
    before = (real_project / "dist/en/index.html").read_bytes()
    facts = real_project / "content/jobs/backend-intern.yaml"
    facts.write_text(facts.read_text().replace("duration_months: 6", "duration_months: [6"))
    done = run_cli("build", cwd=real_project)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert re.match(r"content/jobs/backend-intern\.yaml:\d+:\d+: YAML syntax error: ", first), first
    assert "nothing was written" in done.stderr
    assert (real_project / "dist/en/index.html").read_bytes() == before


def test_all_problems_are_reported_at_once_sorted(real_project: Path, capsys) -> None:
    (real_project / "content/pages/team.fr.md").unlink()
    page = real_project / "content/pages/mission.en.md"
    page.write_text(page.read_text().replace("title:", "titel:"))
    code = main(["--project", str(real_project), "build"])
    err = [line for line in capsys.readouterr().err.splitlines() if ": notice: " not in line]
    assert code == 1
    assert err[:3] == [
        "content/pages/mission.en.md:2:1: missing required field 'title' (add 'title: …' to this file)",
        "content/pages/mission.en.md:2:1: unknown field 'titel' (did you mean 'title'?)",
        "content/pages/team.fr.md: warning: missing translation (translate content/pages/team.en.md into this file)",
    ]


def test_out_and_base_url_options(real_project: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "site"
    code = main(["--project", str(real_project), "build", "--out", str(out),
                 "--base-url", "https://jobs.example.net/careers"])
    assert code == 0
    assert capsys.readouterr().out.endswith(f"-> {out}/\n")
    html = (out / "en/index.html").read_text()
    assert 'href="/careers/fr/"' in html
    assert '<link rel="canonical" href="https://jobs.example.net/careers/en/">' in html


def test_usage_error_exits_2(real_project: Path) -> None:
    assert run_cli("publish", cwd=real_project).returncode == 2


def test_refuses_an_output_folder_that_holds_the_project(real_project: Path, capsys) -> None:
    code = main(["--project", str(real_project), "build", "--out", str(real_project)])
    assert code == 1
    assert "unsafe output folder" in capsys.readouterr().err
    assert (real_project / "content/_site.yaml").is_file()


def test_an_internal_error_says_it_is_a_bug(real_project: Path, capsys, monkeypatch) -> None:
    import sitegen.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sitegen.pipeline, "build", broken)
    assert main(["--project", str(real_project), "build"]) == 3
    err = capsys.readouterr().err
    assert "RuntimeError: boom" in err
    assert "internal error: this is a bug in careers-site, not in your content" in err


def test_the_cycle_collector_is_off_while_the_command_starts_and_on_for_the_build(
        real_project: Path, tmp_path: Path) -> None:
    """A process of the command line starts with the cycle collector off (importing makes only long-lived
    objects), keeps it off while the build makes the site (what it receives and assembles lives until the
    end too), then sets all that aside (`gc.freeze`) and turns it on as the pages are to render, within the
    build (`pipeline._compiled`)."""
    script = (
        "import gc, os, runpy, sys\n"
        "calls, main = [], os.getpid()\n"
        "for name in ('disable', 'enable', 'freeze'):\n"
        "    def call(real=getattr(gc, name), name=name):\n"
        "        frame, callers = sys._getframe(1), []\n"
        "        while frame is not None:\n"
        "            callers.append(frame.f_code.co_name)\n"
        "            frame = frame.f_back\n"
        "        calls.append((name, 'sitegen.model' in sys.modules, 'sitegen.pipeline' in sys.modules,\n"
        "                      '_compiled' in callers))\n"
        "        return real()\n"
        "    setattr(gc, name, call)\n"
        "def leave(code, real=os._exit):\n"
        "    if os.getpid() == main:\n"
        "        print('calls', calls, gc.isenabled(), gc.get_freeze_count() > 0, code, file=sys.stderr, flush=True)\n"
        "    real(code)\n"
        "os._exit = leave\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        f"sys.argv = ['build.py', '--project', {str(real_project)!r}, 'build', '--out', {str(tmp_path / 'out')!r}]\n"
        f"runpy.run_path({str(REPO / 'build.py')!r}, run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    line = next(line for line in done.stderr.splitlines() if line.startswith("calls"))
    assert line == ("calls [('disable', False, False, False), ('freeze', True, True, True), "
                    "('enable', True, True, True)] True True 0")


def test_the_command_line_leaves_the_cycle_collector_of_a_process_it_did_not_start_as_it_is(
        real_project: Path, tmp_path: Path) -> None:
    import gc

    frozen = gc.get_freeze_count()  # (objects an earlier test froze, some of which may be freed meanwhile)
    assert main(["--project", str(real_project), "build", "--out", str(tmp_path / "out")]) == 0
    assert gc.isenabled() and gc.get_freeze_count() <= frozen  # nothing frozen


def test_the_parser_of_the_named_command_alone_reads_what_the_whole_parser_reads(capsys) -> None:
    """`main` builds only the arguments of the command it is given (`named_command`): for any command line, the
    same options, the same errors and the same help as the parser of every command."""
    import pytest

    from sitegen.cli import COMMAND_ARGUMENTS, make_parser, named_command

    lines = [["build"], ["--project", "site", "build", "--out", "x", "--jobs", "2", "--no-cache"],
             ["--project=site", "check", "--strict"], ["serve", "--port", "8001"], ["diff", "a", "b"],
             ["new", "person", "Ada"], ["translations", "--mark-synced", "a", "b"], ["notify-google", "site"]]
    for argv in lines:
        assert named_command(argv) == next(token for token in argv if token in COMMAND_ARGUMENTS)
        assert make_parser(named_command(argv)).parse_args(argv) == make_parser().parse_args(argv)
    for argv in (["--help"], ["buidl"], [], ["--project"], ["-x", "build"], ["build", "--help"], ["serve", "--nope"],
                 ["new", "thing", "x"], ["build", "extra"], ["check", "--jobs", "none"], ["diff", "a"],
                 ["--project", "p", "serve", "--port", "x"], ["translations", "--help"]):
        outputs = []
        for parser in (make_parser(named_command(argv)), make_parser()):
            with pytest.raises(SystemExit) as stopped:
                parser.parse_args(argv)
            outputs.append((stopped.value.code, capsys.readouterr()))
        assert outputs[0] == outputs[1] and outputs[0][0] in (0, 2)
    assert named_command(["--help"]) is None and named_command(["--project", "build", "check"]) == "check"


OPTIONS = ["--out", "--out=o", "--out=", "--jobs", "--jobs=2", "--strict", "--strict=1", "--today", "--port",
           "--port=8001", "--host", "--base-url", "--preview", "--verbose", "--profile", "--no-cache",
           "--mark-synced", "--ou", "--old-problems", "--project", "-h", "--help", "--", "-", "x", ""]
VALUES = ["x", "", "2", "0", "99", "-1", "2026-01-01", "2026-13-01", "https://jobs.example.org/", "ftp://x", "8000",
          "70000", "a=b", "-", "--strict", "posting"]
PAIRS = [("--out", "o"), ("--out=x", None), ("--jobs", "2"), ("--jobs", "99"), ("--strict", None),
         ("--today", "2026-01-01"), ("--today", "2026-13-01"), ("--port", "8001"), ("--port", "70000"),
         ("--host", "h"), ("--preview", None),
         ("--base-url", "https://jobs.example.org/"), ("--base-url", "ftp://x"), ("--verbose", None),
         ("--profile", None), ("--no-cache", None)]  # options as the usual command lines write them, or nearly
COMMAND_LINES = st.tuples(
    st.lists(st.sampled_from([["--project", "p"], ["--project=q"], ["--project"], ["--proj", "p"], ["-x"]]),
             max_size=2),
    st.sampled_from(["build", "check", "serve", "diff", "translations", "new", "buidl"]),
    st.lists(st.one_of(st.sampled_from(PAIRS), st.sampled_from(PAIRS),
                       st.tuples(st.sampled_from(OPTIONS), st.sampled_from([*VALUES, None]))), max_size=4),
).map(lambda parts: [*(word for prefix in parts[0] for word in prefix), parts[1],
                     *(word for option, value in parts[2] for word in (option, value) if word is not None)])


def _argparse_reads(argv: list[str]) -> dict[str, object] | None:
    """Return what the whole parser reads in `argv`, or None when it stops (an error, the help)."""
    import contextlib
    import io

    from sitegen.cli import make_parser

    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            return vars(make_parser().parse_args(argv))
        except SystemExit:
            return None


def test_plain_command_lines_are_read_without_argparse_as_argparse_reads_them() -> None:
    """`plain_arguments` reads the usual command lines itself, and gives up on anything else."""
    from sitegen.cli import plain_arguments

    usual = [["build"], ["--project", "site", "build", "--out", "x", "--jobs", "2", "--no-cache"],
             ["--project=site", "check", "--strict", "--today", "2026-03-01"], ["serve", "--port", "8001"],
             ["build", "--out=", "--base-url", "https://jobs.example.org/", "--preview", "--verbose", "--profile"],
             ["--project", "a", "--project", "b", "build", "--jobs", "1", "--jobs", "2"]]
    for argv in usual:
        plain = plain_arguments(argv)
        assert plain is not None, argv
        assert vars(plain) == _argparse_reads(argv)
    for argv in (["build", "--jobs", "99"], ["build", "--ou", "x"], ["build", "-h"], ["build", "--strict=1"],
                 ["build", "--out"], ["build", "--out", "-"], ["diff", "a", "b"], ["translations"], ["buidl"], [],
                 ["--project"], ["build", "--project", "x"], ["check", "--today", "2026-13-01"], ["serve", "x"]):
        assert plain_arguments(argv) is None, argv


@settings(max_examples=1500, deadline=None)
@given(COMMAND_LINES)
def test_a_command_line_read_without_argparse_is_read_as_argparse_reads_it(argv: list[str]) -> None:
    from sitegen.cli import plain_arguments

    plain = plain_arguments(argv)
    if plain is not None:
        assert vars(plain) == _argparse_reads(argv)
