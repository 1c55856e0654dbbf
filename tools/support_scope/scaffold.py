"""``support-scope init``: a new policy repository whose CI passes on its first commit.

The layout (a project, :mod:`support_scope.project`):

- ``policies/<id>.json``: a small valid policy to start from (one product, three tiers, two
  plans, an eligibility condition, one category with an included and an excluded service);
- ``releases/<id>/<version>.json``: its first release, compiled;
- ``CHANGELOG.md``: Keep a Changelog, with the first release's section;
- ``tests/decisions/<id>.json``: decision tests the policy keeps;
- ``.pre-commit-config.yaml``: ``support-scope validate`` and ``check`` on every commit;
- ``.github/workflows/support-scope.yml``: the workflow that runs the support-scope action;
- ``README.md`` and ``.gitignore``.

Everything is written in a scratch directory beside the target, then moved into place in one
step: an interrupted ``init`` leaves nothing half laid out.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from support_scope import __version__
from support_scope.errors import InputError
from support_scope.fileio.jsonfile import dump_json
from support_scope.project import check_id

DEFAULT_ACTION = f"support-scope/support-scope@v{__version__}"
FIRST_VERSION = "1.0.0"


@dataclass(frozen=True)
class Layout:
    """What ``init`` wrote: the directory and its files (relative paths, in the order written)."""

    root: Path
    policy_id: str
    version: str
    files: tuple[str, ...]


def _text(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


def _prov(line: int, column: str) -> dict[str, Any]:
    return {"page": 1, "line": line, "column": column}


def starter_policy(policy_id: str, title: str, product: str) -> dict[str, Any]:
    """A small valid policy to start from: every part of the format once."""
    return {
        "id": policy_id,
        "version": FIRST_VERSION,
        "title": _text(title, f"{title} (English title)"),
        "languages": ["fr", "en"],
        "products": [
            {
                "id": product,
                "name": _text("Votre produit", "Your product"),
                "eligible": True,
                "provenance": _prov(1, "intro"),
            }
        ],
        "eligibility": {
            "text": _text(
                "L'assistance est réservée aux clients ayant un abonnement actif.",
                "Support is for customers with an active subscription.",
            ),
            "conditions": [
                {
                    "id": "active-subscription",
                    "text": _text("Abonnement actif", "Active subscription"),
                    "test": {"fact": "active_subscription", "op": "eq", "value": True},
                    "provenance": _prov(2, "intro"),
                }
            ],
            "provenance": _prov(2, "intro"),
        },
        "tiers": [
            {
                "id": "self-service",
                "label": _text("Libre-service", "Self-service"),
                "includes": [],
                "provenance": _prov(3, "intro"),
            },
            {
                "id": "standard",
                "label": _text("Assistance standard", "Standard support"),
                "includes": ["self-service"],
                "provenance": _prov(4, "intro"),
            },
            {
                "id": "extended",
                "label": _text("Assistance approfondie", "Extended support"),
                "includes": ["standard"],
                "provenance": _prov(5, "intro"),
            },
        ],
        "plans": [
            {"id": "standard", "name": _text("Offre standard", "Standard plan"), "tier": "standard"},
            {"id": "extended", "name": _text("Offre approfondie", "Extended plan"), "tier": "extended"},
        ],
        "facts": [
            {
                "id": "active_subscription",
                "type": "boolean",
                "description": _text(
                    "Le client a un abonnement actif.", "The customer has an active subscription."
                ),
            }
        ],
        "referrals": [{"id": "third-party-vendor", "name": _text("Éditeur tiers", "Third-party vendor")}],
        "general_terms": [],
        "categories": [
            {
                "id": "getting-started",
                "title": _text("Prise en main", "Getting started"),
                "items": [
                    {
                        "id": "getting-started-help-pages",
                        "status": "included",
                        "tier": "self-service",
                        "text": _text("Consulter les pages d'aide", "Read the help pages"),
                        "provenance": _prov(10, "included"),
                    },
                    {
                        "id": "getting-started-installation",
                        "status": "included",
                        "tier": "standard",
                        "text": _text("Assistance à l'installation", "Help with the installation"),
                        "provenance": _prov(11, "included"),
                    },
                    {
                        "id": "getting-started-configuration-advice",
                        "status": "included",
                        "tier": "extended",
                        "text": _text("Conseils de configuration", "Configuration advice"),
                        "provenance": _prov(12, "included"),
                    },
                    {
                        "id": "getting-started-third-party-add-ins",
                        "status": "excluded",
                        "text": _text("Modules complémentaires tiers", "Third-party add-ins"),
                        "referrals": ["third-party-vendor"],
                        "provenance": _prov(13, "excluded"),
                    },
                ],
                "provenance": _prov(9, "category"),
            }
        ],
    }


def starter_tests(policy_id: str, product: str) -> dict[str, Any]:
    """Decision tests the starter policy keeps: one per outcome it gives."""
    context = {"active_subscription": True}

    def case(
        case_id: str, plan: str, item: str, line: int, why: str, expect: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "id": case_id,
            "source": [line],
            "why": why,
            "question": {
                "plan": plan,
                "category": "getting-started",
                "item": item,
                "product": product,
                "context": context,
            },
            "expect": expect,
        }

    return {
        "description": f"Answers {policy_id} must keep: change the policy, and these say what changed for customers.",
        "cases": [
            case(
                "help-pages-self-service",
                "standard",
                "getting-started-help-pages",
                10,
                "The help pages are self-service: every plan reaches them.",
                {"outcome": "included", "tier": "self-service"},
            ),
            case(
                "installation-standard",
                "standard",
                "getting-started-installation",
                11,
                "Installation help is in the standard tier.",
                {"outcome": "included", "tier": "standard"},
            ),
            case(
                "configuration-advice-needs-extended",
                "standard",
                "getting-started-configuration-advice",
                12,
                "Configuration advice is in the extended tier only.",
                {"outcome": "upgrade", "tier": "extended"},
            ),
            case(
                "third-party-add-ins-excluded",
                "extended",
                "getting-started-third-party-add-ins",
                13,
                "Third-party add-ins are not covered: the customer is sent to the vendor.",
                {"outcome": "excluded", "tier": None, "referrals": ["third-party-vendor"]},
            ),
        ],
    }


_PRE_COMMIT = """\
# pre-commit (https://pre-commit.com): `pre-commit install` once, then every commit that touches
# a policy is validated, and the CI gate (releases, version bumps, CHANGELOG, decision tests) runs.
# These hooks run the support-scope installed in your environment (`pip install ...`). To let
# pre-commit install it instead, use the hooks of support-scope's own repository
# (its .pre-commit-hooks.yaml): repo: <that repository>, rev: <a tag>, hooks: the same ids.
repos:
  - repo: local
    hooks:
      - id: support-scope-validate
        name: support-scope validate
        entry: support-scope validate
        language: system
        files: ^policies/[^/]+\\.json$
      - id: support-scope-check
        name: support-scope check
        entry: support-scope check
        language: system
        pass_filenames: false
        files: ^(policies/[^/]+\\.json|releases/.+\\.json|tests/decisions/.+\\.json|CHANGELOG\\.md)$
