"""`Ruleset.find` and `support-scope find`: ranked search of the matrix from a ticket's words."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support_scope import Ruleset
from support_scope.consume import analysis
from support_scope.consume.index import build_index, rules_in_order
from support_scope.errors import ReleaseError, UnknownIdError

# ``release_path`` and ``ruleset``, the shipped policy's release, are fixtures of conftest.py.


def refs(matches: list, deep: bool = True) -> list[str]:
    """The lines of the answers, in order (with the identical lines each stands for)."""
    found = []
    for match in matches:
        found.append(match.ref)
        if deep:
            found.extend(other.ref for other in match.same)
    return found


# --------------------------------------------------------------------------- analysis


def test_fold_ignores_case_accents_and_ligatures() -> None:
    assert analysis.fold("Boîtes de DIALOGUE") == "boites de dialogue"
    assert analysis.fold("Œuvre Éditeur") == "oeuvre editeur"


def test_words_cut_elisions_hyphens_and_english_negations() -> None:
    words = analysis.words("L’interface n'affiche rien; the pare-feu isn't working")
    assert [w.folded for w in words] == [
        "l", "interface", "n", "affiche", "rien", "the", "pare", "feu", "parefeu", "is", "n", "working",
    ]  # fmt: skip
    assert [w.kind for w in words[:5]] == ["stop", "word", "negation", "word", "negation"]
    whole = words[8]
    assert whole.whole and whole.text == "pare-feu"
    text = "le client veut de l'aide"
    assert [w.kind for w in analysis.words(text)] == ["stop", "noise", "noise", "stop", "stop", "noise"]


def test_stems_meet_across_plurals_inflections_and_accents() -> None:
    def keys(word: str, language: str = "fr") -> set[str]:
        return set(analysis.line_keys(analysis.words(word)[0], language))

    assert keys("sauvegardes") & keys("sauvegarder")
    assert keys("Sauvegardes") == keys("sauvegardes")
    assert keys("téléphonique") & analysis.untag(analysis.query_keys("telephone", "telephone"))
    assert keys("backups", "en") & analysis.untag(analysis.query_keys("backup"))
    # "formation" (training) keeps a key of its own: it is not "formatting", nor "informations".
    assert keys("formation") == {"formation"}
    assert not keys("informations") & keys("formation")
    assert not keys("formatting", "en") & keys("formation")


def test_query_keys_are_tagged_by_language() -> None:
    tags = analysis.query_keys("chargee", "chargée")
    assert "fr:charg" in tags and "en:charg" not in tags  # the French stem is not the English "charged"
    assert analysis.untag(("fr:charg", "chargee")) == {"charg", "chargee"}


def test_typo_distance() -> None:
    assert analysis.distance("synchronisaton", "synchronisation", 2) == 1
    assert analysis.distance("improt", "import", 1) == 1  # two letters swapped: one edit
    assert analysis.distance("calender", "calendar", 2) == 1
    assert analysis.distance("matin", "martin", 0) == 1  # above the limit: limit + 1
    assert [analysis.max_edits(w) for w in ("pare", "ecran", "instaling", "synchronisaton")] == [0, 1, 2, 2]


# --------------------------------------------------------------------------- ranking


@pytest.mark.parametrize(
    ("ticket", "line"),
    [
        # The examples: today none of them finds its line.
        ("sauvegarde du serveur", "third-party-hosting/third-party-hosting-server-backups"),
        (
            "le client veut de l'aide pour configurer Outlook",
            "cloud-onboarding/cloud-onboarding-outlook-integration-advice",
        ),
        ("telephone", "contact-management/contact-management-phone-remote-usage"),
        ("aide par téléphone pour utiliser act", "grant:extended-onboarding-usage"),
        ("synchronisaton", "remote-sync/remote-sync-sync-operation-errors"),
        # Vocabulary: words the matrix does not use.
        ("our backup failed on the hosted server", "third-party-hosting/third-party-hosting-server-backups"),
        ("Norton bloque Act", "hardware-os-platforms/hardware-os-platforms-os-problems"),
        (
            "l'appli mobile ne se télécharge pas depuis l'app store",
            "companion-app/companion-app-app-store-download",
        ),
        # A negation: no dialog box, so the extended tier's line.
        ("le logiciel plante sans message d'erreur", "grant:extended-non-dialog-errors"),
        (
            "Comme pour la configuration et installation",
            "new-install-upgrades/new-install-upgrades-extended-as-desktop-setup",
        ),
    ],
)
def test_the_line_is_among_the_first_three(ruleset: Ruleset, ticket: str, line: str) -> None:
    assert line in refs(ruleset.find(ticket, limit=3))


def test_case_accents_and_typos_give_the_same_answer(ruleset: Ruleset) -> None:
    first = refs(ruleset.find("Problèmes de téléchargement avec l'App Store", limit=1))
    assert first == ["companion-app/companion-app-app-store-download"]
    assert refs(ruleset.find("PROBLEMES DE TELECHARGEMENT AVEC L'APP STORE", limit=1)) == first
    assert refs(ruleset.find("problemes de telechargment avec l'app store", limit=1)) == first


def test_whole_words_only(ruleset: Ruleset) -> None:
    """ "formation" is training: it never finds "informations" (the old search matched inside words)."""
    for match in ruleset.find("formation", limit=20):
        assert "informations" not in match.matched and "Informations" not in match.matched


def test_matches_are_ranked_scored_and_limited(ruleset: Ruleset) -> None:
    matches = ruleset.find("erreur de synchronisation", limit=4)
    assert len(matches) == 4
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    assert all(m.category == "remote-sync" for m in matches[:2])
    assert "synchronisation" in matches[0].matched
    assert ruleset.find("   ") == [] and ruleset.find("xylophone") == []
    assert len(ruleset.find("erreur", limit=1)) == 1


def test_identical_lines_are_one_answer(ruleset: Ruleset) -> None:
    """Eleven categories, the row of new-install-upgrades that refers to desktop-setup's, and the
    extended grant say "Résolution d'erreurs non indiquées par les boîtes de dialogue de
    l'interface": one answer, the twelve others with it."""
    [match] = [m for m in ruleset.find("erreur sans boîte de dialogue", limit=3) if m.same]
    lines = {match.ref, *(other.ref for other in match.same)}
    assert "grant:extended-non-dialog-errors" in lines
    assert "desktop-setup/desktop-setup-non-dialog-errors" in lines
    assert "custom-tables/custom-tables-non-dialog-errors" in lines
    assert len(lines) == 13


