"""The consumer API and `support-scope decide`: outcomes, conditions, unknown ids, tampered releases."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from builders import SHIPPED_POLICY as SHIPPED
from builders import compile_release, compiled, prov, small_policy, text, write_policy
from support_scope import Decision, Ruleset, load_release
from support_scope.compile.compiler import compile_policy, release_bytes
from support_scope.errors import InputError, ReleaseError, UnknownIdError
from support_scope.fileio.jsonfile import read_json

POLICY = read_json(SHIPPED)
FULL_CONTEXT = {"active_subscription": True, "supported_platform": True}
HEAVY = ("click", "jsonschema", "fastjsonschema", "deepdiff", "openpyxl")


def _expected_rows() -> list[tuple[str, str, str | None, str]]:
    """(category, item, tier or None, status) for every line, read from the policy itself."""
    rows = []
    items = {item["id"]: item for category in POLICY["categories"] for item in category["items"]}
    for category in POLICY["categories"]:
        for item in category["items"]:
            rows.append((category["id"], item["id"], item.get("tier"), item["status"]))
            for referred in item.get("see", {}).get("items", []):
                rows.append((category["id"], referred, item["tier"], items[referred]["status"]))
    return rows


ROWS = _expected_rows()
PLAN_TIERS = {"standard": {"self-service", "standard"}, "extended": {"self-service", "standard", "extended"}}
PLAN_TIERS["pro"] = PLAN_TIERS["extended"]


# --------------------------------------------------------------------------- every line of the source


@pytest.mark.parametrize("plan", ["standard", "extended", "pro"])
@pytest.mark.parametrize(("category", "item", "tier", "status"), ROWS, ids=[f"{r[0]}/{r[1]}" for r in ROWS])
def test_every_line_decides_as_the_policy_says(
    ruleset: Ruleset, plan: str, category: str, item: str, tier: str | None, status: str
) -> None:
    # Every fact in the customer's favour: the answer is then the line's own, and settled.
    context = {
        **FULL_CONTEXT,
        "new_customer": True,
        "booked_through_sales": True,
        "database_version": 12,
        "rest_of_network_working": True,
        "caused_by_customer_environment": False,
    }
    decision = ruleset.decide(plan=plan, category=category, item=item, product="act-premium", context=context)
    if status == "excluded":
        assert decision.outcome == "excluded"
    elif tier in PLAN_TIERS[plan]:
        assert decision.outcome == "included"
    else:
        assert decision.outcome == "upgrade"
        assert decision.tier == tier
        assert "pro" in decision.plans and "standard" not in decision.plans
    assert decision.pending == ()
    assert decision.citation.category == category and decision.citation.item == item
    assert decision.citation.text is not None and decision.citation.text.fr
    assert decision.reason.fr and decision.reason.en


def test_each_category_has_every_outcome_it_can_give(ruleset: Ruleset) -> None:
    """An item of each category, by hand: what a support agent would read in the source."""
    cases = [
        ("desktop-setup", "desktop-setup-kb-pages", "standard", "included"),
        ("desktop-setup", "desktop-setup-install-config-assistance", "standard", "upgrade"),
        ("desktop-setup", "desktop-setup-install-config-assistance", "pro", "included"),
        ("desktop-setup", "desktop-setup-version-migration", "extended", "excluded"),
        ("cloud-onboarding", "cloud-onboarding-go-live", "standard", "included"),
        ("cloud-onboarding", "cloud-onboarding-data-preparation", "extended", "excluded"),
        ("hardware-os-platforms", "hardware-os-platforms-os-problems", "pro", "excluded"),
        ("new-install-upgrades", "new-install-upgrades-dialog-errors", "standard", "included"),
        ("new-install-upgrades", "desktop-setup-database-upgrade-guidelines", "standard", "upgrade"),
        ("new-install-upgrades", "desktop-setup-database-upgrade-guidelines", "extended", "included"),
        ("network-connectivity", "network-connectivity-unsupported-networks", "extended", "excluded"),
        ("contact-management", "contact-management-product-training", "pro", "excluded"),
        ("remote-sync", "remote-sync-non-dialog-errors", "standard", "upgrade"),
        ("database-customization", "database-customization-field-definition-errors", "standard", "included"),
        ("reports-templates", "reports-templates-custom-report-errors", "extended", "included"),
        ("custom-tables", "custom-tables-data-import", "standard", "upgrade"),
        ("data-import-export", "data-import-export-mapping-files", "standard", "excluded"),
        ("marketing-automation", "marketing-automation-ama-dialog-errors", "standard", "included"),
        ("companion-app", "companion-app-app-store-download", "standard", "excluded"),
        ("third-party-hosting", "third-party-hosting-server-backups", "extended", "excluded"),
        ("web-api-connect-link", "web-api-connect-link-web-server-security", "pro", "excluded"),
        ("sdk-third-party-plugins", "sdk-third-party-plugins-sdk-message-errors", "standard", "included"),
    ]
    assert {c[0] for c in cases} == {c["id"] for c in POLICY["categories"]}
    for category, item, plan, outcome in cases:
        assert ruleset.decide(plan=plan, category=category, item=item).outcome == outcome, (
            category,
            item,
            plan,
        )


def test_excluded_carries_referral_and_billing(ruleset: Ruleset) -> None:
    app_store = ruleset.decide(plan="pro", category="companion-app", item="companion-app-app-store-download")
    assert [r.id for r in app_store.referrals] == ["app-store-provider"]
    assert app_store.referrals[0].name.fr == "Fournisseur de l'App store"
    assert "Fournisseur de l'App store" in app_store.reason.fr
    security = ruleset.decide(
        plan="pro", category="web-api-connect-link", item="web-api-connect-link-web-server-security"
    )
    assert [r.id for r in security.referrals] == ["certified-consultant", "it-professional"]
    billed = ruleset.decide(
        plan="standard", category="desktop-setup", item="desktop-setup-internal-network-file-sharing"
    )
    assert billed.outcome == "excluded"
    assert billed.billing is not None and billed.billing.kind == "billed-separately"
    assert "facturée séparément" in billed.billing.text.fr


def test_referred_item_cites_the_referring_row(ruleset: Ruleset) -> None:
    decision = ruleset.decide(
        plan="extended", category="new-install-upgrades", item="desktop-setup-non-dialog-errors"
    )
    assert decision.outcome == "included"
    assert decision.citation.via == "new-install-upgrades-extended-as-desktop-setup"
    assert decision.citation.via_category == "desktop-setup"
    row = ruleset.decide(
        plan="standard",
        category="new-install-upgrades",
        item="new-install-upgrades-extended-as-desktop-setup",
    )
    assert row.outcome == "upgrade" and row.tier == "extended"


def test_products(ruleset: Ruleset) -> None:
    for product in ("act-crm-classic-essentials", "act-crm-classic-standard", "act-crm-classic-expert"):
        decision = ruleset.decide(
            plan="pro", category="desktop-setup", item="desktop-setup-kb-pages", product=product
        )
        assert decision.outcome == "ineligible"
        assert "n'est pas couvert" in decision.reason.fr
    growth = ruleset.decide(
        plan="pro", category="desktop-setup", item="desktop-setup-kb-pages", product="act-growth-suite"
    )
    assert growth.outcome == "included"


def test_unlisted_request_names_the_hourly_service(ruleset: Ruleset) -> None:
    decision = ruleset.decide(plan="standard", category="remote-sync", item=None)
    assert decision.outcome == "unlisted"
    assert decision.citation.item is None
    assert decision.billing is not None and decision.billing.kind == "hourly-rate"


# --------------------------------------------------------------------------- conditions


def _pending(decision: Decision) -> list[str]:
    return [c.id for c in decision.pending]


def test_without_context_every_condition_is_left_to_check(ruleset: Ruleset) -> None:
    decision = ruleset.decide(plan="standard", category="cloud-onboarding", item="cloud-onboarding-go-live")
    assert decision.outcome == "included"
    assert not decision.in_scope
    assert _pending(decision) == [
        "eligibility-active-subscription",
        "eligibility-supported-platform",
        "cloud-onboarding-new-customers-only",
        "cloud-onboarding-booking-window",
    ]
    window = decision.pending[-1]
    assert window.missing == ("booked_through_sales", "days_since_first_invoice")


def test_context_settles_or_leaves_conditions(ruleset: Ruleset) -> None:
    ask = {"plan": "standard", "category": "cloud-onboarding", "item": "cloud-onboarding-go-live"}
    # 45 days, booking unknown: "booked through sales OR within 30 days" stays open, and says on what.
    decision = ruleset.decide(
        **ask, context={**FULL_CONTEXT, "new_customer": True, "days_since_first_invoice": 45}
    )
    assert decision.outcome == "included"
    assert _pending(decision) == ["cloud-onboarding-booking-window"]
    assert decision.pending[0].missing == ("booked_through_sales",)
    # Day 30 is within "dans les 30 jours".
    decision = ruleset.decide(
        **ask, context={**FULL_CONTEXT, "new_customer": True, "days_since_first_invoice": 30}
    )
    assert decision.in_scope
    # Contradicted: ineligible, naming the condition.
    decision = ruleset.decide(**ask, context={**FULL_CONTEXT, "new_customer": False})
    assert decision.outcome == "ineligible"
    assert "Uniquement pour les nouveaux clients." in decision.reason.fr
    states = {c.id: c.state for c in decision.conditions}
    assert states["cloud-onboarding-new-customers-only"] == "unmet"
    decision = ruleset.decide(
        **ask,
        context={
            **FULL_CONTEXT,
            "new_customer": True,
            "booked_through_sales": False,
            "days_since_first_invoice": 31,
        },
    )
    assert decision.outcome == "ineligible"


def test_eligibility_applies_to_every_decision(ruleset: Ruleset) -> None:
    lapsed = {"active_subscription": False}
    for item, category in (
        ("desktop-setup-kb-pages", "desktop-setup"),
        ("desktop-setup-version-migration", "desktop-setup"),
        (None, "desktop-setup"),
    ):
        decision = ruleset.decide(plan="pro", category=category, item=item, context=lapsed)
        assert decision.outcome == "ineligible", item
        # Settled: whatever the platform, the answer stays ineligible; nothing is left to ask.
        assert _pending(decision) == [] and not decision.conditional
        assert decision.rule.kind == "eligibility" and decision.cites == (7,)
    decision = ruleset.decide(
        plan="pro",
        category="desktop-setup",
        item="desktop-setup-kb-pages",
        context={"supported_platform": False},
    )
    assert decision.outcome == "ineligible"
    assert "plateformes recommandées" in decision.reason.fr


def test_context_values_are_checked_against_fact_types(ruleset: Ruleset) -> None:
    ask = {"plan": "standard", "category": "cloud-onboarding", "item": "cloud-onboarding-go-live"}
    with pytest.raises(UnknownIdError, match="unknown fact 'is_vip'"):
        ruleset.decide(**ask, context={"is_vip": True})
    with pytest.raises(InputError, match="fact 'days_since_first_invoice' is an integer, not '12'"):
        ruleset.decide(**ask, context={"days_since_first_invoice": "12"})
    with pytest.raises(InputError, match="fact 'days_since_first_invoice' is an integer, not true"):
        ruleset.decide(**ask, context={"days_since_first_invoice": True})
    with pytest.raises(InputError, match="fact 'new_customer' is a boolean"):
        ruleset.decide(**ask, context={"new_customer": 1})
    # None says "not known", like leaving the fact out.
    decision = ruleset.decide(**ask, context={"new_customer": None})
    assert "cloud-onboarding-new-customers-only" in _pending(decision)


def test_parse_context(ruleset: Ruleset) -> None:
    context = ruleset.parse_context(
        ["new_customer=oui", "booked_through_sales=No", "days_since_first_invoice=12"]
    )
    assert context == {"new_customer": True, "booked_through_sales": False, "days_since_first_invoice": 12}
    with pytest.raises(InputError, match="'days_since_first_invoice' is an integer: 'douze'"):
        ruleset.parse_context(["days_since_first_invoice=douze"])
    with pytest.raises(InputError, match="not KEY=VALUE"):
        ruleset.parse_context(["new_customer"])
    with pytest.raises(InputError, match="'new_customer' is given twice"):
        ruleset.parse_context(["new_customer=oui", "new_customer=non"])


def test_a_fact_below_its_declared_minimum_is_refused(ruleset: Ruleset) -> None:
    """A negative number of days must not pass as "within 30 days"."""
    ask = {"plan": "standard", "category": "cloud-onboarding", "item": "cloud-onboarding-go-live"}
    with pytest.raises(InputError, match="'days_since_first_invoice' is at least 0, not -3"):
        ruleset.decide(**ask, context={"days_since_first_invoice": -3})
    assert ruleset.decide(**ask, context={"days_since_first_invoice": 0}).outcome == "included"


# --------------------------------------------------------------------------- unknown ids, immutability


@pytest.mark.parametrize(
    ("ask", "message"),
    [
        (
            {"plan": "gold", "category": "desktop-setup", "item": "desktop-setup-kb-pages"},
            "unknown plan 'gold'",
        ),
        (
            {"plan": "standard", "category": "nowhere", "item": "desktop-setup-kb-pages"},
            "unknown category 'nowhere'",
        ),
        ({"plan": "standard", "category": "desktop-setup", "item": "nothing"}, "unknown item 'nothing'"),
        (
            {"plan": "standard", "category": "remote-sync", "item": "desktop-setup-kb-pages"},
            "is not listed in category 'remote-sync' (it is in desktop-setup)",
        ),
        (
            {
                "plan": "standard",
                "category": "desktop-setup",
                "item": "desktop-setup-kb-pages",
                "product": "act-x",
            },
            "unknown product 'act-x'",
        ),
    ],
)
def test_unknown_ids_are_errors(ruleset: Ruleset, ask: dict[str, Any], message: str) -> None:
    with pytest.raises(UnknownIdError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ruleset.decide(**ask)


def test_decision_is_immutable_and_reused(ruleset: Ruleset) -> None:
    ask = {"plan": "standard", "category": "desktop-setup", "item": "desktop-setup-kb-pages"}
    decision = ruleset.decide(**ask)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.outcome = "excluded"  # type: ignore[misc]
    assert ruleset.decide(**ask) is decision
    assert hash(decision) == hash(ruleset.decide(**ask))
    assert json.loads(json.dumps(decision.to_json()))["outcome"] == "included"


# --------------------------------------------------------------------------- loading and verifying


def test_tampered_release_is_refused(release_path: Path, tmp_path: Path) -> None:
    raw = release_path.read_bytes()
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(raw.replace(b'"status":"excluded"', b'"status":"included"', 1))
    with pytest.raises(ReleaseError, match="digest mismatch"):
        load_release(tampered)
    # Tampering with the embedded policy is caught as well.
    tampered.write_bytes(raw.replace(b"Fournisseur de l'App store", b"Fournisseur de l'App Store", 1))
    with pytest.raises(ReleaseError, match="digest mismatch"):
        load_release(tampered)


def test_a_loaded_release_goes_to_the_oldest_generation_and_frozen_objects_stay_frozen(
    release_path: Path,
) -> None:
    """load_release hands what it parsed to the collector's oldest generation (no young
    collection traverses it); the collector stays as the caller left it, and a process that
    froze its own objects (before forking) keeps them frozen."""
    import gc

    assert gc.isenabled() and gc.get_freeze_count() == 0
    ruleset = load_release(release_path)
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert id(ruleset._compiled["categories"]) in oldest and gc.isenabled()
    assert gc.get_freeze_count() == 0
    del ruleset
    mine = [[] for _ in range(10)]
    gc.freeze()
    try:
        ruleset = load_release(release_path)
        assert ruleset.policy["version"] == ruleset.policy_version and gc.isenabled()
        tracked = {id(o) for o in gc.get_objects()}  # every generation but the frozen objects
        assert id(mine[0]) not in tracked and id(ruleset._compiled["categories"]) in tracked
    finally:
        gc.unfreeze()
    gc.disable()
    try:  # paused by the caller: left paused
        load_release(release_path)
        assert not gc.isenabled()
    finally:
        gc.enable()
    del mine


def test_truncated_release_is_refused(release_path: Path, tmp_path: Path) -> None:
    raw = release_path.read_bytes()
    for length in (0, 100, len(raw) // 2, len(raw) - 2):
        truncated = tmp_path / f"truncated-{length}.json"
        truncated.write_bytes(raw[:length])
        with pytest.raises(ReleaseError, match=r"not valid JSON|truncated"):
            load_release(truncated)


def test_reformatted_release_still_verifies(release_path: Path, tmp_path: Path) -> None:
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(json.loads(release_path.read_bytes()), indent=2), encoding="utf-8")
    ruleset = load_release(pretty)
    assert (
        ruleset.decide(plan="pro", category="companion-app", item="companion-app-feature-usage").outcome
        == "included"
    )
    assert ruleset.policy == POLICY


def test_lazy_policy_matches_the_source(ruleset: Ruleset) -> None:
    assert ruleset.policy == POLICY
    assert ruleset.policy_id == "act-premium-support-scope"
    assert ruleset.digest.startswith("sha256:")


def test_other_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="no such release file"):
        load_release(tmp_path / "missing.json")
    policy_file = tmp_path / "policy.json"
    policy_file.write_bytes(SHIPPED.read_bytes())
    with pytest.raises(ReleaseError, match="not a compiled release"):
        load_release(policy_file)
    release = compile_policy(read_json(SHIPPED), SHIPPED.read_bytes())
    release["manifest"]["format"] = 99
    future = tmp_path / "future.json"
    future.write_bytes(release_bytes(release))
    with pytest.raises(ReleaseError, match="format 99"):
        load_release(future)


def test_default_release_is_the_highest_version(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import support_scope.resources as resources

    monkeypatch.setattr(resources, "data_dir", lambda kind: tmp_path / kind)
    with pytest.raises(ReleaseError, match="no release shipped for 'act-premium-support-scope'"):
        load_release()
    directory = tmp_path / "releases" / "act-premium-support-scope"
    directory.mkdir(parents=True)
    document = read_json(SHIPPED)
    for version in ("1.9.0", "1.10.0", "1.10.0-rc.1", "1.2.0"):
        document["version"] = version
        (directory / f"{version}.json").write_bytes(release_bytes(compile_policy(document, b"")))
    (directory / "notes.json").write_text("{}", encoding="utf-8")  # not a version: ignored
    assert load_release().policy_version == "1.10.0"


def test_default_release_reads_versions_as_release_and_check_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # "1.11.0-01" is not a semantic version (a numeric pre-release part has no leading zero):
    # `release` and `check` ignore such a file, so the consumer API must not load it either.
    import support_scope.resources as resources

    directory = tmp_path / "releases" / "act-premium-support-scope"
    directory.mkdir(parents=True)
    document = read_json(SHIPPED)
    for version, name in (("1.10.0", "1.10.0"), ("1.11.0", "1.11.0-01")):
        document["version"] = version
        (directory / f"{name}.json").write_bytes(release_bytes(compile_policy(document, b"")))
    monkeypatch.setattr(resources, "data_dir", lambda kind: tmp_path / kind)
    assert load_release().policy_version == "1.10.0"


def test_shipped_release_when_there_is_one() -> None:
    from support_scope.resources import data_dir

    directory = data_dir("releases") / "act-premium-support-scope"
    if not any(directory.glob("*.json")):
        pytest.skip("no release shipped yet")
    ruleset = load_release()
    # The shipped release is what the compiler gives for the policy it embeds.
    shipped = directory / f"{ruleset.policy_version}.json"
    assert release_bytes(compile_policy(ruleset.policy, b"")) == shipped.read_bytes()


def test_consumer_api_imports_no_heavy_module(release_path: Path) -> None:
    code = (
        "import sys; from support_scope import load_release; "
        f"r = load_release({str(release_path)!r}); "
        "r.decide(plan='standard', category='desktop-setup', item='desktop-setup-kb-pages'); r.find('erreur'); "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("command", ["decide", "find"])
def test_cli_decide_and_find_import_no_heavy_module(release_path: Path, command: str) -> None:
    args = (
        ["decide", "--plan", "standard", "--category", "desktop-setup", "--item", "desktop-setup-kb-pages"]
        if command == "decide"
        else ["find", "erreur", "--plan", "standard"]
    )
    code = (
        "import sys\nfrom support_scope.cli.main import main\n"
        f"try:\n    main({[*args, '--release', str(release_path)]!r})\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {HEAVY[1:]!r} if m in sys.modules], file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert result.stderr.strip().splitlines()[-1] == "[]"


# --------------------------------------------------------------------------- the command


def test_cli_decide_text(run_cli, release_path: Path) -> None:
    ask = [
        "decide", "--plan", "standard", "--category", "desktop-setup",
        "--item", "desktop-setup-install-config-assistance", "--release", str(release_path),
    ]  # fmt: skip
    result = run_cli(*ask, "--context", "active_subscription=oui", "--context", "supported_platform=oui")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("NIVEAU SUPÉRIEUR REQUIS : Non inclus dans l'offre « Assistance standard »")
    assert "Assistance d'installation et de configuration" in lines[1]
    assert lines[2].startswith("  Source : p. 2, l. 38 ; Repose sur la ligne 38")
    assert "À vérifier" not in result.output
    # Without the facts, the headline says the answer is open, and which facts to ask.
    open_answer = run_cli(*ask).output.splitlines()
    assert open_answer[0].startswith(
        "NIVEAU SUPÉRIEUR REQUIS SI les faits à demander le confirment (active_subscription, supported_platform) : "
    )
    assert "abonnement actif" in "\n".join(open_answer)  # left to check


def test_cli_decide_context_and_english(run_cli, release_path: Path) -> None:
    result = run_cli(
        "decide", "--plan", "extended", "--category", "cloud-onboarding", "--item", "cloud-onboarding-go-live",
        "--context", "new_customer=non", "--context", "active_subscription=yes", "--lang", "en",
        "--release", str(release_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.startswith("INELIGIBLE: Condition not met: New customers only.")


def test_cli_decide_json(run_cli, release_path: Path) -> None:
    result = run_cli(
        "decide", "--plan", "pro", "--category", "companion-app", "--item", "companion-app-mobile-network-access",
        "--product", "act-premium", "--context", "days_since_first_invoice=3",
        "--format", "json", "--release", str(release_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["context"] == {"days_since_first_invoice": 3}
    assert data["decision"]["outcome"] == "excluded"
    assert [r["id"] for r in data["decision"]["referrals"]] == ["mobile-carrier"]
    assert data["decision"]["pending"] == [
        "eligibility-active-subscription",
        "eligibility-supported-platform",
    ]
    assert data["release"]["policy_id"] == "act-premium-support-scope"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--context", "days_since_first_invoice=beaucoup"], "fact 'days_since_first_invoice' is an integer"),
        (["--context", "vip=oui"], "unknown fact 'vip'"),
        (["--plan", "gold"], "unknown plan 'gold'"),
    ],
)
def test_cli_decide_bad_input_exits_1(run_cli, release_path: Path, args: list[str], message: str) -> None:
    base = ["decide", "--plan", "standard", "--category", "desktop-setup", "--item", "desktop-setup-kb-pages"]
    result = run_cli(*base, *args, "--release", str(release_path))
    assert result.exit_code == 1
    assert message in result.output


def test_cli_decide_tampered_release_exits_1(run_cli, release_path: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "t.json"
    tampered.write_bytes(release_path.read_bytes().replace(b'"tier":"extended"', b'"tier":"standard"', 1))
    result = run_cli(
        "decide", "--plan", "standard", "--category", "desktop-setup", "--item", "desktop-setup-kb-pages",
        "--release", str(tampered),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "digest mismatch" in result.output


def test_cli_decide_usage_error_exits_2(run_cli) -> None:
    assert run_cli("decide", "--category", "desktop-setup").exit_code == 2


def test_small_policy_release(tmp_path: Path) -> None:
    """The API on a policy built here (not the shipped one): a `see` and a two-fact condition."""
    path = write_policy(tmp_path / "small.json", small_policy())
    ruleset = load_release(compile_release(tmp_path, path))
    assert ruleset.decide(plan="standard", category="onboarding", item="setup-errors").outcome == "upgrade"
    assert ruleset.decide(plan="extended", category="onboarding", item="setup-errors").outcome == "included"
    decision = ruleset.decide(
        plan="extended", category="onboarding", item="setup-errors", context={"new_customer": True}
    )
    assert [(c.id, c.missing) for c in decision.pending] == [
        ("active", ("active_subscription",)),
        ("onboarding-new", ("days_since_first_invoice",)),
    ]
    decision = ruleset.decide(
        plan="extended", category="onboarding", item="setup-errors", context={"days_since_first_invoice": 31}
    )
    assert decision.outcome == "ineligible"  # all(..., False) is false whatever the other fact
    assert (
        ruleset.decide(plan="standard", category="setup", item="setup-kb", product="old-product").outcome
        == "ineligible"
    )


# --------------------------------------------------------------------------- issue 9: kinds, precedence, certainty, way out


def write_release(path: Path, document: dict[str, Any]) -> Path:
    path.write_bytes(release_bytes(compiled(document)))
    return path


SETTLED = {
    "active_subscription": True,
    "supported_platform": True,
    "new_customer": True,
    "booked_through_sales": True,
    "database_version": 12,
    "rest_of_network_working": True,
    "caused_by_customer_environment": False,
}


def test_every_excluded_or_unlisted_answer_says_what_to_do_instead(ruleset: Ruleset) -> None:
    """Every "no" of the shipped release carries an offer or a referral services can act on."""
    questions = [(c, {"item": i}) for c, i in ruleset.rules()]
    questions += [(c, {"request": k}) for c in ruleset.categories for k in ruleset.request_kinds]
    questions += [(c, {}) for c in ruleset.categories]
    for plan in ruleset.plans:
        for category, ask in questions:
            for context in (SETTLED, {**SETTLED, "caused_by_customer_environment": True}):
                decision = ruleset.decide(plan=plan, category=category, context=context, **ask)
                if decision.outcome in ("excluded", "unlisted"):
                    assert decision.offers or decision.referrals, (category, ask)
                    assert "hourly-technical-service" in [o.id for o in decision.offers]
                    assert 25 in decision.cites


def test_the_json_answer_carries_what_services_act_on(run_cli, release_path: Path) -> None:
    result = run_cli(
        "decide", "--plan", "pro", "--category", "marketing-automation", "--request", "training-consulting",
        "--context", "active_subscription=oui", "--context", "supported_platform=oui",
        "--format", "json", "--release", str(release_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)["decision"]
    assert decision["outcome"] == "excluded" and decision["request"] == "training-consulting"
    assert (
        decision["item"] is None
        and decision["citation"]["item"] == "marketing-automation-onboarding-training-cname"
    )
    assert decision["rule"] == {"kind": "line", "id": "marketing-automation-onboarding-training-cname"}
    assert [r["id"] for r in decision["referrals"]] == ["certified-consultant"]
    assert [o["id"] for o in decision["offers"]] == ["hourly-technical-service"]
    assert decision["offers"][0]["billing"]["minimum_hours"] == 1
    assert decision["conditional"] is False and decision["pending"] == [] and decision["pending_facts"] == []
    assert decision["cites"] == [25, 29, 80]


def test_item_and_request_are_one_or_the_other(run_cli, ruleset: Ruleset, release_path: Path) -> None:
    with pytest.raises(InputError, match="an item or a request kind, not both"):
        ruleset.decide(
            plan="pro", category="remote-sync", item="remote-sync-non-dialog-errors", request="other-error"
        )
    with pytest.raises(
        UnknownIdError, match="unknown request kind 'phone' \\(known: dialog-error, other-error"
    ):
        ruleset.decide(plan="pro", category="remote-sync", request="phone")
    both = run_cli(
        "decide", "--plan", "pro", "--category", "remote-sync", "--item", "remote-sync-non-dialog-errors",
        "--request", "other-error", "--release", str(release_path),
    )  # fmt: skip
    assert both.exit_code == 2 and "give --item or --request, not both" in both.output
    unknown = run_cli(
        "decide",
        "--plan",
        "pro",
        "--category",
        "remote-sync",
        "--request",
        "phone",
        "--release",
        str(release_path),
    )
    assert unknown.exit_code == 1 and "unknown request kind 'phone'" in unknown.output


def test_caveats_travel_with_the_answers_they_bear_on(ruleset: Ruleset) -> None:
    usage = ruleset.decide(
        plan="extended", category="contact-management", request="usage-help", context=SETTLED
    )
    kinds = {(c.kind, c.id) for c in usage.caveats}
    assert ("legal-review", "contact-management-phone-remote-usage") in kinds
    assert ("legal-review", "precedence") in kinds  # the specific line prevailed over line 22
    assert "l. 22" in usage.reason.fr and "line" not in usage.reason.fr
    network = ruleset.decide(
        plan="standard",
        category="network-connectivity",
        item="network-connectivity-internal-connectivity",
        context=SETTLED,
    )
    assert network.outcome == "included"
    assert ("resolution-rule", "network-connectivity-customer-environment-resolved") in {
        (c.kind, c.id) for c in network.caveats
    }
    assert ("call-limit", "call-limit") in {(c.kind, c.id) for c in network.caveats}
    assert 52 in network.cites and 9 not in network.cites
    kb = ruleset.decide(
        plan="standard", category="desktop-setup", item="desktop-setup-kb-pages", context=SETTLED
    )
    assert [c.kind for c in kb.caveats] == ["self-service"]  # no advisor: no call limit
    assert kb.reason.en.startswith("Self-service") and "Included in the" not in kb.reason.en
    hosting = ruleset.decide(
        plan="pro", category="third-party-hosting", request="dialog-error", context=SETTLED
    )
    assert hosting.outcome == "included" and hosting.rule.kind == "grant" and {15, 87} <= set(hosting.cites)
    assert ("scope-note", "third-party-hosting-scope") in {(c.kind, c.id) for c in hosting.caveats}


def test_an_open_fact_that_cannot_change_the_answer_is_not_pending(ruleset: Ruleset) -> None:
    # Booking unknown beyond day 30: it matters (INCLUDED IF). A customer known not to be new: it does not.
    open_window = ruleset.decide(
        plan="standard",
        category="cloud-onboarding",
        item="cloud-onboarding-go-live",
        context={
            "active_subscription": True,
            "supported_platform": True,
            "new_customer": True,
            "days_since_first_invoice": 45,
        },
    )
    assert open_window.conditional and open_window.pending_facts == ("booked_through_sales",)
    assert [c.id for c in open_window.pending] == ["cloud-onboarding-booking-window"]
    settled = ruleset.decide(
        plan="standard",
        category="cloud-onboarding",
        item="cloud-onboarding-go-live",
        context={"active_subscription": True, "supported_platform": True, "new_customer": False},
    )
    assert settled.outcome == "ineligible" and not settled.conditional and settled.pending == ()
    # The same open question from day 31 to day 59 is one decision, built once.
    later = ruleset.decide(
        plan="standard",
        category="cloud-onboarding",
        item="cloud-onboarding-go-live",
        context={
            "active_subscription": True,
            "supported_platform": True,
            "new_customer": True,
            "days_since_first_invoice": 59,
        },
    )
    assert later is open_window


def test_the_precedence_is_the_policy_s_own(tmp_path: Path) -> None:
    """The order of the steps is data: put the grants first and a kind's grant answers before its line."""
    document = small_policy()
    document["request_kinds"] = [
        {"id": "dialog-error", "name": text("Erreur"), "description": text("Une erreur.")}
    ]
    document["tiers"][2]["grants"] = [
        {
            "id": "any-error",
            "text": text("Toute erreur"),
            "kinds": ["dialog-error"],
            "provenance": prov(5, "intro"),
        }
    ]
    setup = document["categories"][0]
    setup["items"][1]["kind"] = "dialog-error"  # setup-errors, standard
    ruleset = load_release(write_release(tmp_path / "a.json", document))
    first = ruleset.decide(
        plan="standard", category="setup", request="dialog-error", context={"active_subscription": True}
    )
    assert (first.outcome, first.rule.id) == ("included", "setup-errors")
    document["precedence"] = {
        "order": ["grant", "line-excluded", "line-included", "not-covered"],
        "text": text("Les prestations générales d'abord."),
    }
    ruleset = load_release(write_release(tmp_path / "b.json", document))
    grant_first = ruleset.decide(
        plan="standard", category="setup", request="dialog-error", context={"active_subscription": True}
    )
    assert (grant_first.outcome, grant_first.rule.kind, grant_first.tier) == ("upgrade", "grant", "extended")


def test_a_release_of_format_1_is_refused_with_what_to_do(tmp_path: Path) -> None:
    from support_scope.resources import data_dir

    old = data_dir("releases") / "act-premium-support-scope" / "1.0.0.json"
    if not old.is_file():
        pytest.skip("no release of format 1 shipped")
    with pytest.raises(ReleaseError, match=r"release format 1 is an older format .*compile the policy again"):
        load_release(old)


def test_a_context_without_equals_is_a_usage_error(run_cli: Any) -> None:
    """The option's syntax is a usage error (2); a value the release refuses is wrong input (1)."""
    question = ["decide", "--plan", "standard", "--category", "companion-app", "--request", "usage-help"]
    malformed = run_cli(*question, "--context", "new_customer")
    assert malformed.exit_code == 2
    assert "'new_customer' is not KEY=VALUE (for example new_customer=oui)" in malformed.output
    nameless = run_cli(*question, "--context", "=oui")
    assert nameless.exit_code == 2
    assert "'=oui' is not KEY=VALUE" in nameless.output
    refused = run_cli(*question, "--context", "new_customer=perhaps")
    assert refused.exit_code == 1