"""

_WORKFLOW = """\
# The policy's CI: validation, releases, version bumps, CHANGELOG and decision tests, with an
# annotation on the changed line of a pull request and the policy diff in the job summary.
name: support-scope
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  policy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: {action}
        with:
          min-coverage: ""
"""

_README = """\
# {title}

The support scope of {product}, kept as policy-as-data with support-scope (laid out by
`support-scope init`).

| path | what |
| --- | --- |
| `policies/{policy_id}.json` | the policy: edit it (French is authoritative) |
| `releases/{policy_id}/` | its releases, immutable: `support-scope release` cuts the next |
| `CHANGELOG.md` | a section per released version (`release` drafts it) |
| `tests/decisions/{policy_id}.json` | decision tests: questions whose answers the policy must keep |
| `.pre-commit-config.yaml` | `support-scope validate` and `check` on every commit (`pre-commit install`) |
| `.github/workflows/support-scope.yml` | CI: the same checks, annotations on the pull request |

Every day:

```sh
support-scope validate          # every problem, located file:line:col
support-scope test              # the decision tests
support-scope diff releases/{policy_id}/{version}.json policies/{policy_id}.json
support-scope release           # the version step the changes require, the release, the CHANGELOG section
support-scope check             # what CI runs
```
"""

_CHANGELOG = """\
# Changelog

