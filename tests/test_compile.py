"""`support-scope compile`: resolved, schema-checked, digested, deterministic releases."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from builders import SHIPPED_POLICY as SHIPPED
from builders import compiled, small_policy, write_policy
from support_scope.compile.compiler import compile_file, release_bytes, release_schema_problems
from support_scope.errors import PolicyError
from support_scope.fileio.jsonfile import canonical_json
from support_scope.resources import load_schema

RUN_CLI = "import sys; from support_scope.cli.main import main; main(sys.argv[1:])"


# --------------------------------------------------------------------------- the contract


def test_release_embeds_policy_unchanged_and_manifest() -> None:
    document = small_policy()
    original = copy.deepcopy(document)
    release = compiled(document)
    assert release["policy"] == original
    assert document == original  # compiling does not touch its input
    manifest = release["manifest"]
    assert manifest["policy_id"] == "small-policy"
    assert manifest["policy_version"] == "1.2.3"
    assert manifest["format"] == 2
    assert manifest["compiler"].startswith("support-scope ")
    assert manifest["source_digest"] == "sha256:" + hashlib.sha256(canonical_json(original)).hexdigest()


def test_digest_recomputes_as_documented() -> None:
    """The recipe in the schema's description, done by hand as a service in another language would."""
    data = json.loads(release_bytes(compiled(small_policy())))
    claimed = data["manifest"].pop("digest")
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert claimed == "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert "manifest.digest" in load_schema("compiled-ruleset.schema.json")["description"]


def test_file_form_is_canonical_with_policy_last() -> None:
    release = compiled(small_policy())
    data = release_bytes(release)
    assert data == canonical_json(release) + b"\n"
    assert data.count(b"\n") == 1
    # The loader relies on the policy being the last member of the canonical form.
    assert data.endswith(b',"policy":' + canonical_json(release["policy"]) + b"}\n")


def test_tiers_plans_and_references_are_resolved() -> None:
    c = compiled(small_policy())["compiled"]
    tiers = {t["id"]: t for t in c["tiers"]}
    assert tiers["extended"]["includes"] == ["self-service", "standard"]
    assert tiers["self-service"]["rank"] == 0
    plans = {p["id"]: p for p in c["plans"]}
    assert plans["standard"]["tiers"] == ["self-service", "standard"]
    assert plans["extended"]["tiers"] == ["self-service", "standard", "extended"]
    onboarding = next(cat for cat in c["categories"] if cat["id"] == "onboarding")
    rules = [(r["item"], r.get("tier"), r.get("via", {}).get("item")) for r in onboarding["rules"]]
    assert rules == [
        ("onboarding-go-live", "standard", None),
        ("onboarding-as-setup", "extended", None),
        # Referred items take the referring row's tier, and cite it.
        ("setup-advice", "extended", "onboarding-as-setup"),
        ("setup-errors", "extended", "onboarding-as-setup"),
        ("onboarding-data", None, None),
    ]
    assert onboarding["conditions"][0]["facts"] == ["days_since_first_invoice", "new_customer"]
    assert onboarding["conditions"][0]["scope"] == "category"
    setup = next(cat for cat in c["categories"] if cat["id"] == "setup")
    plugin = next(r for r in setup["rules"] if r["item"] == "setup-plugin")
    assert plugin["referrals"] == ["vendor"] and "tier" not in plugin
    assert plugin["provenance"] == {"page": 1, "line": 13, "column": "excluded"}


def test_shipped_policy_compiles_and_new_install_lists_the_referred_items() -> None:
    release = json.loads(compile_file(SHIPPED))
    categories = {c["id"]: c for c in release["compiled"]["categories"]}
    assert len(categories) == 16
    referred = [r for r in categories["new-install-upgrades"]["rules"] if "via" in r]
    assert [r["item"] for r in referred] == [
        "desktop-setup-install-upgrade-procedure",
        "desktop-setup-install-config-assistance",
        "desktop-setup-database-upgrade-guidelines",
        "desktop-setup-integration-guidelines",
        "desktop-setup-non-dialog-errors",
    ]
    assert {r["tier"] for r in referred} == {"extended"}
    assert {r["via"]["item"] for r in referred} == {"new-install-upgrades-extended-as-desktop-setup"}
    plans = {p["id"]: p["tiers"] for p in release["compiled"]["plans"]}
    assert plans == {
        "standard": ["self-service", "standard"],
        "extended": ["self-service", "standard", "extended"],
        "pro": ["self-service", "standard", "extended"],
    }
    eligible = {p["id"]: p["eligible"] for p in release["compiled"]["products"]}
    assert eligible["act-premium"] and eligible["act-growth-suite"]
    assert not eligible["act-crm-classic-expert"]


# --------------------------------------------------------------------------- the schema


