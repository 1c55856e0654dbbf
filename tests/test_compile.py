"""`support-scope compile`: resolved, schema-checked, digested, deterministic releases."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from support_scope.compile import compile_file, compile_policy, release_bytes, release_schema_problems
from support_scope.errors import PolicyError
from support_scope.files import canonical_json, dump_json
from support_scope.resources import load_schema
from support_scope.validate import document_findings

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "policies" / "act-premium-support-scope.json"
RUN_CLI = "import sys; from support_scope.cli.main import main; main(sys.argv[1:])"


def small_policy() -> dict[str, Any]:
    """A small valid policy: three tiers, two plans, a condition, a referral, a billing note, a `see`."""

    def text(fr: str) -> dict[str, str]:
        return {"fr": fr, "en": f"{fr} (en)"}

    def prov(line: int, column: str = "included") -> dict[str, Any]:
        return {"page": 1, "line": line, "column": column}

    document = {
        "id": "small-policy",
        "version": "1.2.3",
        "title": text("Petite politique"),
        "languages": ["fr", "en"],
        "products": [
            {
                "id": "act-premium",
                "name": text("Act! Premium"),
                "eligible": True,
                "provenance": prov(1, "intro"),
            },
            {
                "id": "old-product",
                "name": text("Ancien produit"),
                "eligible": False,
                "provenance": prov(1, "intro"),
            },
        ],
        "eligibility": {
            "text": text("Abonnement actif requis."),
            "conditions": [
                {
                    "id": "active",
                    "text": text("Abonnement actif"),
                    "test": {"fact": "active_subscription", "op": "eq", "value": True},
                    "provenance": prov(2, "intro"),
                }
            ],
            "provenance": prov(2, "intro"),
        },
        "tiers": [
            {
                "id": "self-service",
                "label": text("Base de connaissances"),
                "includes": [],
                "provenance": prov(3),
            },
            {
                "id": "standard",
                "label": text("Assistance standard"),
                "includes": ["self-service"],
                "provenance": prov(4),
            },
            {
                "id": "extended",
                "label": text("Assistance approfondie"),
                "includes": ["standard"],
                "provenance": prov(5),
            },
        ],
        "plans": [
            {"id": "standard", "name": text("Offre standard"), "tier": "standard"},
            {"id": "extended", "name": text("Offre approfondie"), "tier": "extended"},
        ],
        "facts": [
            {"id": "active_subscription", "type": "boolean", "description": text("Abonnement actif")},
            {"id": "new_customer", "type": "boolean", "description": text("Nouveau client")},
            {
                "id": "days_since_first_invoice",
                "type": "integer",
                "description": text("Jours depuis la facture"),
            },
        ],
        "referrals": [{"id": "vendor", "name": text("Fournisseur tiers")}],
        "general_terms": [
            {
                "id": "hourly",
                "kind": "billable-service",
                "text": text("Service technique à tarif horaire."),
                "billing": {
                    "kind": "hourly-rate",
                    "minimum_hours": 1,
                    "text": text("Tarif horaire, minimum une heure."),
                },
                "provenance": prov(6, "intro"),
            }
        ],
        "categories": [
            {
                "id": "setup",
                "title": text("Installation"),
                "items": [
                    {
                        "id": "setup-kb",
                        "status": "included",
                        "tier": "self-service",
                        "text": text("Pages d’aide"),
                        "provenance": prov(10),
                    },
                    {
                        "id": "setup-errors",
                        "status": "included",
                        "tier": "standard",
                        "text": text("Erreurs affichées"),
                        "provenance": prov(11),
                    },
                    {
                        "id": "setup-advice",
                        "status": "included",
                        "tier": "extended",
                        "text": text("Conseils d’installation"),
                        "provenance": prov(12),
                    },
                    {
                        "id": "setup-plugin",
                        "status": "excluded",
                        "text": text("Greffons tiers"),
                        "referrals": ["vendor"],
                        "provenance": prov(13, "excluded"),
                    },
                    {
                        "id": "setup-network",
                        "status": "excluded",
                        "text": text("Option réseau facturée séparément"),
                        "billing": {"kind": "billed-separately", "text": text("Facturée séparément.")},
                        "provenance": prov(14, "excluded"),
                    },
                ],
                "provenance": prov(9, "category"),
            },
            {
                "id": "onboarding",
                "title": text("Prise en main"),
                "conditions": [
                    {
                        "id": "onboarding-new",
                        "text": text("Nouveaux clients, dans les 30 jours"),
                        "test": {
                            "all": [
                                {"fact": "new_customer", "op": "eq", "value": True},
                                {"fact": "days_since_first_invoice", "op": "le", "value": 30},
                            ]
                        },
                        "provenance": prov(20, "category"),
                    }
                ],
                "items": [
                    {
                        "id": "onboarding-go-live",
                        "status": "included",
                        "tier": "standard",
                        "text": text("Mise en service"),
                        "provenance": prov(21),
                    },
                    {
                        "id": "onboarding-as-setup",
                        "status": "included",
                        "tier": "extended",
                        "text": text("Comme pour l’installation"),
                        "see": {"category": "setup", "items": ["setup-advice", "setup-errors"]},
                        "provenance": prov(22),
                    },
                    {
                        "id": "onboarding-data",
                        "status": "excluded",
                        "text": text("Préparation des données"),
                        "provenance": prov(23, "excluded"),
                    },
                ],
                "provenance": prov(20, "category"),
            },
        ],
    }
    assert document_findings(document) == []
    return document


def compiled(document: dict[str, Any]) -> dict[str, Any]:
    return compile_policy(document, dump_json(document).encode("utf-8"))


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
    assert manifest["format"] == 1
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
    path = tmp_path / "bad.json"
    path.write_text(dump_json(document), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        compile_file(path)
    message = str(caught.value)
    assert "not a valid policy (2 problems)" in message
    assert "$.categories[0].items[1].tier: unknown tier 'gold'" in message
    assert "$.plans[0].tier: unknown tier 'silver'" in message
    assert f"{path}:" in message and ":1" in message  # file:line:col


def test_cli_compile_to_stdout_and_to_file(run_cli, tmp_path: Path) -> None:
    policy = tmp_path / "small.json"
    policy.write_text(dump_json(small_policy()), encoding="utf-8")
    out = tmp_path / "out" / "release.json"
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
    policy = tmp_path / "bad.json"
    policy.write_text(dump_json(document), encoding="utf-8")
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
    assert f"{broken}:2:14: malformed JSON" in result.output
    result = run_cli("compile", str(tmp_path / "missing.json"))
    assert result.exit_code == 1
    assert "no such file" in result.output
