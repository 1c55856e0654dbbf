"""The CI formats (github, sarif, junit) and the located, fingerprinted diff changes.

Expected places are found in the files' text by hand (the line holding a value), never by the
locator under test; SARIF is checked against the OASIS SARIF 2.1.0 schema (tests/data/).
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft202012Validator

from builders import REPO, compiled, small_policy, write_policy
from support_scope.compile.compiler import release_bytes
from support_scope.report.github import escape_data, escape_property
from support_scope.report.registry import formats_for

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
CI_FORMATS = ("github", "sarif", "junit")


def _line_of(text: str, needle: str, after: str | None = None) -> tuple[int, int]:
    """1-based (line, column) of the first ``needle`` (after ``after``, when given), found by hand."""
    start = text.index(after) if after is not None else 0
    index = text.index(needle, start)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _item(document: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(i for c in document["categories"] for i in c["items"] if i["id"] == item_id)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """OLD and NEW policy files: NEW raises a tier, adds an item, removes one, rewords a French text."""
    old = small_policy()
    new = copy.deepcopy(old)
    _item(new, "setup-errors")["tier"] = "extended"
    _item(new, "setup-kb")["text"]["fr"] = "Pages d’aide en ligne"
    new["categories"][0]["items"] = [i for i in new["categories"][0]["items"] if i["id"] != "setup-plugin"]
    new["categories"][1]["items"].append(
        {
            "id": "onboarding-training",
            "status": "included",
            "tier": "standard",
            "text": {"fr": "Formation", "en": "Training"},
            "provenance": {"page": 1, "line": 24, "column": "included"},
        }
    )
    return write_policy(tmp_path / "old.json", old), write_policy(tmp_path / "new.json", new), new


# --------------------------------------------------------------------------- the registry


@pytest.mark.parametrize("kind", ["validation", "check", "diff", "import_result", "decision_tests"])
def test_ci_formats_render_every_ci_result(kind: str) -> None:
    assert set(CI_FORMATS) <= set(formats_for(kind))


@pytest.mark.parametrize("kind", ["decision", "matches", "release", "rules"])
def test_ci_formats_are_not_offered_where_they_mean_nothing(kind: str) -> None:
    assert not set(CI_FORMATS) & set(formats_for(kind))


@pytest.mark.parametrize("command", ["validate", "check", "diff", "import-xlsx", "test"])
def test_commands_offer_the_ci_formats(run_cli: Any, command: str) -> None:
    help_text = run_cli(command, "--help").output
    for name in CI_FORMATS:
        assert name in help_text


# --------------------------------------------------------------------------- github


def test_github_escapes_as_the_toolkit_does() -> None:
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("dir:a,b%\n") == "dir%3Aa%2Cb%25%0A"


def test_github_validation_annotates_the_line(run_cli: Any, tmp_path: Path) -> None:
    document = small_policy()
    _item(document, "setup-errors")["tier"] = "gold"
    path = write_policy(tmp_path / "bad,name.json", document)
    line, column = _line_of(path.read_text(encoding="utf-8"), '"gold"')
    result = run_cli("validate", str(path), "--format", "github")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    file = str(path).replace(",", "%2C")
    assert lines[0] == (
        f"::error file={file},line={line},col={column},title=unknown-tier::"
        "$.categories[0].items[1].tier: unknown tier 'gold' (known: extended, self-service, standard)"
    )
    assert lines[-1] == "1 problem in 1 of 1 file"


def test_github_diff_one_annotation_per_change_on_its_line(run_cli: Any, pair: Any) -> None:
    old, new, _ = pair
    new_text, old_text = new.read_text(encoding="utf-8"), old.read_text(encoding="utf-8")
    result = run_cli("diff", str(old), str(new), "--format", "github")
    assert result.exit_code == 0
    commands = [line for line in result.output.splitlines() if line.startswith("::")]
    assert len(commands) == 4
    by_rule = {line.split("title=")[1].split("::")[0]: line for line in commands}
    # NEW keeps version 1.2.3: every change needs a version step it does not have, so each is an error.
    line, column = _line_of(new_text, '"extended"', after='"setup-errors"')
    assert by_rule["item-tier-raised"].startswith(f"::error file={new},line={line},col={column},")
    line, column = _line_of(new_text, '"Pages d’aide en ligne"')
    assert by_rule["text-changed"].startswith(f"::error file={new},line={line},col={column},")
    assert "%0APages d’aide {+en ligne+}%0A" in by_rule["text-changed"]
    # A record added or removed starts at its "{", the line above its id, 8 spaces in.
    added, _ = _line_of(new_text, '"id": "onboarding-training"')
    assert by_rule["item-added"].startswith(f"::error file={new},line={added - 1},col=9,")
    removed, _ = _line_of(old_text, '"id": "setup-plugin"')
    assert by_rule["item-exclusion-removed"].startswith(f"::error file={old},line={removed - 1},col=9,")
    assert "removed: shown where it was, in OLD" in by_rule["item-exclusion-removed"]
    assert "needs a major version step: NEW is 1.2.3, OLD 1.2.3" in by_rule["item-tier-raised"]


def test_github_diff_levels_follow_the_version(run_cli: Any, pair: Any, tmp_path: Path) -> None:
    old, _, new_document = pair
    new_document["version"] = "2.0.0"
    bumped = write_policy(tmp_path / "bumped.json", new_document)
    output = run_cli("diff", str(old), str(bumped), "--format", "github").output
    levels = {
        line.split("title=")[1].split("::")[0]: line.split(" ")[0]
        for line in output.splitlines()
        if "title=" in line
    }
    assert levels == {
        "item-tier-raised": "::warning",  # breaking, allowed by the major step
        "text-changed": "::warning",  # legal review
        "item-added": "::notice",
        "item-exclusion-removed": "::notice",
    }


# --------------------------------------------------------------------------- locations and fingerprints


def test_every_change_is_located_in_text_and_json(run_cli: Any, pair: Any) -> None:
    old, new, _ = pair
    data = json.loads(run_cli("diff", str(old), str(new), "--format", "json").output)
    schema = json.loads((REPO / "schema" / "diff.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator(schema).validate(data)
    sides = {c["rule"]: (c["location"]["side"], c["location"]["file"]) for c in data["changes"]}
    assert sides == {
        "item-tier-raised": ("new", str(new)),
        "text-changed": ("new", str(new)),
        "item-added": ("new", str(new)),
        "item-exclusion-removed": ("old", str(old)),
    }
    text = run_cli("diff", str(old), str(new)).output
    line, column = _line_of(new.read_text(encoding="utf-8"), '"extended"', after='"setup-errors"')
    assert f"item-tier-raised  {new}:{line}:{column} $.categories[0].items[1].tier" in text
    assert "(old side)" in text


def test_removal_from_a_release_is_located_in_the_release_file(run_cli: Any, tmp_path: Path) -> None:
    old = small_policy()
    release = tmp_path / "1.2.3.json"
    release.write_bytes(release_bytes(compiled(old)))  # type: ignore[arg-type]
    new = copy.deepcopy(old)
    new["categories"][0]["items"].pop(1)  # setup-errors
    policy = write_policy(tmp_path / "policy.json", new)
    data = json.loads(run_cli("diff", str(release), str(policy), "--format", "json").output)
    (change,) = data["changes"]
    location = change["location"]
    assert (location["file"], location["side"], location["line"]) == (str(release), "old", 1)
    assert location["note"] == "in the policy the release embeds"
    raw = release.read_text(encoding="utf-8")
    embedded = raw.index('"policy":')
    assert raw.index('{"id":"setup-errors"', embedded) == location["column"] - 1


def test_a_git_side_is_located_under_its_path(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    old = small_policy()
    write_policy(repo / "policies" / "demo.json", old)
    for args in (
        ["init", "-q"],
        ["add", "."],
        ["-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "v1"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    new = copy.deepcopy(old)
    new["categories"][1]["items"].pop()  # onboarding-data, excluded
    write_policy(repo / "policies" / "demo.json", new)
    monkeypatch.chdir(repo)
    data = json.loads(
        run_cli("diff", "HEAD:policies/demo.json", "policies/demo.json", "--format", "json").output
    )
    (change,) = data["changes"]
    line, _ = _line_of(json.dumps(old, ensure_ascii=False, indent=2), '"id": "onboarding-data"')
    assert change["location"] == {
        "file": "policies/demo.json",
        "line": line - 1,
        "column": 9,
        "side": "old",
        "note": "at git revision HEAD",
    }


def test_fingerprints_are_stable_across_moves_and_distinct_across_changes() -> None:
    from support_scope.changes.differ import diff_documents

    old = small_policy()
    new = copy.deepcopy(old)
    _item(new, "setup-errors")["tier"] = "extended"
    _item(new, "onboarding-go-live")["tier"] = "extended"
    first = {c.ids.get("item"): c.fingerprint for c in diff_documents(old, new).changes}
    moved_old, moved_new = copy.deepcopy(old), copy.deepcopy(new)
    for document in (moved_old, moved_new):
        document["categories"].reverse()
        document["categories"][1]["items"].reverse()
    second = {c.ids.get("item"): c.fingerprint for c in diff_documents(moved_old, moved_new).changes}
    assert first == second
    assert len(set(first.values())) == 2
    assert all(len(f) == 32 and int(f, 16) >= 0 for f in first.values())


# --------------------------------------------------------------------------- sarif


def _sarif_validator() -> Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


def _valid_sarif(output: str) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(output)
    errors = sorted(_sarif_validator().iter_errors(log), key=str)
    assert not errors, errors[0]
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert rule["help"]["text"] and rule["fullDescription"]["text"]
    return run  # type: ignore[no-any-return]


def test_sarif_of_a_diff(run_cli: Any, pair: Any) -> None:
    old, new, _ = pair
    run = _valid_sarif(run_cli("diff", str(old), str(new), "--format", "sarif").output)
    assert {r["ruleId"] for r in run["results"]} == {
        "item-tier-raised",
        "text-changed",
        "item-added",
        "item-exclusion-removed",
    }
    help_of = {rule["id"]: rule["help"]["text"] for rule in run["tool"]["driver"]["rules"]}
    assert help_of["item-tier-raised"].startswith("An included service now needs a higher tier")
    json_changes = json.loads(run_cli("diff", str(old), str(new), "--format", "json").output)["changes"]
    assert sorted(r["partialFingerprints"]["supportScopeChange/v1"] for r in run["results"]) == sorted(
        c["fingerprint"] for c in json_changes
    )
    raised = next(r for r in run["results"] if r["ruleId"] == "item-tier-raised")
    line, column = _line_of(new.read_text(encoding="utf-8"), '"extended"', after='"setup-errors"')
    assert raised["locations"][0]["physicalLocation"]["region"] == {"startLine": line, "startColumn": column}
    assert run["columnKind"] == "unicodeCodePoints"


def test_sarif_of_validate_and_check(run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = small_policy()
    _item(document, "setup-errors")["tier"] = "gold"
    document["categories"][0]["items"][0]["text"]["fr"] = " Pages"
    path = write_policy(tmp_path / "policy.json", document)
    run = _valid_sarif(run_cli("validate", str(path), "--format", "sarif").output)
    assert sorted(r["ruleId"] for r in run["results"]) == ["text-whitespace", "unknown-tier"]
    assert all(r["level"] == "error" for r in run["results"])
    (tmp_path / "project" / "policies").mkdir(parents=True)
    write_policy(tmp_path / "project" / "policies" / "small-policy.json", small_policy())
    check = run_cli("check", "--root", str(tmp_path / "project"), "--format", "sarif")
    assert check.exit_code == 1
    run = _valid_sarif(check.output)
    assert sorted(r["ruleId"] for r in run["results"]) == ["no-changelog", "not-released"]


# --------------------------------------------------------------------------- junit


def _junit(output: str) -> ET.Element:
    assert output.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(output.encode("utf-8"))
    assert root.tag == "testsuites"
    total = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root:
        assert suite.tag == "testsuite"
        cases = list(suite)
        assert all(case.tag == "testcase" and case.get("name") and case.get("classname") for case in cases)
        assert int(suite.get("tests", "-1")) == len(cases)
        failures = sum(1 for case in cases if case.find("failure") is not None)
        errors = sum(1 for case in cases if case.find("error") is not None)
        assert (int(suite.get("failures", "-1")), int(suite.get("errors", "-1"))) == (failures, errors)
        for case in cases:
            assert len([child for child in case if child.tag in ("failure", "error")]) <= 1
        total["tests"] += len(cases)
        total["failures"] += failures
        total["errors"] += errors
    assert {key: int(root.get(key, "-1")) for key in total} == total
    return root


def test_junit_of_a_diff_one_case_per_change(run_cli: Any, pair: Any, tmp_path: Path) -> None:
    old, new, document = pair
    root = _junit(run_cli("diff", str(old), str(new), "--format", "junit").output)
    names = sorted(case.get("name", "") for case in root.iter("testcase"))
    assert names == [
        "item-added onboarding › onboarding-training",
        "item-exclusion-removed setup › setup-plugin",
        "item-tier-raised setup › setup-errors",
        "text-changed setup › setup-kb",
    ]
    assert root.get("failures") == "4"  # NEW's version 1.2.3 allows none of them
    document["version"] = "2.0.0"
    bumped = write_policy(tmp_path / "bumped.json", document)
    root = _junit(run_cli("diff", str(old), str(bumped), "--format", "junit").output)
    assert root.get("failures") == "0"
    assert all(case.find("system-out") is not None for case in root.iter("testcase"))


def test_junit_of_validate_one_case_per_file(run_cli: Any, tmp_path: Path) -> None:
    good = write_policy(tmp_path / "good.json", small_policy())
    document = small_policy()
    _item(document, "setup-errors")["tier"] = "gold\x01"
    bad = write_policy(tmp_path / "bad.json", document)
    result = run_cli("validate", str(good), str(bad), "--format", "junit")
    assert result.exit_code == 1
    root = _junit(result.output)
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert set(cases) == {str(good), str(bad)}
    assert cases[str(good)].find("failure") is None
    failure = cases[str(bad)].find("failure")
    assert failure is not None and "\\x01" in (failure.text or "")


def test_formats_are_deterministic(run_cli: Any, pair: Any) -> None:
    old, new, _ = pair
    for name in CI_FORMATS:
        first = run_cli("diff", str(old), str(new), "--format", name).output
        assert first == run_cli("diff", str(old), str(new), "--format", name).output


def test_every_validation_rule_of_the_corpus_has_its_own_help() -> None:
    from support_scope.report.ci import rule_help
    from support_scope.validate import validate_file

    corpus = sorted((Path(__file__).parent / "example-files" / "validate" / "negative").glob("*.json"))
    rules = {p.rule for path in corpus for p in validate_file(path).problems}
    assert len(rules) > 10
    generic = [rule for rule in sorted(rules) if rule_help(rule).startswith("A problem of kind")]
    assert generic == []


# --------------------------------------------------------------------------- the locator's layout reading


def test_reading_the_layout_finds_what_decoding_finds(tmp_path: Path) -> None:
    from support_scope.fileio.jsonfile import dump_json
    from support_scope.fileio.locate import locate_offsets
    from support_scope.model.walk import entities, language_maps

    document = small_policy()
    paths = [entity.path for entity in entities(document)] + [path for path, _, _ in language_maps(document)]
    assert len(paths) > 30
    for text in (dump_json(document), json.dumps(document, indent=4), json.dumps(document)):
        assert locate_offsets(text, paths, pretty=True) == locate_offsets(text, paths)


def test_a_misleading_layout_is_caught_and_located_exactly() -> None:
    """A closing bracket that lines up with the wrong opening line: the layout is misread, the
    check against the document notices, and the text is walked again, decoding."""
    from support_scope.changes.locate import _locate
    from support_scope.changes.sides import Side
    from support_scope.fileio.locate import locate_offsets

    text = '{\n  "a": [\n      1],\n      "b": [2\n  ]\n}\n'
    document = json.loads(text)
    assert document == {"a": [1], "b": [2]}
    exact = locate_offsets(text, [("b",)])
    assert text[exact[("b",)]] == "["
    assert locate_offsets(text, [("b",)], pretty=True) != exact  # misread: "a" seems to close at the end
    side = Side("x.json", document, "policy", text, "x.json")
    assert _locate(side, [("b",)]) == {("b",): (4, 12)}