def test_compiled_schema_is_a_valid_draft_2020_12_schema_with_every_field_described() -> None:
    from jsonschema import Draft202012Validator

    schema = load_schema("compiled-ruleset.schema.json")
    Draft202012Validator.check_schema(schema)

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                assert "description" in sub, f"{path}.{name} has no description"
            for key, sub in node.items():
                if key != "if":  # a condition names properties, it does not define them
                    walk(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for index, sub in enumerate(node):
                walk(sub, f"{path}[{index}]")

    walk(schema, "$")


@pytest.mark.parametrize("source", ["small", "shipped"])
def test_release_validates_in_jsonschema_too(source: str) -> None:
    from jsonschema import Draft202012Validator

    release = compiled(small_policy()) if source == "small" else json.loads(compile_file(SHIPPED))
    errors = list(Draft202012Validator(load_schema("compiled-ruleset.schema.json")).iter_errors(release))
    assert errors == []


def test_schema_check_catches_a_broken_release() -> None:
    release = compiled(small_policy())
    del release["compiled"]["categories"][0]["rules"][0]["status"]
    release["manifest"]["digest"] = "md5:nope"
    problems = release_schema_problems(release)
    assert any("$.manifest.digest" in p for p in problems)
    assert any("$.compiled.categories[0].rules[0]" in p and "status" in p for p in problems)


# --------------------------------------------------------------------------- determinism


def test_compiling_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    first = compile_file(SHIPPED)
    assert compile_file(SHIPPED) == first
    # Reformatting the policy is not a change: same release, same digests.
    reformatted = tmp_path / "reformatted.json"
    reformatted.write_text(json.dumps(json.loads(SHIPPED.read_text("utf-8")), indent=4), encoding="utf-8")
    assert compile_file(reformatted) == first


def test_compiling_in_separate_processes_gives_the_same_bytes(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("0", "1"):  # different hash seeds: nothing may depend on set or dict order by chance
        out = tmp_path / f"release-{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-c", RUN_CLI, "compile", str(SHIPPED), "-o", str(out)],
            check=True,
            env=env,
            capture_output=True,
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == compile_file(SHIPPED)


# --------------------------------------------------------------------------- bad policies and the CLI


def test_invalid_policy_is_refused_with_every_problem_located(tmp_path: Path) -> None:
    document = small_policy()
    document["categories"][0]["items"][1]["tier"] = "gold"
    document["plans"][0]["tier"] = "silver"
    path = write_policy(tmp_path / "bad.json", document)
    with pytest.raises(PolicyError) as caught:
        compile_file(path)
    message = str(caught.value)
    assert "not a valid policy (2 problems)" in message
    assert "$.categories[0].items[1].tier: unknown tier 'gold'" in message
    assert "$.plans[0].tier: unknown tier 'silver'" in message
    assert f"{path}:" in message and ":1" in message  # file:line:col


def test_cli_compile_to_stdout_and_to_file(run_cli, tmp_path: Path) -> None:
    policy = write_policy(tmp_path / "small.json", small_policy())
    out = tmp_path / "release.json"
    result = run_cli("compile", str(policy), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == compile_file(policy)
    assert "compiled small-policy 1.2.3 ->" in result.output
    result = run_cli("compile", str(policy))
    assert result.exit_code == 0
    assert result.stdout_bytes == compile_file(policy)


def test_cli_compile_default_is_the_shipped_policy(run_cli) -> None:
    result = run_cli("compile")
    assert result.exit_code == 0
    assert result.stdout_bytes == compile_file(SHIPPED)


def test_cli_compile_invalid_policy_exits_1_and_writes_nothing(run_cli, tmp_path: Path) -> None:
    document = small_policy()
    document["categories"][0]["items"][0]["see"] = {"category": "nowhere", "items": ["x"]}
    policy = write_policy(tmp_path / "bad.json", document)
    out = tmp_path / "release.json"
    out.write_bytes(b"previous")
    result = run_cli("compile", str(policy), "-o", str(out))
    assert result.exit_code == 1
    assert "unknown category 'nowhere'" in result.output
    assert out.read_bytes() == b"previous"


def test_cli_compile_unreadable_policy(run_cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": "x",\n  "version": }', encoding="utf-8")
    result = run_cli("compile", str(broken))
    assert result.exit_code == 1
    assert f"{broken}:2:14: not valid JSON" in result.output
    result = run_cli("compile", str(tmp_path / "missing.json"))
    assert result.exit_code == 1
    assert "no such policy file" in result.output


def test_cli_compile_does_not_create_a_mistyped_directory(run_cli, tmp_path: Path) -> None:
    policy = write_policy(tmp_path / "small.json", small_policy())
    result = run_cli("compile", str(policy), "-o", str(tmp_path / "no" / "such" / "release.json"))
    assert result.exit_code == 1
    assert f"directory {tmp_path / 'no' / 'such'} does not exist" in result.output
    assert not (tmp_path / "no").exists()