def test_grants_and_terms_are_searched(ruleset: Ruleset) -> None:
    term = ruleset.find("combien de temps dure un appel", limit=3)[0]
    assert (
        term.kind == "term"
        and term.id == "call-limit"
        and term.ref == "term:call-limit"
        and term.category is None
    )
    grant = next(m for m in ruleset.find("aide par téléphone", limit=3) if m.kind == "grant")
    assert (grant.id, grant.tier, grant.status) == ("extended-onboarding-usage", "extended", "included")


def test_with_a_plan_each_answer_carries_its_decision(ruleset: Ruleset) -> None:
    matches = ruleset.find("aide par téléphone pour utiliser act", plan="standard", limit=3)
    grant = next(m for m in matches if m.kind == "grant")
    assert grant.verdict is not None and grant.outcome == "upgrade"  # the extended tier's phone help
    assert grant.reason is not None and "Assistance approfondie" in grant.reason.fr
    assert ruleset.find("aide par téléphone", plan="pro", limit=1)[0].outcome == "included"
    item = ruleset.find("sauvegarde du serveur", plan="extended", limit=1)[0]
    assert item.decision is not None and item.outcome == "excluded"
    assert ruleset.find("sauvegarde du serveur", limit=1)[0].outcome is None
    ineligible = ruleset.find("aide par téléphone", plan="pro", product="act-crm-classic-standard", limit=1)
    assert ineligible[0].outcome == "ineligible"
    with pytest.raises(UnknownIdError, match="unknown plan 'gold'"):
        ruleset.find("erreur", plan="gold")
    with pytest.raises(UnknownIdError, match="unknown product 'act-x'"):
        ruleset.find("erreur", plan="standard", product="act-x")


def test_every_item_is_found_by_its_own_text(ruleset: Ruleset) -> None:
    for category, item in ruleset.rules():
        rule = next(r for r in ruleset.categories[category]["rules"] if r["item"] == item)
        for language in ("fr", "en"):
            found = refs(ruleset.find(rule["text"][language], limit=3))
            assert f"{category}/{item}" in found, (language, rule["text"][language], found)


# --------------------------------------------------------------------------- the index


def test_the_index_is_compiled_into_the_release(release_path: Path) -> None:
    release = json.loads(release_path.read_text(encoding="utf-8"))
    search = release["compiled"]["search"]
    assert search["analyzer"] == analysis.ANALYZER
    assert search["items"] == sum(len(c["rules"]) for c in release["compiled"]["categories"])
    assert "grants" not in search  # the grants are documents in `compiled.grants` order
    assert [g["id"] for g in release["compiled"]["grants"]][:2] == [
        "standard-dialog-errors",
        "standard-kb-access",
    ]
    assert "@other-error" in search["postings"] and "sauvegard" in search["postings"]
    groups = {g["id"]: g for g in search["vocabulary"]}
    assert "sauvegard" in groups["backup"]["expand"]


