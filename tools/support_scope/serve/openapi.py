"""The OpenAPI 3.1 document of the service, describing the facts of the release being served.

``GET /openapi.json`` gives it: the endpoints, and a question's schema with the release's own
vocabulary (its plans, categories and products as enums; its facts as the context's properties,
each with its type and minimum). It is built once per release, when the release is loaded, and
changes with it. Schemas are JSON Schema 2020-12, as OpenAPI 3.1 has them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from support_scope import __version__
from support_scope.model.vocab import (
    BILLING_KINDS,
    CAVEAT_KINDS,
    CHECK_SCOPES,
    CONDITION_STATES,
    MATCH_KINDS,
    OUTCOMES,
    RULE_KINDS,
    STATUSES,
)

if TYPE_CHECKING:
    from support_scope.serve.loaded import Loaded

MAX_BATCH = 1000  # questions in one batch
FIND_LIMIT = 10  # matches of a search by default, as `support-scope find` gives
MAX_FIND_LIMIT = 100  # and at most
MAX_QUERY = 500  # characters of a search
_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _text(language_map: dict[str, str]) -> str:
    return language_map.get("en") or language_map["fr"]


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": _ref("Problem")}}}


_ERRORS = {
    "400": _problem("The body is not JSON."),
    "413": _problem("The body is larger than the service accepts."),
    "422": _problem("A member names an unknown id or has a bad value; each is named by its JSON pointer."),
    "503": _problem("No verified release is loaded yet."),
}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _strings() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


def _schemas() -> dict[str, Any]:
    """The answers' shapes, the same for every release: ``Decision.to_json()`` and
    ``FindAnswer.to_json()`` (:mod:`support_scope.consume.values`), and the problems."""
    text = _ref("LanguageMap")
    billing = {
        "type": "object",
        "required": ["kind", "text", "minimum_hours"],
        "properties": {
            "kind": {"type": "string", "enum": list(BILLING_KINDS)},
            "text": text,
            "minimum_hours": {"type": ["integer", "null"]},
        },
    }
    provenance = {
        "description": "Where the source document says it; or the review workbook a reviewer added the line in.",
        "oneOf": [
            {
                "type": "object",
                "required": ["page", "line", "column"],
                "properties": {
                    "page": {"type": ["integer", "null"]},
                    "line": {"type": ["integer", "null"]},
                    "column": {"type": ["string", "null"]},
                    "section": {"type": "string"},
                },
                "not": {"required": ["review"]},
            },
            {
                "type": "object",
                "required": ["review"],
                "properties": {
                    "review": {
                        "type": "object",
                        "required": ["workbook", "sheet", "row", "date"],
                        "properties": {
                            "workbook": {"type": "string"},
                            "sheet": {"type": "string"},
                            "row": {"type": "integer"},
                            "date": {"type": "string"},
                        },
                    }
                },
            },
        ],
    }
    citation = {
        "type": "object",
        "required": ["category", "category_title", "item", "text", "provenance"],
        "properties": {
            "category": {"type": "string"},
            "category_title": text,
            "item": {"type": ["string", "null"]},
            "text": _nullable(text),
            "provenance": _ref("Provenance"),
            "via": {"type": ["string", "null"]},
            "via_category": {"type": ["string", "null"]},
        },
    }
    check = {
        "type": "object",
        "required": ["id", "scope", "text", "state", "facts", "missing"],
        "properties": {
            "id": {"type": "string"},
            "scope": {"type": "string", "enum": list(CHECK_SCOPES)},
            "text": text,
            "state": {"type": "string", "enum": list(CONDITION_STATES)},
            "facts": _strings(),
            "missing": _strings(),
        },
    }
    line = {"type": ["integer", "null"]}
    decision = {
        "type": "object",
        "description": "Decision.to_json(): what `support-scope decide --format json` gives as its decision.",
        "required": [
            "outcome",
            "conditional",
            "plan",
            "category",
            "item",
            "request",
            "product",
            "reason",
            "rule",
            "citation",
            "cites",
            "tier",
            "plans",
            "referrals",
            "offers",
            "billing",
            "caveats",
            "conditions",
            "pending",
            "pending_facts",
        ],
        "properties": {
            "outcome": {"type": "string", "enum": list(OUTCOMES)},
            "conditional": {
                "type": "boolean",
                "description": "True when a fact left unknown could still change the outcome (ask pending_facts).",
            },
            "plan": {"type": "string"},
            "category": {"type": "string"},
            "item": {"type": ["string", "null"]},
            "request": {"type": ["string", "null"]},
            "product": {"type": ["string", "null"]},
            "reason": text,
            "rule": {
                "type": "object",
                "required": ["kind", "id"],
                "properties": {
                    "kind": {"type": "string", "enum": list(RULE_KINDS)},
                    "id": {"type": ["string", "null"]},
                },
            },
            "citation": _ref("Citation"),
            "cites": {"type": "array", "items": {"type": "integer"}},
            "tier": {"type": ["string", "null"]},
            "plans": _strings(),
            "referrals": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "string"}, "name": text},
                },
            },
            "offers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "text", "billing", "line"],
                    "properties": {
                        "id": {"type": "string"},
                        "text": text,
                        "billing": _ref("Billing"),
                        "line": line,
                    },
                },
            },
            "billing": _nullable(_ref("Billing")),
            "caveats": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kind", "id", "text", "line"],
                    "properties": {
                        "kind": {"type": "string", "enum": list(CAVEAT_KINDS)},
                        "id": {"type": "string"},
                        "text": text,
                        "line": line,
                    },
                },
            },
            "conditions": {"type": "array", "items": _ref("Check")},
            "pending": {**_strings(), "description": "The ids of the open checks that matter."},
            "pending_facts": {**_strings(), "description": "The facts to ask to settle the answer."},
        },
    }
    answer = {
        "description": "Decision.to_json(), plus the decision's id and the release that answered.",
        "allOf": [
            {
                "type": "object",
                "required": ["decision_id", "release"],
                "properties": {
                    "decision_id": {"type": "string", "format": "uuid"},
                    "release": _ref("ReleaseId"),
                },
            },
            _ref("Decision"),
        ],
    }
    match_line = {
        "type": "object",
        "required": [
            "ref",
            "kind",
            "category",
            "item",
            "grant",
            "term",
            "text",
            "status",
            "tier",
            "provenance",
            "decision",
            "reason",
        ],
        "properties": {
            "ref": {"type": "string", "description": "category/item, grant:id or term:id"},
            "kind": {"type": "string", "enum": list(MATCH_KINDS)},
            "category": {"type": ["string", "null"]},
            "category_title": {"type": ["string", "null"]},
            "category_title_en": {"type": ["string", "null"]},
            "item": {"type": ["string", "null"]},
            "grant": {"type": ["string", "null"]},
            "term": {"type": ["string", "null"]},
            "text": {"type": "string"},
            "text_en": {"type": ["string", "null"]},
            "status": {"type": ["string", "null"], "enum": [*STATUSES, None]},
            "tier": {"type": ["string", "null"]},
            "via": {"type": ["string", "null"]},
            "referrals": _strings(),
            "billing": _nullable(_ref("Billing")),
            "provenance": _ref("Provenance"),
            "decision": {
                "type": ["string", "null"],
                "enum": [*OUTCOMES, None],
                "description": "With a plan: the outcome for that plan (an item's decision, a grant's verdict).",
            },
            "reason": _nullable(text),
        },
    }
    match = {
        "allOf": [
            match_line,
            {
                "type": "object",
                "required": ["rank", "score", "matched", "same"],
                "properties": {
                    "rank": {"type": "integer", "minimum": 1},
                    "score": {"type": "number"},
                    "matched": {**_strings(), "description": "The words of the line the search matched."},
                    "same": {
                        "type": "array",
                        "items": _ref("MatchLine"),
                        "description": "Identical lines elsewhere, shown as this one answer.",
                    },
                },
            },
        ]
    }
    find_answer = {
        "type": "object",
        "description": "FindAnswer.to_json(): what `support-scope find --format json` prints; best first.",
        "required": ["query", "plan", "product", "release", "matches"],
        "properties": {
            "query": {"type": "string"},
            "plan": {"type": ["string", "null"]},
            "product": {"type": ["string", "null"]},
            "release": _ref("ReleaseId"),
            "matches": {"type": "array", "items": _ref("Match")},
        },
    }
    problem = {
        "type": "object",
        "description": "An error (RFC 9457); 'errors' names each member at fault by its JSON pointer.",
        "required": ["title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["detail"],
                    "properties": {
                        "pointer": {"type": "string"},
                        "parameter": {"type": "string"},
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    }
    return {
        "Answer": answer,
        "Decision": decision,
        "Citation": citation,
        "Check": check,
        "Billing": billing,
        "Provenance": provenance,
        "FindAnswer": find_answer,
        "Match": match,
        "MatchLine": match_line,
        "ReleaseId": {
            "type": "object",
            "required": ["policy_id", "policy_version", "digest"],
            "properties": {
                "policy_id": {"type": "string"},
                "policy_version": {"type": "string"},
                "digest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
            },
        },
        "LanguageMap": {"type": "object", "required": ["fr"], "additionalProperties": {"type": "string"}},
        "Problem": problem,
    }


def openapi_document(loaded: Loaded) -> dict[str, Any]:
    """The OpenAPI 3.1 document for the release ``loaded``."""
    ruleset = loaded.ruleset
    info = ruleset.info
    context: dict[str, Any] = {}
    for fact in loaded.declared_facts:
        schema: dict[str, Any] = {"type": [fact["type"], "null"], "description": _text(fact["description"])}
        if "minimum" in fact:
            schema["minimum"] = fact["minimum"]
        context[fact["id"]] = schema
    kinds = "; ".join(f"{kind}: {name.in_language('en')}" for kind, name in ruleset.request_kinds.items())
    question: dict[str, Any] = {
        "type": "object",
        "description": (
            "A question: the keywords of Ruleset.decide. The request is an item of the category (a line "
            "of the matrix), or a request kind (no line named), or neither (a request nothing names)."
        ),
        "required": ["plan", "category"],
        "additionalProperties": False,
        "properties": {
            "plan": {"type": "string", "enum": list(ruleset.plans), "description": "The customer's plan."},
            "category": {
                "type": "string",
                "enum": list(ruleset.categories),
                "description": "The category of the request (GET /v1/find finds it).",
            },
            "item": {
                "type": ["string", "null"],
                "description": "The item of the category (GET /v1/find finds it); absent or null for a "
                "request the category lists nowhere.",
            },
            "request": {
                "type": ["string", "null"],
                "enum": [*ruleset.request_kinds, None],
                "description": f"A request kind, for a question that names no item ({kinds}).",
            },
            "product": {
                "type": ["string", "null"],
                "enum": [*ruleset.products, None],
                "description": "The customer's product; one not covered gives 'ineligible'.",
            },
            "context": {
                "type": ["object", "null"],
                "description": "Facts about the request; a fact left out (or null) is unknown.",
                "properties": context,
                "additionalProperties": False,
            },
        },
        # An item and a request kind are two ways to name the request: one at most.
        "not": {
            "required": ["item", "request"],
            "properties": {"item": {"type": "string"}, "request": {"type": "string"}},
        },
    }
    anything = {"type": "object"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "support-scope decision service",
            "version": __version__,
            "description": (
                f"Decisions of the release {info.policy_id} {info.policy_version} ({info.digest}): "
                "whether a support request is in scope for a customer, with the line of the source it rests on. "
                "This document describes that release's plans, categories, products and facts."
            ),
        },
        "paths": {
            "/v1/decide": {
                "post": {
                    "operationId": "decide",
                    "summary": "Decide one question.",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("Question")}},
                    },
                    "responses": {"200": _json(_ref("Answer"), "The decision."), **_ERRORS},
                }
            },
            "/v1/decide/batch": {
                "post": {
                    "operationId": "decideBatch",
                    "summary": "Decide many questions: one answer each, in order, all from one release.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["questions"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "questions": {
                                            "type": "array",
                                            "items": _ref("Question"),
                                            "minItems": 1,
                                            "maxItems": MAX_BATCH,
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["release", "answers"],
                                "properties": {
                                    "release": _ref("ReleaseId"),
                                    "answers": {"type": "array", "items": _ref("Answer")},
                                },
                            },
                            "One answer per question, in order.",
                        ),
                        **_ERRORS,
                    },
                }
            },
            "/v1/find": {
                "get": {
                    "operationId": "find",
                    "summary": "The lines of the matrix that answer a ticket's words, best first.",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "description": "The ticket's words, French or English, as typed.",
                            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY},
                        },
                        {
                            "name": "plan",
                            "in": "query",
                            "description": "With a plan, each line carries its decision for that plan.",
                            "schema": {"type": "string", "enum": list(ruleset.plans)},
                        },
                        {
                            "name": "product",
                            "in": "query",
                            "description": "The customer's product, with a plan.",
                            "schema": {"type": "string", "enum": list(ruleset.products)},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_FIND_LIMIT,
                                "default": FIND_LIMIT,
                            },
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("FindAnswer"), "The matches."),
                        "422": _ERRORS["422"],
                        "503": _ERRORS["503"],
                    },
                }
            },
            "/v1/release": {
                "get": {
                    "operationId": "release",
                    "summary": "The manifest of the release being served, and where it came from.",
                    "responses": {"200": _json(anything, "The release."), "503": _ERRORS["503"]},
                }
            },
            "/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Readiness: 200 when a verified release is served; the last reload's detail.",
                    "responses": {
                        "200": _json(anything, "Ready."),
                        "503": _json(anything, "Not ready: no verified release loaded."),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "summary": "Prometheus metrics.",
                    "responses": {
                        "200": {
                            "description": "The metrics.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
        },
        "components": {"schemas": {"Question": question, **_schemas()}},
    }
