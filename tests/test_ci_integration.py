"""Where CI meets the repository: `support-scope init`, the pre-commit hooks, the GitHub Action.

Each runs for real, in scratch repositories: init then git commit, check, test and pre-commit;
`pre-commit try-repo` against this checkout's .pre-commit-hooks.yaml; the action's script with
the environment GitHub gives a step (GITHUB_WORKSPACE, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT...).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from builders import REPO

SCRIPT = REPO / "tools" / "ci" / "github-action.sh"
BIN = Path(sys.executable).parent


def _support_scope() -> str:
    script = BIN / "support-scope"
    if not script.exists():
        pytest.skip(f"no support-scope console script beside {sys.executable} (install the package)")
    return str(script)


def _env(**extra: str) -> dict[str, str]:
    """The environment with this interpreter's scripts first on the PATH, git able to commit."""
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    env.update(extra)
    return env


def _run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(args, cwd=cwd, env=env or _env(), capture_output=True, text=True, check=False)
    if check:
        assert completed.returncode == 0, (
            f"{' '.join(args)} exited {completed.returncode}:\n{completed.stdout}\n{completed.stderr}"
        )
    return completed


def _git_repo(path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _run(["git", "init", "-q", "-b", "main"], path)
    _run(["git", "add", "-A"], path)
    _run(["git", "commit", "-qm", "first"], path)


@pytest.fixture
def initialised(tmp_path: Path) -> Path:
    """A repository laid out by `support-scope init`, committed."""
    _support_scope()
    root = tmp_path / "growth-suite-scope"
    _run(
        [
            _support_scope(),
            "init",
            str(root),
            "--product",
            "act-growth-suite",
            "--date",
            "2026-12-01",
            "--action",
            "my-org/support-scope@v0.1.0",
        ],
        tmp_path,
    )
    _git_repo(root)
    return root


# --------------------------------------------------------------------------- init


def test_init_lays_out_a_repository_whose_checks_pass(initialised: Path) -> None:
    files = sorted(
        str(p.relative_to(initialised))
        for p in initialised.rglob("*")
        if p.is_file() and ".git" not in p.parts
    )
    assert files == [
        ".github/workflows/support-scope.yml",
        ".gitignore",
        ".pre-commit-config.yaml",
        "CHANGELOG.md",
        "README.md",
        "policies/growth-suite-scope.json",
        "releases/growth-suite-scope/1.0.0.json",
        "tests/decisions/growth-suite-scope.json",
    ]
    check = _run([_support_scope(), "check"], initialised)
    assert check.stdout.splitlines()[-1] == "ok: 1 policy, 1 release verified, 4 decision tests passed"
    test = _run([_support_scope(), "test", "--min-coverage", "100"], initialised)
    assert "4 passed, 0 failed, 0 errors" in test.stdout
    assert "## [policy growth-suite-scope 1.0.0] - 2026-12-01" in (initialised / "CHANGELOG.md").read_text(
        encoding="utf-8"
    )
    workflow = (initialised / ".github" / "workflows" / "support-scope.yml").read_text(encoding="utf-8")
    assert "uses: my-org/support-scope@v0.1.0" in workflow
    policy = json.loads((initialised / "policies" / "growth-suite-scope.json").read_text(encoding="utf-8"))
    assert [p["id"] for p in policy["products"]] == ["act-growth-suite"]


def test_init_then_a_change_is_held_to_its_tests_and_version(initialised: Path) -> None:
    path = initialised / "policies" / "growth-suite-scope.json"
    policy = json.loads(path.read_text(encoding="utf-8"))
    policy["categories"][0]["items"][1]["tier"] = "extended"  # installation help: now extended only
    path.write_text(json.dumps(policy, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    check = _run([_support_scope(), "check", "--format", "github"], initialised, check=False)
    assert check.returncode == 1
    lines = check.stdout.splitlines()
    assert any(
        line.startswith("::error file=policies/growth-suite-scope.json,") and "version-not-bumped" in line
        for line in lines
    )
    assert any(
        line.startswith("::error file=tests/decisions/growth-suite-scope.json,")
        and "case 'installation-standard': expected outcome 'included', got 'upgrade'" in line
        for line in lines
    )


def test_init_refuses_a_directory_in_use(run_cli: Any, tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine", encoding="utf-8")
    result = run_cli("init", str(tmp_path / "used"))
    assert result.exit_code == 1 and "not empty" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["used"]  # nothing half laid out beside it
    bad = run_cli("init", str(tmp_path / "Not A Slug"))
    assert bad.exit_code == 1 and "is not a valid policy id" in bad.output
    assert not (tmp_path / "Not A Slug").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("init", str(empty), "--id", "empty-scope").exit_code == 0
    assert (empty / "policies" / "empty-scope.json").is_file()


# --------------------------------------------------------------------------- pre-commit


def _pre_commit() -> str:
    found = shutil.which("pre-commit", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.skip("pre-commit is not installed (it is in the dev extra: pip install '.[dev]')")
    return found


def test_pre_commit_runs_the_init_hooks(initialised: Path, tmp_path: Path) -> None:
    env = _env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    result = _run([_pre_commit(), "run", "--all-files"], initialised, env)
    assert "support-scope validate" in result.stdout and "support-scope check" in result.stdout
    policy = initialised / "policies" / "growth-suite-scope.json"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace('"tier": "self-service"', '"tier": "gold"', 1),
        encoding="utf-8",
    )
    failed = _run([_pre_commit(), "run", "--all-files"], initialised, env, check=False)
    assert failed.returncode == 1
    assert "policies/growth-suite-scope.json:" in failed.stdout and "unknown tier 'gold'" in failed.stdout


def _hooks_repo(tmp_path: Path, language: str) -> Path:
    """This checkout's .pre-commit-hooks.yaml in a repository of its own, with ``language`` set."""
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    for hook in hooks:
        hook["language"] = language
    repo = tmp_path / "hooks"
    repo.mkdir()
    (repo / ".pre-commit-hooks.yaml").write_text(yaml.safe_dump(hooks), encoding="utf-8")
    _git_repo(repo)
    return repo


def test_the_published_hooks_with_the_installed_support_scope(initialised: Path, tmp_path: Path) -> None:
    """The hooks' ids, entries, file patterns and pass_filenames, as `try-repo` runs them, with the
    support-scope already installed (language: system): no network needed."""
    env = _env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    repo = _hooks_repo(tmp_path, "system")
    result = _run([_pre_commit(), "try-repo", str(repo), "--all-files"], initialised, env)
    assert "support-scope validate" in result.stdout and "Passed" in result.stdout
    changelog = initialised / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text(encoding="utf-8").replace("## [policy", "## [old"), encoding="utf-8"
    )
    failed = _run(
        [_pre_commit(), "try-repo", str(repo), "support-scope-check", "--all-files"],
        initialised,
        env,
        check=False,
    )
    assert failed.returncode == 1 and "no section for growth-suite-scope 1.0.0" in failed.stdout


def test_the_published_hooks_as_pre_commit_installs_them(initialised: Path, tmp_path: Path) -> None:
    """`pre-commit try-repo` on this checkout, as published (language: python): pre-commit installs
    support-scope from the checkout into its own environment (from the package index)."""
    if not (REPO / ".git").exists():
        pytest.skip("this checkout is not a git repository: try-repo needs one")
    env = _env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    result = _run([_pre_commit(), "try-repo", str(REPO), "--all-files"], initialised, env, check=False)
    output = result.stdout + result.stderr
    if (
        result.returncode != 0
        and "Installing environment" in output
        and "support-scope validate" not in output
    ):
        reason = next((line for line in reversed(output.splitlines()) if line.strip()), "unknown")
        pytest.skip(
            f"pre-commit could not install support-scope's environment (no package index?): {reason[:200]}"
        )
    assert result.returncode == 0, output
    assert "support-scope validate" in output and "support-scope check" in output


# --------------------------------------------------------------------------- the GitHub Action


def test_action_yml_runs_the_script_with_its_inputs() -> None:
    import yaml

    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    run = next(step for step in steps if "run" in step)
    assert run["shell"] == "bash"
    assert "tools/ci/github-action.sh" in run["run"] and "$GITHUB_ACTION_PATH" in run["run"]
    script = SCRIPT.read_text(encoding="utf-8")
    for name in action["inputs"]:
        variable = "INPUT_" + name.upper().replace("-", "_")
        if name != "python-version":
            assert run["env"][variable] == "${{ inputs." + name + " }}"
            assert variable in script
    for name, output in action["outputs"].items():
        assert output["value"] == "${{ steps.run.outputs." + name + " }}"
        assert f'"{name}=' in script
    assert os.access(SCRIPT, os.X_OK)


def _action(
    workspace: Path, tmp_path: Path, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], str, dict[str, str]]:
    summary, outputs = tmp_path / "summary.md", tmp_path / "output.txt"
    given = {
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(REPO),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_ACTIONS": "true",
        "PYTHON": sys.executable,
        "INPUT_ROOT": ".",
        "INPUT_INSTALL": "false",
        "INPUT_MIN_COVERAGE": "",
    }
    env = _env(**{**given, **inputs})
    env.pop("GITHUB_BASE_REF", None)
    result = _run(["bash", str(SCRIPT)], workspace, env, check=False)
    written = (
        dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines())
        if outputs.exists()
        else {}
    )
    return result, summary.read_text(encoding="utf-8") if summary.exists() else "", written


def test_the_action_passes_on_a_new_repository(initialised: Path, tmp_path: Path) -> None:
    _support_scope()
    result, summary, outputs = _action(initialised, tmp_path, INPUT_MIN_COVERAGE="80")
    assert result.returncode == 0, result.stdout + result.stderr
    assert outputs == {"check": "pass", "decision-tests": "pass", "required-bump": "none"}
    assert "- check: **pass**" in summary
    assert "No changes: the two versions are the same policy." in summary
    assert not [line for line in result.stdout.splitlines() if line.startswith("::error")]


def test_the_action_annotates_a_breaking_change_and_fails(initialised: Path, tmp_path: Path) -> None:
    _support_scope()
    path = initialised / "policies" / "growth-suite-scope.json"
    text = path.read_text(encoding="utf-8")
    policy = json.loads(text)
    policy["categories"][0]["items"][1]["tier"] = "extended"
    path.write_text(json.dumps(policy, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    new_text = path.read_text(encoding="utf-8")
    index = new_text.index('"extended"', new_text.index('"getting-started-installation"'))
    line = new_text.count("\n", 0, index) + 1
    result, summary, outputs = _action(initialised, tmp_path)
    assert result.returncode == 1
    assert outputs == {"check": "fail", "decision-tests": "fail", "required-bump": "major"}
    annotations = [entry for entry in result.stdout.splitlines() if entry.startswith("::")]
    assert any(
        entry.startswith(f"::error file=policies/growth-suite-scope.json,line={line},")
        and "title=item-tier-raised" in entry
        for entry in annotations
    ), annotations
    assert "### Breaking: some customers lose coverage (1)" in summary
    assert "`item-tier-raised`" in summary


def test_the_action_installs_from_its_checkout(initialised: Path, tmp_path: Path) -> None:
    """With install: true the script asks the interpreter's pip for the action's checkout."""
    _support_scope()
    fake = tmp_path / "fake-python"
    log = tmp_path / "pip.log"
    fake.write_text(
        f'#!/bin/sh\nif [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "$@" >> {log}; exit 0; fi\nexec {sys.executable} "$@"\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    result, _, outputs = _action(initialised, tmp_path, INPUT_INSTALL="true", PYTHON=str(fake))
    assert result.returncode == 0, result.stdout + result.stderr
    assert log.read_text(encoding="utf-8").split() == ["-m", "pip", "install", "--quiet", str(REPO)]
    assert outputs["check"] == "pass"