All notable changes to this policy are documented in this file.
The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and the policy adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html):
a change that narrows coverage is a major version, one that widens it a minor, wording a patch.

## [Unreleased]

{heading} - {today}

First release of the policy, laid out by `support-scope init`.
"""


def _files(policy_id: str, title: str, product: str, action: str, today: date) -> dict[str, bytes]:
    from support_scope.compile.compiler import compile_policy, release_bytes
    from support_scope.versions.changelog import section_heading

    policy = starter_policy(policy_id, title, product)
    text = dump_json(policy)
    release = compile_policy(policy, text.encode("utf-8"), display=f"policies/{policy_id}.json")
    version = policy["version"]
    return {
        f"policies/{policy_id}.json": text.encode("utf-8"),
        f"releases/{policy_id}/{version}.json": release_bytes(release),
        "CHANGELOG.md": _CHANGELOG.format(
            heading=section_heading(policy_id, version), today=today.isoformat()
        ).encode("utf-8"),
        f"tests/decisions/{policy_id}.json": dump_json(starter_tests(policy_id, product)).encode("utf-8"),
        ".pre-commit-config.yaml": _PRE_COMMIT.encode("utf-8"),
        ".github/workflows/support-scope.yml": _WORKFLOW.format(action=action).encode("utf-8"),
        "README.md": _README.format(
            title=title, product=product, policy_id=policy_id, version=version
        ).encode("utf-8"),
        ".gitignore": b".venv/\n__pycache__/\n*.xlsx\n",
    }


def init_project(
    directory: Path,
    policy_id: str,
    *,
    title: str | None = None,
    product: str = "your-product",
    action: str = DEFAULT_ACTION,
    today: date | None = None,
) -> Layout:
    """Lay out a new policy repository in ``directory`` (which must not exist, or be empty)."""
    check_id(policy_id)
    check_id(product, "product id")
    if "\n" in action or not action.strip():
        raise InputError(f"{action!r} is not an action reference (OWNER/REPO@REF)")
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory}: exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()):
        raise InputError(
            f"{directory}: not empty; init lays out a new repository in a new or empty directory"
        )
    parent = directory.absolute().parent
    if not parent.is_dir():
        raise InputError(f"{directory}: directory {parent} does not exist")
    files = _files(
        policy_id,
        title or "Champ d'application de l'assistance",
        product,
        action.strip(),
        today or date.today(),
    )
    scratch = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".init", dir=parent))
    try:
        for name, data in files.items():
            path = scratch / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        scratch.chmod(0o755)
        if directory.is_dir():
            directory.rmdir()  # empty, checked above: replaced by the complete layout
        scratch.replace(directory)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return Layout(directory, policy_id, FIRST_VERSION, tuple(files))


def describe(layout: Layout) -> str:
    """What init wrote, and what to do next."""
    lines = [f"laid out {layout.policy_id} {layout.version} in {layout.root}:"]
    lines += [f"  {name}" for name in layout.files]
    lines += [
        "next:",
        f"  cd {layout.root} && git init && git add -A && git commit -m 'Policy {layout.policy_id} {layout.version}'",
        "  pre-commit install     # validate and check on every commit",
        "  support-scope check    # what CI runs",
    ]
    return "\n".join(lines) + "\n"
