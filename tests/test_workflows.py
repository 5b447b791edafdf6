"""The CI workflows and host settings that ship with the project: linted, and their build commands run as written."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, copy_project

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PAGES_URL = "https://owner.github.io/careers-site"


def actionlint() -> str:
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    assert found, "actionlint is installed with the test extra (pip install -e '.[test]')"
    return found


def test_workflows_pass_actionlint() -> None:
    assert WORKFLOWS
    done = subprocess.run([actionlint(), *map(str, WORKFLOWS)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_deploy_permissions_triggers_and_concurrency() -> None:
    deploy = yaml.safe_load((REPO / ".github/workflows/deploy.yml").read_text())
    triggers = deploy[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"push", "schedule", "workflow_dispatch"} and triggers["push"]["branches"] == ["main"]
    assert deploy["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert deploy["concurrency"]["cancel-in-progress"] is False
    uses = [step.get("uses", "") for job in deploy["jobs"].values() for step in job["steps"]]
    for action in ("actions/configure-pages@v5", "actions/upload-pages-artifact@v4", "actions/deploy-pages@v4"):
        assert action in uses
    pull = yaml.safe_load((REPO / ".github/workflows/pull-request.yml").read_text())
    keys = [step["with"]["key"] for job in pull["jobs"].values() for step in job["steps"]
            if step.get("uses", "").startswith("actions/cache")]
    assert keys and all(key.startswith("pull-request-") for key in keys)  # never a deploy- key


def checkout(dest: Path) -> Path:
    """Return a copy of what a clone holds that a build needs: the content and the generator."""
    root = copy_project(REPO, dest)
    shutil.copy(REPO / "build.py", root / "build.py")
    shutil.copytree(REPO / "sitegen", root / "sitegen", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def build_steps() -> list[tuple[str, str, dict[str, str]]]:
    """Return (workflow, command, env) for every run step that builds the site."""
    steps = []
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if "build.py build" in step.get("run", "") and "--project base" not in step["run"]:
                    env = {k: v.replace("${{ steps.pages.outputs.base_url }}", PAGES_URL)
                           for k, v in step.get("env", {}).items()}
                    steps.append((path.name, step["run"], env))
    return steps


@pytest.mark.parametrize(("workflow", "command", "env"), build_steps())
def test_workflow_build_commands_run_as_written(workflow: str, command: str, env: dict[str, str],
                                                tmp_path: Path) -> None:
    root = checkout(tmp_path / "checkout")
    script = command.replace(".venv/bin/python", shlex.quote(sys.executable))
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=root, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)
    assert done.returncode == 0, (workflow, done.stdout, done.stderr, (root / "new-problems.txt").read_text()
                                  if (root / "new-problems.txt").exists() else "")
    out = root / ("preview" if "--preview" in command else "_site")
    assert (out / "index.html").is_file() and (out / "_headers").is_file()
    robots = (out / "robots.txt").read_text()
    if "--preview" in command:
        assert robots == "User-agent: *\nDisallow: /\n"
    else:
        assert f"Sitemap: {PAGES_URL}/sitemap.xml" in robots and (out / "jobs.json").is_file()


@pytest.mark.parametrize("context", ["production", "deploy-preview", "branch-deploy"])
def test_netlify_contexts_build_as_written(context: str, tmp_path: Path) -> None:
    settings = tomllib.loads((REPO / "netlify.toml").read_text())
    command = settings["context"][context]["command"]
    install, build = command.split(" && ", 1)
    assert install == "python3 -m pip install -e ."
    root = checkout(tmp_path / "checkout")
    env = {**os.environ, "URL": "https://careers-site.netlify.app",
           "DEPLOY_PRIME_URL": "https://deploy-preview-7--careers-site.netlify.app"}
    done = subprocess.run(["bash", "-c", build.replace("python3", shlex.quote(sys.executable), 1)], cwd=root,
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    out = root / settings["build"]["publish"]
    preview = context != "production"
    assert ((out / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n") is preview
    assert (out / "jobs-indeed.xml").exists() is not preview