def test_load_release_reads_the_index_on_the_first_search(release_path: Path, tmp_path: Path) -> None:
    """The index's bytes count in the digest, but are parsed only when a search needs them."""
    from support_scope import load_release
    from support_scope.compile.verify import check_release_bytes, load_release_bytes

    raw = release_path.read_bytes()
    whole = json.loads(raw)["compiled"]["search"]
    verified = load_release_bytes(raw, "release")
    assert "search" not in verified.compiled  # not parsed yet
    assert verified.load_search() == whole and verified.whole()["search"] == whole
    assert check_release_bytes(raw, "release")["compiled"]["search"] == whole  # the gate reads it all
    loaded = load_release(release_path)
    assert "search" not in loaded._compiled
    assert refs(loaded.find("sauvegarde du serveur", limit=1), deep=False) == [
        "third-party-hosting/third-party-hosting-server-backups"
    ]
    # A release written another way (pretty-printed) is parsed whole, the index with it.
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(json.loads(raw), indent=1, ensure_ascii=False), encoding="utf-8")
    other = load_release_bytes(pretty.read_bytes(), "pretty")
    assert other.compiled["search"] == whole and other.load_search() == whole  # type: ignore[typeddict-item]
    tampered = raw.replace(b'"analyzer":"', b'"analyzer":"x', 1)
    with pytest.raises(ReleaseError, match="digest"):
        load_release_bytes(tampered, "tampered")


def test_in_process_index_is_the_same_ranking(ruleset: Ruleset) -> None:
    """A release without an index (or of another analysis) is indexed on first search, the same way."""
    compiled = copy.deepcopy(ruleset._compiled)
    compiled.pop("search", None)  # type: ignore[typeddict-item]
    bare = Ruleset(compiled, dict(ruleset.manifest), lambda: ruleset.policy, source="bare")  # type: ignore[arg-type]
    for ticket in ("sauvegarde du serveur", "error popup when importing a csv", "plante sans message"):
        assert [(m.ref, m.score) for m in bare.find(ticket)] == [
            (m.ref, m.score) for m in ruleset.find(ticket)
        ]
    stale = {**copy.deepcopy(ruleset._compiled), "search": copy.deepcopy(ruleset._search_loader())}
    stale["search"]["analyzer"] = "another"
    stale["search"]["postings"] = {}
    other = Ruleset(stale, dict(ruleset.manifest), lambda: ruleset.policy, source="stale")  # type: ignore[arg-type]
    assert refs(other.find("sauvegarde du serveur", limit=1)) == refs(
        ruleset.find("sauvegarde du serveur", limit=1)
    )


def test_a_line_of_a_request_kind_holds_its_concept_once(ruleset: Ruleset) -> None:
    """A kind that names a concept stands for it as the text's phrase would, never on top of it:
    the grant of a kind and the lines of that kind weigh the concept alike."""
    from itertools import accumulate

    data = ruleset._search_loader()
    assert data is not None
    documents = [f"{c['id']}/{r['item']}" for c, r in rules_in_order(ruleset._compiled)]
    documents += [f"grant:{g['id']}" for g in ruleset._compiled["grants"]]

    def frequencies(key: str) -> dict[str, int]:
        numbers = list(map(int, data["postings"][key].split(",")))
        return {documents[n]: f for n, f in zip(accumulate(numbers[0::2]), numbers[1::2], strict=True)}

    dialog = frequencies("@dialog-error")
    # The phrase in French and in English (10 each); the kind adds nothing more.
    assert dialog["grant:standard-dialog-errors"] == 20
    assert dialog["custom-tables/custom-tables-dialog-errors"] == 20
    other = frequencies("@other-error")
    assert other["grant:extended-non-dialog-errors"] == 20
    # "Résolution des erreurs de rapports personnalisés" says no dialog box: its kind does (once).
    assert other["reports-templates/reports-templates-custom-report-errors"] == 10
    assert max(dialog.values()) == max(other.values()) == 20


def test_index_is_deterministic(ruleset: Ruleset) -> None:
    policy = ruleset.policy
    first = build_index(ruleset._compiled, policy["vocabulary"])
    second = build_index(ruleset._compiled, list(policy["vocabulary"]))
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert json.dumps(first, sort_keys=True) == json.dumps(ruleset._search_loader(), sort_keys=True)


