"""`Ruleset.find` and `support-scope find`: accent- and case-blind search over the matrix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support_scope import Ruleset
from support_scope.consume.find import normalize
from support_scope.errors import UnknownIdError

# ``release_path`` and ``ruleset``, the shipped policy's release, are fixtures of conftest.py.


def test_normalize_ignores_case_accents_and_typographic_apostrophes() -> None:
    assert normalize("Boîtes de DIALOGUE") == "boites de dialogue"
    assert normalize("l’ÉDITEUR") == "l'editeur"
    assert normalize("Outlook®") == "outlook®"


def test_find_is_case_and_accent_insensitive(ruleset: Ruleset) -> None:
    plain = [(m.category, m.item) for m in ruleset.find("boite dialogue")]
    accented = [(m.category, m.item) for m in ruleset.find("BOÎTES de Dialogue")]
    assert plain and accented
    assert set(accented) <= set(plain)
    assert ("desktop-setup", "desktop-setup-dialog-errors") in plain
    # Every word must appear, in any order.
    assert [m.item for m in ruleset.find("store app")] == ["companion-app-app-store-download"]


def test_find_searches_english_too(ruleset: Ruleset) -> None:
    matches = ruleset.find("consulting service")
    assert [m.item for m in matches] == ["new-install-upgrades-environment-consulting"]
    assert matches[0].text.fr.startswith("Service de consulting")


def test_referred_item_matches_in_each_category_that_includes_it(ruleset: Ruleset) -> None:
    matches = ruleset.find("Assistance d'installation et de configuration")
    assert [(m.category, m.item, m.tier, m.via) for m in matches] == [
        ("desktop-setup", "desktop-setup-install-config-assistance", "extended", None),
        (
            "new-install-upgrades",
            "desktop-setup-install-config-assistance",
            "extended",
            "new-install-upgrades-extended-as-desktop-setup",
        ),
    ]


def test_find_with_plan_carries_decisions(ruleset: Ruleset) -> None:
    matches = ruleset.find("migration", plan="standard")
    assert {m.status for m in matches} == {"excluded"}
    assert {m.decision.outcome for m in matches if m.decision} == {"excluded"}
    matches = ruleset.find("non indiquées", plan="standard")
    assert matches and {m.decision.outcome for m in matches if m.decision} == {"upgrade"}
    matches = ruleset.find("non indiquées", plan="pro", product="act-crm-classic-standard")
    assert {m.decision.outcome for m in matches if m.decision} == {"ineligible"}
    assert ruleset.find("non indiquées")[0].decision is None


def test_find_edge_cases(ruleset: Ruleset) -> None:
    assert ruleset.find("   ") == []
    assert ruleset.find("xylophone") == []
    with pytest.raises(UnknownIdError, match="unknown plan 'gold'"):
        ruleset.find("erreur", plan="gold")
    with pytest.raises(UnknownIdError, match="unknown product 'act-x'"):
        ruleset.find("erreur", plan="standard", product="act-x")


def test_every_item_text_finds_its_item(ruleset: Ruleset) -> None:
    for category, item in ruleset.rules():
        rule = next(r for r in ruleset.categories[category]["rules"] if r["item"] == item)
        found = [(m.category, m.item) for m in ruleset.find(rule["text"]["fr"])]
        assert (category, item) in found


# --------------------------------------------------------------------------- the command


def test_cli_find_json_shape(run_cli, release_path: Path) -> None:
    result = run_cli(
        "find", "app store", "--plan", "standard", "--format", "json", "--release", str(release_path)
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["query"] == "app store" and data["plan"] == "standard"
    [match] = data["matches"]
    assert match["category"] == "companion-app"
    assert match["category_title"].startswith("Act! Companion")
    assert match["item"] == "companion-app-app-store-download"
    assert match["text"].startswith("Problèmes de téléchargement")
    assert match["status"] == "excluded" and match["tier"] is None
    assert match["decision"] == "excluded"
    assert match["referrals"] == ["app-store-provider"]


def test_cli_find_json_without_plan_has_no_decision(run_cli, release_path: Path) -> None:
    result = run_cli(
        "find", "Comme pour la configuration", "--format", "json", "--release", str(release_path)
    )
    data = json.loads(result.output)
    assert data["plan"] is None
    assert [m["item"] for m in data["matches"]] == ["new-install-upgrades-extended-as-desktop-setup"]
    assert data["matches"][0]["decision"] is None
    assert data["matches"][0]["tier"] == "extended"


def test_cli_find_text_for_an_agent(run_cli, release_path: Path) -> None:
    result = run_cli("find", "boite dialogue", "--plan", "standard", "--release", str(release_path))
    assert result.exit_code == 0
    out = result.output
    assert "Configuration initiale et installation d'Act! Premium Desktop [desktop-setup]" in out
    assert "desktop-setup-dialog-errors (inclus, niveau Assistance standard)" in out
    assert "NIVEAU SUPÉRIEUR REQUIS" in out
    assert "Pour toute demande, à vérifier :" in out  # French typography: a space before the colon
    english = run_cli("find", "app store", "--lang", "en", "--release", str(release_path)).output
    assert "companion-app-app-store-download (excluded)" in english
    assert "Refer to: App Store provider" in english


def test_cli_find_no_match_and_errors(run_cli, release_path: Path) -> None:
    result = run_cli("find", "xylophone", "--release", str(release_path))
    assert result.exit_code == 0
    assert "Aucun élément ne correspond" in result.output
    result = run_cli("find", "erreur", "--plan", "gold", "--release", str(release_path))
    assert result.exit_code == 1 and "unknown plan 'gold'" in result.output
    assert (
        run_cli("find", "erreur", "--product", "act-premium", "--release", str(release_path)).exit_code == 2
    )
    assert run_cli("find").exit_code == 2
    result = run_cli("find", "erreur", "--release", str(release_path.parent / "missing.json"))
    assert result.exit_code == 1 and "no such release file" in result.output


def test_cli_find_as_a_process(release_path: Path) -> None:
    """The whole command, as an agent runs it, in a fresh process."""
    script = Path(sys.executable).parent / "support-scope"
    if not script.exists():
        pytest.skip("console script not installed beside this interpreter")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [str(script), "find", "sauvegardes", "--release", str(release_path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "third-party-hosting-server-backups (non inclus)" in result.stdout
