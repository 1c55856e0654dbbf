"""Nothing lost: ``import-xlsx`` and ``release`` interrupted at each of their write points, run
at the same time as another, or against a file someone saves meanwhile (findings 1, 2, 3, 19, 20).

The write points are found, not guessed: a first run logs every call that changes the file
system (``os.replace``, ``os.rename``, ``os.link``, ``os.unlink``, ``os.mkdir``), then the command
runs again once per point in a child process that kills itself (``os._exit``, as SIGKILL would:
no ``finally``, no clean-up) just before, then just after, that call. After each kill the
project holds its files as before or as after the command, or the interrupted change is
reported by ``check`` and completed by running the command again; and once the command has run
again, nothing is left behind. Races are made deterministic the same way: the second run (or
the editor's save) happens from inside the first one's write point.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from attacks.hostile import (
    LATEST_VERSION,
    NEXT_VERSION,
    POLICY,
    POLICY_ID,
    RELEASE_2,
    Book,
    breaking_change,
    snapshot_files,
    temporaries,
)

DATE = "2026-12-01"
RELEASE_ARGS = ["release", "--bump", "major", "--date", DATE]
TEXT_A = "Consulter nos pages de la Base de Connaissances (relecteur A)"
TEXT_B = "La résolution des erreurs des boîtes de dialogue (relecteur B)"
COMMENT = "Ligne à revoir avec le juriste (relecteur A)"
WRITE_CALLS = ("replace", "rename", "link", "unlink", "mkdir")

# The child: the command line, with every write call counted, logged, and the N-th one fatal.
HARNESS = r"""
import errno, json, os, sys
mode, _, n = os.environ["FAULT"].partition(":")
n = int(n or 0)
log = os.environ.get("FAULT_LOG")
count = [0]

def point(name, real):
    def call(*args, **kwargs):
        count[0] += 1
        if log:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(json.dumps([count[0], name, [str(a) for a in args[:2]]]) + "\n")
        if count[0] == n and mode == "kill-before":
            os._exit(137)
        if count[0] == n and mode == "enospc":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        try:
            return real(*args, **kwargs)
        finally:  # even when the call failed (mkdir of a directory that exists)
            if count[0] == n and mode == "kill-after":
                os._exit(137)
    return call

for name in %r:
    setattr(os, name, point(name, getattr(os, name)))

from support_scope.cli.main import main
sys.exit(main(sys.argv[1:]))
""".replace("%r", repr(WRITE_CALLS))


def run_child(
    project: Path, argv: list[str], fault: str, log: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAULT": fault}
    if log is not None:
        env["FAULT_LOG"] = str(log)
    return subprocess.run(
        [sys.executable, "-c", HARNESS, *argv],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def files(project: Path) -> dict[str, bytes]:
    """The project's files, temporaries and the interrupted-change journal aside."""
    return {
        name: data
        for name, data in snapshot_files(project).items()
        if not name.rsplit("/", 1)[-1].endswith(".tmp") and name != ".support-scope-transaction.json"
    }


def pending(project: Path) -> bool:
    return (project / ".support-scope-transaction.json").exists()


def _points(log: Path) -> list[tuple[int, str, list[str]]]:
    return [tuple(json.loads(line)) for line in log.read_text(encoding="utf-8").splitlines()]  # type: ignore[misc]


def _interrupt_everywhere(
    tmp_path: Path,
    prepare: Callable[[Path], list[str]],
    run_cli: Any,
    label: str,
) -> list[str]:
    """Run the command prepared in a fresh project, killed before and after each write point;
    check each outcome as the module's description says. The outcomes, for the record."""
    reference = tmp_path / "reference"
    argv = prepare(reference)
    before = files(reference / "project")
    log = tmp_path / "points.log"
    done = run_child(reference / "project", argv, "count", log)
    assert done.returncode == 0, done.stdout + done.stderr
    after = files(reference / "project")
    assert after != before
    points = _points(log)
    assert points, "no write point found"
    outcomes = []
    for number, name, _ in points:
        for mode in ("kill-before", "kill-after"):
            scratch = tmp_path / f"{mode}-{number}"
            argv = prepare(scratch)
            project = scratch / "project"
            killed = run_child(project, argv, f"{mode}:{number}")
            assert killed.returncode == 137, (
                f"{label} {mode} {number} ({name}): {killed.stdout}{killed.stderr}"
            )
            state = files(project)
            where = f"{label} killed {mode.split('-')[1]} write {number} ({name})"
            if state == before and not pending(project):
                outcome = "as before"
            elif state == after and not pending(project):
                outcome = "as after"
            else:
                assert pending(project), f"{where}: neither before nor after, and nothing says so"
                outcome = "interrupted, reported"
            left = temporaries(project)
            os.chdir(project)
            check = run_cli("check")
            if outcome == "interrupted, reported":
                assert check.exit_code == 1 and "was interrupted" in check.output, f"{where}: {check.output}"
            for name_left in left:
                assert name_left in check.output, f"{where}: {name_left} left and not reported"
            if outcome != "as after":
                again = run_cli(*argv)
                assert again.exit_code == 0, f"{where}: run again: {again.output}"
                if outcome == "interrupted, reported":
                    assert "completed" in again.output
                    if (
                        files(project) != after
                    ):  # completing it was the rerun's work; once more is the command's
                        assert run_cli(*argv).exit_code == 0
            assert files(project) == after, f"{where}: after running it again, the project is not as after"
            assert not pending(project) and temporaries(project) == [], (
                f"{where}: left behind {temporaries(project)}"
            )
            outcomes.append(f"{mode.split('-')[1]} {number} {name}: {outcome}")
    return outcomes