def test_every_release_carries_an_index(shipped_policy: Path) -> None:
    """A policy without a vocabulary compiles with an index too: its lines' own words."""
    from support_scope.compile.compiler import compile_policy

    document = json.loads(shipped_policy.read_text(encoding="utf-8"))
    del document["vocabulary"]
    search = compile_policy(document, b"")["compiled"]["search"]
    assert search["vocabulary"] == [] and "sauvegard" in search["postings"]
    assert "@other-error" not in search["postings"]  # concepts come from the vocabulary


def test_stemmers_leave_snowballstemmer_importable() -> None:
    code = (
        "from support_scope.consume import analysis; print(analysis.stem('sauvegardes', 'fr')); "
        "import snowballstemmer; print(snowballstemmer.stemmer('english').stemWord('backups'))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["sauvegard", "backup"]


# --------------------------------------------------------------------------- the command


def test_cli_find_json_shape(run_cli, release_path: Path) -> None:
    result = run_cli(
        "find", "app store", "--plan", "standard", "--format", "json", "--release", str(release_path)
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert sorted(data) == ["matches", "plan", "product", "query", "release"]
    assert data["query"] == "app store" and data["plan"] == "standard"
    first = data["matches"][0]
    assert first["rank"] == 1 and first["kind"] == "item"
    assert first["ref"] == "companion-app/companion-app-app-store-download"
    assert first["category"] == "companion-app"
    assert first["category_title"].startswith("Act! Companion")
    assert first["item"] == "companion-app-app-store-download" and first["grant"] is None
    assert first["text"].startswith("Problèmes de téléchargement")
    assert first["status"] == "excluded" and first["tier"] is None
    assert first["decision"] == "excluded"
    assert first["referrals"] == ["app-store-provider"]
    assert isinstance(first["score"], float) and first["score"] > data["matches"][1]["score"]
    assert "store" in [w.lower() for w in first["matched"]]
    assert len(data["matches"]) <= 10


def test_cli_find_json_grant_and_limit(run_cli, release_path: Path) -> None:
    result = run_cli(
        "find", "aide par téléphone", "--plan", "standard", "--format", "json", "--limit", "1",
        "--release", str(release_path),
    )  # fmt: skip
    [match] = json.loads(result.output)["matches"]
    assert (match["kind"], match["grant"], match["item"]) == ("grant", "extended-onboarding-usage", None)
    assert match["ref"] == "grant:extended-onboarding-usage" and match["decision"] == "upgrade"
    assert run_cli("find", "erreur", "--limit", "0", "--release", str(release_path)).exit_code == 2


def test_cli_find_text_for_an_agent(run_cli, release_path: Path) -> None:
    result = run_cli("find", "sauvegarde du serveur", "--plan", "standard", "--release", str(release_path))
    assert result.exit_code == 0
    out = result.output
    assert "\n1. Sauvegardes serveur\n" in out
    assert (
        "Fournisseurs d'hébergement tiers › third-party-hosting-server-backups (non inclus) · score " in out
    )
    assert "Mots trouvés : Sauvegardes, serveur" in out
    # Eligibility is said once above the matches; the headline still says the answer waits on it.
    assert (
        "NON INCLUS SI les faits à demander le confirment (active_subscription, supported_platform) : " in out
    )
    assert "Peut être proposé : un service technique proposé à un tarif horaire" in out
    assert "Pour toute demande, à vérifier :" in out  # French typography: a space before the colon
    assert "\x1b[" not in out
    english = run_cli("find", "app store", "--lang", "en", "--release", str(release_path)).output
    assert "companion-app-app-store-download (excluded)" in english
    assert "Refer to: App Store provider" in english


def test_cli_find_highlights_on_a_terminal_or_when_asked(run_cli, release_path: Path) -> None:
    out = run_cli("find", "sauvegarde du serveur", "--color", "--release", str(release_path)).output
    assert "1. \x1b[1;33mSauvegardes\x1b[0m \x1b[1;33mserveur\x1b[0m" in out
    assert "Mots trouvés" not in out  # the highlight says it


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


def test_evaluation_floor(ruleset: Ruleset) -> None:
    """The evaluation tickets (benchmarks/search/tickets.json) as a regression floor, below the
    measured figures (top-1 0.70, top-3 0.90; see `python benchmarks/run.py --only find`)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from bench_find import evaluate, load_tickets
    finally:
        sys.path.pop(0)
    result = evaluate(ruleset, load_tickets())
    assert result["all"]["tickets"] >= 200
    assert result["all"]["top1"] >= 0.65 and result["all"]["top3"] >= 0.85
