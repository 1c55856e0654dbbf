"""The OpenAPI 3.1 document of the service, describing the facts of the release being served.

``GET /openapi.json`` gives it: the endpoints, and a question's schema with the release's own
vocabulary (its plans, categories and products as enums; its facts as the context's properties,
each with its type and minimum). It is built once per release, when the release is loaded, and
changes with it. Schemas are JSON Schema 2020-12, as OpenAPI 3.1 has them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from support_scope import __version__
from support_scope.model.vocab import OUTCOMES

if TYPE_CHECKING:
    from support_scope.serve.loaded import Loaded

MAX_BATCH = 1000  # questions in one batch
MAX_FIND_LIMIT = 1000
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


def openapi_document(loaded: Loaded) -> dict[str, Any]:
    """The OpenAPI 3.1 document for the release ``loaded``."""
    from support_scope.serve.questions import DECIDE_KEYWORDS

    ruleset = loaded.ruleset
    info = ruleset.info
    context: dict[str, Any] = {}
    for fact in loaded.declared_facts:
        schema: dict[str, Any] = {"type": [fact["type"], "null"], "description": _text(fact["description"])}
        if "minimum" in fact:
            schema["minimum"] = fact["minimum"]
        context[fact["id"]] = schema
    question: dict[str, Any] = {
        "type": "object",
        "description": "A question: the keywords of Ruleset.decide.",
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
                "description": "The item of the category; absent or null for a request the category lists nowhere.",
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
    }
    if "request" in DECIDE_KEYWORDS:
        question["properties"]["request"] = {
            "type": ["string", "null"],
            "description": "A request kind, for a question that names no item.",
        }
    language_map = {"type": "object", "required": ["fr"], "additionalProperties": {"type": "string"}}
    release_id = {
        "type": "object",
        "required": ["policy_id", "policy_version", "digest"],
        "properties": {
            "policy_id": {"type": "string"},
            "policy_version": {"type": "string"},
            "digest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
        },
    }
    answer = {
        "type": "object",
        "description": "Decision.to_json(), plus the decision's id and the release that answered.",
        "required": ["decision_id", "release", "outcome", "plan", "category", "reason", "citation"],
        "properties": {
            "decision_id": {"type": "string", "format": "uuid"},
            "release": _ref("ReleaseId"),
            "outcome": {"type": "string", "enum": list(OUTCOMES)},
            "plan": {"type": "string"},
            "category": {"type": "string"},
            "item": {"type": ["string", "null"]},
            "product": {"type": ["string", "null"]},
            "reason": _ref("LanguageMap"),
            "citation": {"type": "object"},
            "tier": {"type": ["string", "null"]},
            "plans": {"type": "array", "items": {"type": "string"}},
            "referrals": {"type": "array", "items": {"type": "object"}},
            "billing": {"type": ["object", "null"]},
            "conditions": {"type": "array", "items": {"type": "object"}},
            "pending": {"type": "array", "items": {"type": "string"}},
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
    find_answer = {
        "type": "object",
        "required": ["query", "release", "matches"],
        "properties": {
            "query": {"type": "string"},
            "plan": {"type": ["string", "null"]},
            "product": {"type": ["string", "null"]},
            "release": _ref("ReleaseId"),
            "matches": {"type": "array", "items": {"type": "object"}},
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
                    "summary": "Find the lines of the matrix that match a ticket's words.",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY},
                        },
                        {
                            "name": "plan",
                            "in": "query",
                            "schema": {"type": "string", "enum": list(ruleset.plans)},
                        },
                        {
                            "name": "product",
                            "in": "query",
                            "schema": {"type": "string", "enum": list(ruleset.products)},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_FIND_LIMIT,
                                "default": MAX_FIND_LIMIT,
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
        "components": {
            "schemas": {
                "Question": question,
                "Answer": answer,
                "FindAnswer": find_answer,
                "ReleaseId": release_id,
                "LanguageMap": language_map,
                "Problem": problem,
            }
        },
    }