def test_release_interrupted_at_each_write_point(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2, 20: release killed before and after every write: as before, as after, or reported by
    `check` and completed by the next `release`; nothing left behind once it ran again."""
    from attacks.hostile import make_project

    monkeypatch.chdir(tmp_path)

    def prepare(directory: Path) -> list[str]:
        breaking_change(make_project(directory))
        return RELEASE_ARGS

    outcomes = _interrupt_everywhere(tmp_path, prepare, run_cli, "release")
    print("\n".join(outcomes))
    assert any("as before" in o for o in outcomes) and any("interrupted" in o for o in outcomes), outcomes


def test_import_interrupted_at_each_write_point(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1, 20: import-xlsx killed before and after every write: the policy and its review log
    both as before, both as after, or the interrupted change reported by `check` and completed
    by the next import; the temporary a kill leaves is reported, then removed by the next import."""
    from attacks.hostile import make_project

    monkeypatch.chdir(tmp_path)
    seed = tmp_path / "seed"
    project = make_project(seed)
    monkeypatch.chdir(project)
    assert run_cli("export-xlsx", POLICY, "-o", str(seed / "export.xlsx")).exit_code == 0
    book = Book((seed / "export.xlsx").read_bytes())
    book.set_cell("Matrice", book.french(2), TEXT_A)
    # A reviewer's comment too: where the import keeps them (the review log beside the policy,
    # in the versions that have one) is written by the same import, and killed with it.
    book.set_cell("Matrice", f"{book.col('Matrice', 'Commentaire du relecteur')}2", COMMENT)
    workbook = book.save(tmp_path / "review.xlsx")

    def prepare(directory: Path) -> list[str]:
        make_project(directory)
        return ["import-xlsx", str(workbook), "--into", POLICY, *run_cli.lang]

    # `check` fails on the imported policy anyway (its version is not bumped): what matters is
    # that it names what a kill left, and that the next import removes it.
    outcomes = _interrupt_everywhere(tmp_path, prepare, run_cli, "import-xlsx")
    print("\n".join(outcomes))
    assert any("as before" in o for o in outcomes) and any("as after" in o for o in outcomes), outcomes
    log = tmp_path / "reference" / "project" / "policies" / f"{POLICY_ID}.reviews.md"
    if log.exists():  # two files, one transaction: some kills fall between its commit and its end
        assert COMMENT in log.read_text(encoding="utf-8")
        assert any("interrupted" in o for o in outcomes), outcomes


# --------------------------------------------------------------------------- a disk that fills up


@pytest.mark.parametrize("point", [1, 2, 3, 4, 5])
def test_release_on_a_full_disk_names_the_file_and_stays_completable(
    point: int, project: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """19: the N-th write fails with ENOSPC: exit 1 naming the file that could not be written;
    the project is as before, or the next `release` completes it."""
    import errno

    breaking_change(project)
    before = files(project)
    calls = [0]
    real_replace, real_link = os.replace, os.link

    def failing(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            if calls[0] == point:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(os, "replace", failing(real_replace))
    monkeypatch.setattr(os, "link", failing(real_link))
    result = run_cli(*RELEASE_ARGS)
    monkeypatch.setattr(os, "replace", real_replace)
    monkeypatch.setattr(os, "link", real_link)
    if calls[0] < point:
        assert result.exit_code == 0
        return
    assert result.exit_code == 1, result.output
    assert re.search(
        r"(policies/|CHANGELOG\.md|releases/|\.support-scope-transaction\.json)\S*: cannot write: No space left",
        result.output,
    ), result.output
    if not pending(project):
        assert files(project) == before
    again = run_cli(*RELEASE_ARGS)
    assert again.exit_code == 0, again.output
    assert (project / RELEASE_2).exists() and temporaries(project) == []


# --------------------------------------------------------------------------- two at once


def _on_first_write(
    monkeypatch: pytest.MonkeyPatch, action: Callable[[], None], call: str = "replace"
) -> None:
    """Run ``action`` once, from inside the first ``os.<call>``: ``replace``, the command has
    read and computed everything and is about to put a file in place; ``fsync``, it is writing
    its first temporary file (what it read it checks again after that, before replacing)."""
    real = getattr(os, call)
    done = [False]

    def hooked(*args: Any, **kwargs: Any) -> Any:
        if not done[0]:
            done[0] = True
            action()
        return real(*args, **kwargs)

    monkeypatch.setattr(os, call, hooked)


def _review(project: Path, tmp_path: Path, run_cli: Any, item_row_text: str, row: int, name: str) -> Path:
    out = tmp_path / f"export-{name}.xlsx"
    assert run_cli("export-xlsx", POLICY, "-o", str(out)).exit_code == 0
    book = Book(out.read_bytes())
    book.set_cell("Matrice", book.french(row), item_row_text)
    return book.save(tmp_path / f"review-{name}.xlsx")


def test_two_reviewers_importing_at_once_lose_nothing(
    project: Path, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1: reviewer A's import has read the policy and is about to write when reviewer B's import
    runs to its end. B is refused, and says so (or both edits are in): never both `wrote` with
    one edit lost."""
    a = _review(project, tmp_path, run_cli, TEXT_A, 2, "A")
    b = _review(project, tmp_path, run_cli, TEXT_B, 3, "B")
    outcome: dict[str, Any] = {}
    _on_first_write(
        monkeypatch, lambda: outcome.setdefault("B", run_cli("import-xlsx", str(b), "--into", POLICY))
    )
    first = run_cli("import-xlsx", str(a), "--into", POLICY)
    second = outcome["B"]
    text = (project / POLICY).read_text(encoding="utf-8")
    for result, edit in ((first, TEXT_A), (second, TEXT_B)):
        if result.exit_code == 0:
            assert edit in text, f"wrote and exited 0, but its edit is lost:\n{result.output}"
        else:
            assert result.exit_code == 1 and edit not in text
    assert second.exit_code == 1 and "another support-scope run" in second.output, second.output
    assert first.exit_code == 0


def test_a_policy_saved_during_an_import_is_not_overwritten(
    project: Path, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1: a maintainer saves the policy while an import works on it: the import refuses, and
    the maintainer's file stays."""
    a = _review(project, tmp_path, run_cli, TEXT_A, 2, "A")
    saved = (
        (project / POLICY)
        .read_text(encoding="utf-8")
        .replace(f'"version": "{LATEST_VERSION}"', f'"version": "{LATEST_VERSION}1"', 1)
    )
    _on_first_write(monkeypatch, lambda: (project / POLICY).write_text(saved, encoding="utf-8"), "fsync")
    result = run_cli("import-xlsx", str(a), "--into", POLICY)
    assert result.exit_code == 1, result.output
    assert "changed while support-scope was working on it" in result.output
    assert (project / POLICY).read_text(encoding="utf-8") == saved
    assert temporaries(project) == []


def test_two_releases_at_once_release_once(
    project: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3: a second `release` runs while the first is about to write: it is refused; one release,
    created once, the policy bumped once."""
    breaking_change(project)
    outcome: dict[str, Any] = {}
    _on_first_write(monkeypatch, lambda: outcome.setdefault("B", run_cli(*RELEASE_ARGS)))
    first = run_cli(*RELEASE_ARGS)
    assert first.exit_code == 0, first.output
    assert outcome["B"].exit_code == 1 and "another support-scope run" in outcome["B"].output
    assert json.loads((project / POLICY).read_text(encoding="utf-8"))["version"] == NEXT_VERSION
    changelog = (project / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.count(f"## [policy {POLICY_ID} {NEXT_VERSION}]") == 1
    monkeypatch.undo()
    assert run_cli("check").exit_code == 0


def test_check_reports_an_interrupted_release_beside_the_decision_tests(
    project: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2: a release whose last write failed (the disk full) leaves its journal; `check`, which also
    runs the project's decision tests and locates its problems, reports the interrupted release
    in every format, runs the tests against the policy as it stands, and passes once `release`
    has completed it."""
    import errno

    from attacks.hostile import REPO, find_item, load_policy, save_policy

    if not (REPO / "tests" / "decisions").is_dir():
        pytest.skip("this version has no decision tests (tests/decisions/)")
    shutil.copytree(REPO / "tests" / "decisions", project / "tests" / "decisions")
    document = load_policy(project)
    find_item(document, "desktop-setup-kb-pages")["text"]["en"] += " (reviewed)"  # editorial
    save_policy(project, document)
    real_link = os.link

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "link", full)  # the release file, created last
    result = run_cli(*RELEASE_ARGS)
    monkeypatch.setattr(os, "link", real_link)
    assert result.exit_code == 1 and "No space left" in result.output, result.output
    assert pending(project)
    report = run_cli("check", "--format", "json")
    assert report.exit_code == 1, report.output
    found = json.loads(report.stdout)
    assert [p["rule"] for p in found["problems"] if p["file"] == ".support-scope-transaction.json"] == [
        "interrupted-change"
    ], found["problems"]
    tests = found["decision_tests"]
    assert len(tests) == 1 and tests[0]["ok"] and tests[0]["summary"]["cases"] > 100, tests
    for output_format in ("text", "github", "sarif", "junit"):
        shown = run_cli("check", "--format", output_format)
        assert shown.exit_code == 1 and "interrupted" in shown.output, (output_format, shown.output)
    again = run_cli(*RELEASE_ARGS)
    assert again.exit_code == 0 and "completed" in again.output, again.output
    assert (project / RELEASE_2).exists() and not pending(project)
    final = run_cli("check")
    assert final.exit_code == 0, final.output
    assert "decision tests passed" in final.output


def test_a_release_file_is_never_replaced(
    project: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3: the next release's file appears (another run without the lock, a copy) after `release` checked
    and before it writes: the release is refused, nothing else is written, the file stays."""
    breaking_change(project)
    before = files(project)
    intruder = b'{"not": "ours"}\n'

    def appear() -> None:
        (project / RELEASE_2).parent.mkdir(parents=True, exist_ok=True)
        (project / RELEASE_2).write_bytes(intruder)

    _on_first_write(monkeypatch, appear)
    result = run_cli(*RELEASE_ARGS)
    assert result.exit_code == 1, result.output
    assert (project / RELEASE_2).read_bytes() == intruder
    assert {k: v for k, v in files(project).items() if k != RELEASE_2} == before
    assert not pending(project) and temporaries(project) == []


def test_a_policy_edited_during_a_release_is_not_overwritten(
    project: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3: the policy is saved while `release` computes: refused, nothing released, the edit kept."""
    breaking_change(project)
    edited = (
        (project / POLICY)
        .read_text(encoding="utf-8")
        .replace("Base de Connaissances", "base de connaissances", 1)
    )
    before = files(project)
    _on_first_write(monkeypatch, lambda: (project / POLICY).write_text(edited, encoding="utf-8"), "fsync")
    result = run_cli(*RELEASE_ARGS)
    assert result.exit_code == 1, result.output
    assert (project / POLICY).read_text(encoding="utf-8") == edited
    assert not (project / RELEASE_2).exists()
    assert files(project)["CHANGELOG.md"] == before["CHANGELOG.md"]
    assert not pending(project) and temporaries(project) == []


# --------------------------------------------------------------------------- read-only, links


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("command", ["release", "import-xlsx"])
def test_a_read_only_policy_is_refused_not_replaced(
    command: str, project: Path, tmp_path: Path, run_cli: Any
) -> None:
    """20: chmod 444: refused with the reason, nothing written (root included: decided by the mode)."""
    if command == "release":
        breaking_change(project)
        argv = RELEASE_ARGS
    else:
        argv = ["import-xlsx", str(_review(project, tmp_path, run_cli, TEXT_A, 2, "A")), "--into", POLICY]
    before = files(project)
    (project / POLICY).chmod(0o444)
    result = run_cli(*argv)
    assert result.exit_code == 1, result.output
    assert "read-only" in result.output
    assert files(project) == before and temporaries(project) == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
@pytest.mark.parametrize("linked", ["policy-import", "policy-release", "changelog-release"])
def test_a_symlinked_file_is_written_through_its_link(
    linked: str, project: Path, tmp_path: Path, run_cli: Any
) -> None:
    """20: the link stays a link, and its target gets the change."""
    shared = project / "shared"
    shared.mkdir()
    name = "CHANGELOG.md" if linked.startswith("changelog") else POLICY
    target = shared / Path(name).name
    shutil.move(project / name, target)
    (project / name).symlink_to(os.path.relpath(target, (project / name).parent))
    if linked.endswith("release"):
        breaking_change(project)
        argv = RELEASE_ARGS
    else:
        argv = ["import-xlsx", str(_review(project, tmp_path, run_cli, TEXT_A, 2, "A")), "--into", POLICY]
    result = run_cli(*argv)
    assert result.exit_code == 0, result.output
    assert (project / name).is_symlink()
    text = target.read_text(encoding="utf-8")
    assert (
        (f"## [policy {POLICY_ID} {NEXT_VERSION}]" in text)
        if name == "CHANGELOG.md"
        else (f'"version": "{NEXT_VERSION}"' in text or TEXT_A in text)
    )
