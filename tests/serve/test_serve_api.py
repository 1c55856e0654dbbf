"""The decision service's endpoints, over real HTTP to a real server: the answers `decide` gives,
every bad input a 4xx naming the field, never a 500; metrics, OpenAPI, decision logs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Cli
from serve.live import Reply, Server, call, run_serve

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CONTEXT = {"new_customer": True, "days_since_first_invoice": 45}
GO_LIVE = {"plan": "standard", "category": "cloud-onboarding", "item": "cloud-onboarding-go-live"}
DECLARED = (
    "active_subscription, booked_through_sales, caused_by_customer_environment, database_version, "
    "days_since_first_invoice, new_customer, rest_of_network_working, supported_platform"
)
KINDS = "dialog-error, other-error, usage-help, training-consulting"


@pytest.fixture
def server(start_server: Callable[..., Server], release_path: Path) -> Server:
    return start_server("--release", str(release_path))


def cli_decision(run_cli: Cli, release: Path, question: dict[str, Any]) -> dict[str, Any]:
    """What `support-scope decide --format json` answers to the same question."""
    args = ["decide", "--release", str(release), "--format", "json"]
    for name in ("plan", "category", "item", "request", "product"):
        if question.get(name) is not None:
            args += [f"--{name}", question[name]]
    for fact, value in (question.get("context") or {}).items():
        args += ["--context", f"{fact}={json.dumps(value)}"]
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def problems(reply: Reply) -> dict[str, str]:
    """The problems of a 4xx, by pointer (or parameter)."""
    assert reply.headers["content-type"] == "application/problem+json"
    return {entry.get("pointer", entry.get("parameter")): entry["detail"] for entry in reply.json["errors"]}


# --------------------------------------------------------------------------- the same answers as decide


@pytest.mark.parametrize(
    "question",
    [
        {"plan": "standard", "category": "companion-app", "item": "companion-app-app-store-download"},
        {"plan": "standard", "category": "desktop-setup", "item": "desktop-setup-install-config-assistance"},
        {"plan": "pro", "category": "desktop-setup", "item": "desktop-setup-install-config-assistance"},
        {"plan": "standard", "category": "companion-app"},
        {
            "plan": "extended",
            "category": "desktop-setup",
            "item": "desktop-setup-kb-pages",
            "product": "act-crm-classic-expert",
        },
        {**GO_LIVE, "context": {"new_customer": False}},
        {**GO_LIVE, "product": "act-premium", "context": CONTEXT},
        {"plan": "standard", "category": "desktop-setup", "request": "dialog-error"},
        {"plan": "standard", "category": "desktop-setup", "request": "training-consulting", "item": None},
        {
            "plan": "extended",
            "category": "desktop-setup",
            "request": "other-error",
            "context": {"caused_by_customer_environment": True},
        },
    ],
    ids=[
        "excluded",
        "upgrade",
        "included",
        "unlisted",
        "ineligible-product",
        "ineligible-condition",
        "pending",
        "request-kind",
        "request-kind-unlisted",
        "request-kind-not-covered",
    ],
)
def test_decide_answers_what_the_command_answers(
    server: Server, run_cli: Cli, release_path: Path, question: dict[str, Any]
) -> None:
    reply = server.decide(**question)
    assert reply.status == 200, reply.body
    assert reply.headers["content-type"] == "application/json"
    answer = reply.json
    expected = cli_decision(run_cli, release_path, question)
    assert UUID.match(answer.pop("decision_id"))
    assert answer.pop("release") == expected["release"]
    assert answer == expected["decision"]


def test_each_decision_has_its_own_id_and_names_its_release(server: Server, release_path: Path) -> None:
    manifest = json.loads(release_path.read_bytes())["manifest"]
    ids = set()
    for _ in range(5):
        answer = server.decide(**GO_LIVE).json
        ids.add(answer["decision_id"])
        assert answer["release"] == {
            "policy_id": "act-premium-support-scope",
            "policy_version": "2.0.1",
            "digest": manifest["digest"],
        }
    assert len(ids) == 5


def test_the_done_when_curl_line(server: Server, run_cli: Cli, release_path: Path) -> None:
    """`curl -X POST localhost:PORT/v1/decide -d '{…}'`: curl's default form content type is fine."""
    if (curl := shutil.which("curl")) is None:
        pytest.skip("curl is not installed")
    question = {"plan": "standard", "category": "desktop-setup", "item": "desktop-setup-kb-pages"}
    out = subprocess.run(
        [curl, "-s", "-X", "POST", f"localhost:{server.port}/v1/decide", "-d", json.dumps(question)],
        capture_output=True,
        check=True,
    ).stdout
    answer = json.loads(out)
    assert answer["outcome"] == "included"
    del answer["decision_id"]
    assert answer["release"] == cli_decision(run_cli, release_path, question)["release"]


def test_batch_answers_each_question_in_order(server: Server, run_cli: Cli, release_path: Path) -> None:
    questions = [
        {"plan": "standard", "category": "desktop-setup", "item": "desktop-setup-install-config-assistance"},
        {"plan": "pro", "category": "desktop-setup", "item": "desktop-setup-install-config-assistance"},
        {"plan": "standard", "category": "companion-app"},
        {**GO_LIVE, "context": {"new_customer": False}},
    ]
    reply = server.call("POST", "/v1/decide/batch", {"questions": questions})
    assert reply.status == 200, reply.body
    data = reply.json
    assert [a["outcome"] for a in data["answers"]] == ["upgrade", "included", "unlisted", "ineligible"]
    for question, answer in zip(questions, data["answers"], strict=True):
        expected = cli_decision(run_cli, release_path, question)
        assert answer.pop("release") == data["release"] == expected["release"]
        assert UUID.match(answer.pop("decision_id"))
        assert answer == expected["decision"]
    assert float(reply.headers["server-timing"].split("dur=")[1]) > 0


def test_a_batch_of_a_hundred(server: Server) -> None:
    questions = [{"plan": plan, "category": "companion-app"} for plan in ("standard", "extended", "pro")] * 34
    data = server.call("POST", "/v1/decide/batch", {"questions": questions[:100]}).json
    assert len(data["answers"]) == 100
    assert len({a["decision_id"] for a in data["answers"]}) == 100
    assert [a["plan"] for a in data["answers"]] == [q["plan"] for q in questions[:100]]


# --------------------------------------------------------------------------- bad input: named, never a 500


def test_every_problem_named_by_its_pointer(server: Server) -> None:
    reply = server.decide(
        plan="gold",
        category="desktop-setup",
        product="act-nothing",
        context={"new_customer": "yes", "days_since_first_invoice": -1, "shoe_size": 42, "a/b": 1},
        colour="blue",
    )
    assert reply.status == 422
    assert problems(reply) == {
        "/colour": 'unknown member "colour": a question has plan, category, item, request, product, context',
        "/plan": 'unknown plan "gold" (known: standard, extended, pro)',
        "/product": 'unknown product "act-nothing" (known: act-premium, act-growth-suite, act-crm-classic-essentials, '
        "act-crm-classic-standard, act-crm-classic-expert)",
        "/context/new_customer": "fact 'new_customer' is a boolean, not 'yes'",
        "/context/days_since_first_invoice": "fact 'days_since_first_invoice' is at least 0, not -1",
        "/context/shoe_size": f"unknown fact 'shoe_size' in the context (declared: {DECLARED})",
        "/context/a~1b": f"unknown fact 'a/b' in the context (declared: {DECLARED})",
    }
    assert reply.json["status"] == 422 and reply.json["title"] == "Unprocessable Content"


@pytest.mark.parametrize(
    ("question", "pointer", "detail"),
    [
        ({"category": "desktop-setup"}, "/plan", "required: the plan id"),
        ({"plan": "standard"}, "/category", "required: the category id"),
        ({"plan": 3, "category": "desktop-setup"}, "/plan", "the plan is an id (a text), not a number"),
        (
            {"plan": "standard", "category": "desktop-setup", "item": "companion-app-app-store-download"},
            "/item",
            "item 'companion-app-app-store-download' is not listed in category 'desktop-setup' (it is in companion-app)",
        ),
        (
            {"plan": "standard", "category": "desktop-setup", "item": "no-such-item"},
            "/item",
            "unknown item 'no-such-item' (not in any category; try `find`)",
        ),
        (
            {"plan": "standard", "category": "desktop-setup", "context": ["new_customer"]},
            "/context",
            "the context is an object mapping fact names to values, not a list",
        ),
        (
            {"plan": "standard", "category": "desktop-setup", "context": {"days_since_first_invoice": 1.5}},
            "/context/days_since_first_invoice",
            "fact 'days_since_first_invoice' is an integer, not 1.5",
        ),
        (
            {"plan": "standard", "category": "desktop-setup", "context": {"new_customer": 1}},
            "/context/new_customer",
            "fact 'new_customer' is a boolean, not 1",
        ),
        (
            [1, 2],
            "",
            "a question is a JSON object with plan, category, item, request, product, context; this is a list",
        ),
        (
            {"plan": "standard", "category": "desktop-setup", "request": "complaint"},
            "/request",
            f'unknown request kind "complaint" (known: {KINDS})',
        ),
        (
            {"plan": "standard", "category": "desktop-setup", "request": ["dialog-error"]},
            "/request",
            "the request kind is an id (a text), not a list",
        ),
        (
            {
                "plan": "standard",
                "category": "desktop-setup",
                "item": "desktop-setup-dialog-errors",
                "request": "dialog-error",
            },
            "/request",
            "name an item or a request kind, not both (a request kind names no line)",
        ),
        (
            {"plan": "standard", "request": "dialog-error"},
            "/category",
            "required: the category id",
        ),
    ],
)
def test_one_problem(server: Server, question: Any, pointer: str, detail: str) -> None:
    reply = server.call("POST", "/v1/decide", question)
    assert reply.status == 422
    assert problems(reply) == {pointer: detail}


def test_batch_problems_are_named_by_question(server: Server) -> None:
    reply = server.call(
        "POST",
        "/v1/decide/batch",
        {
            "questions": [
                {"plan": "standard", "category": "companion-app"},
                {"plan": "gold", "category": "companion-app"},
                {"plan": "standard", "category": "desktop-setup", "item": "nothing"},
            ]
        },
    )
    assert reply.status == 422
    assert problems(reply) == {
        "/questions/1/plan": 'unknown plan "gold" (known: standard, extended, pro)',
    }
    reply = server.call(
        "POST",
        "/v1/decide/batch",
        {"questions": [{"plan": "standard", "category": "desktop-setup", "item": "nothing"}]},
    )
    assert problems(reply) == {
        "/questions/0/item": "unknown item 'nothing' (not in any category; try `find`)"
    }
    assert problems(server.call("POST", "/v1/decide/batch", {"questions": []})) == {
        "/questions": "a list of 1 to 1,000 questions"
    }
    assert problems(server.call("POST", "/v1/decide/batch", [])) == {
        "": 'a batch is a JSON object {"questions": [...]}'
    }


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b'{"plan": "standard"', "not valid JSON at line 1, column 20: Expecting ',' delimiter"),
        (b"", "the body is empty: send a JSON object"),
        (b"\xff\xfe{}", "the body is not UTF-8 text (byte 0)"),
        (
            b'{"plan": "standard", "plan": "pro", "category": "x"}',
            'not valid JSON: member "plan" appears twice in one object',
        ),
        (b'{"plan": NaN}', "not valid JSON: NaN is not a JSON value"),
        (b"[" * 100_000, "not valid JSON: nested too deeply"),
    ],
    ids=["truncated", "empty", "not-utf8", "repeated-member", "nan", "deep"],
)
def test_a_body_that_is_not_json_is_a_400(server: Server, raw: bytes, detail: str) -> None:
    reply = server.call("POST", "/v1/decide", raw=raw)
    assert reply.status == 400
    assert reply.json == {"title": "Bad Request", "status": 400, "detail": detail}


def test_bodies_have_a_size_limit(start_server: Callable[..., Server], release_path: Path) -> None:
    server = start_server("--release", str(release_path), "--max-body", "2048")
    big = {"plan": "standard", "category": "desktop-setup", "item": "x" * 4000}
    reply = server.call("POST", "/v1/decide", big)
    assert reply.status == 413
    assert reply.json["detail"] == "the body is larger than 2,048 bytes"
    # Without a Content-Length (chunked), the limit holds as the body arrives.
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(
            "POST", "/v1/decide", body=iter([b"{" + b" " * 1500, b" " * 1500 + b"}"]), encode_chunked=True
        )
        response = connection.getresponse()
        assert response.status == 413
        response.read()
    finally:
        connection.close()
    assert server.decide(plan="standard", category="companion-app").status == 200


def test_unknown_paths_and_methods_are_problems_too(server: Server) -> None:
    reply = server.call("GET", "/v1/nothing")
    assert (reply.status, reply.json["title"]) == (404, "Not Found")
    reply = server.call("GET", "/v1/decide")
    assert (reply.status, reply.json["title"]) == (405, "Method Not Allowed")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
questions = st.fixed_dictionaries(
    {},
    optional={
        "plan": st.sampled_from(["standard", "pro", "gold", ""]) | json_values,
        "category": st.sampled_from(["desktop-setup", "companion-app", "nope"]) | json_values,
        "item": st.sampled_from(["desktop-setup-kb-pages", "companion-app-app-store-download"]) | json_values,
        "product": st.sampled_from(["act-premium", "act-crm-classic-expert"]) | json_values,
        "context": st.dictionaries(
            st.sampled_from(["new_customer", "days_since_first_invoice", "x"]) | st.text(max_size=5),
            json_values,
            max_size=3,
        )
        | json_values,
        "request": json_values,
    },
)


def test_no_body_is_a_500(server: Server) -> None:
    """Whatever JSON a client sends, the answer is a 200, a 400 or a 422 with a problem named."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.one_of(questions, json_values))
    def check(body: Any) -> None:
        reply = call(server.port, "POST", "/v1/decide", raw=json.dumps(body).encode(), connection=connection)
        assert reply.status in (200, 422), (body, reply.body)
        if reply.status == 422:
            assert reply.json["errors"]

    try:
        check()
    finally:
        connection.close()
    assert server.health()["status"] == "ready"


def test_a_release_the_procedure_cannot_read_is_a_500_naming_it_not_a_422(
    start_server: Callable[..., Server], release_path: Path, tmp_path: Path
) -> None:
    """A release edited and re-hashed into a shape the compiler never writes passes the digest;
    the question that reaches the damage is the service's fault (500, saying so), not the client's."""
    from support_scope.compile.compiler import release_bytes
    from support_scope.compile.verify import release_digest

    document = json.loads(release_path.read_bytes())
    [category] = [c for c in document["compiled"]["categories"] if c["id"] == "desktop-setup"]
    [rule] = [r for r in category["rules"] if r["item"] == "desktop-setup-dialog-errors"]
    rule["tier"] = "platinum"  # no such tier
    document["manifest"]["digest"] = release_digest(document)
    damaged = tmp_path / "damaged.json"
    damaged.write_bytes(release_bytes(document))
    server = start_server("--release", str(damaged))
    question = {"plan": "standard", "category": "desktop-setup", "item": "desktop-setup-dialog-errors"}
    reply = server.decide(**question)
    assert reply.status == 500
    assert reply.json["detail"] == (
        f"the release served cannot answer this question: {damaged}: not a compiled release this version can "
        "decide from (KeyError: 'platinum'); compile the policy again"
    )
    batch = server.call("POST", "/v1/decide/batch", {"questions": [GO_LIVE, question]})
    assert batch.status == 500
    assert batch.json["detail"].startswith(
        "the release served cannot answer this question (question /questions/1): "
    )
    assert server.decide(**GO_LIVE).status == 200  # the rest of the release still answers


# --------------------------------------------------------------------------- find, release, health


def test_find_is_the_search_of_the_command(server: Server, run_cli: Cli, release_path: Path) -> None:
    """q, plan, product and limit go to the ranked `Ruleset.find`; the answer is what `find --format json` prints."""
    ticket = "le client n'arrive plus à sauvegarder son serveur"
    for text, options in [
        ("app store", ["--plan", "standard"]),
        ("app store", []),
        (ticket, ["--plan", "pro", "--product", "act-premium", "--limit", "3"]),
    ]:
        parameters = {
            "q": text,
            **{option[2:]: value for option, value in zip(options[::2], options[1::2], strict=True)},
        }
        reply = server.call("GET", f"/v1/find?{urlencode(parameters)}")
        assert reply.status == 200, reply.body
        assert reply.headers["content-type"] == "application/json"
        result = run_cli("find", text, *options, "--release", str(release_path), "--format", "json")
        assert reply.json == json.loads(result.output)
    answer = server.call("GET", "/v1/find?q=app%20store&plan=standard").json
    assert answer["matches"][0]["ref"] == "companion-app/companion-app-app-store-download"
    assert answer["matches"][0]["decision"] == "excluded"
    assert [m["rank"] for m in answer["matches"]] == list(range(1, len(answer["matches"]) + 1))
    scores = [m["score"] for m in answer["matches"]]
    assert scores == sorted(scores, reverse=True)
    assert len(server.call("GET", "/v1/find?q=erreur").json["matches"]) == 10  # the command's default
    limited = server.call("GET", "/v1/find?q=erreur&limit=1").json
    assert len(limited["matches"]) == 1
    saved = server.call("GET", f"/v1/find?{urlencode({'q': ticket, 'limit': 1})}").json
    assert [(m["ref"], m["text"]) for m in saved["matches"]] == [
        ("third-party-hosting/third-party-hosting-server-backups", "Sauvegardes serveur")
    ]
    assert saved["query"] == ticket and saved["plan"] is None and saved["product"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"q": "required: the words to find"}),
        ("q=x&plan=gold", {"plan": "unknown plan 'gold' (known: standard, extended, pro)"}),
        ("q=x&limit=0", {"limit": "a whole number from 1 to 100"}),
        ("q=x&limit=abc", {"limit": "a whole number from 1 to 100"}),
        ("q=x&limit=101", {"limit": "a whole number from 1 to 100"}),
        ("q=x&product=act-premium", {"product": "a product needs a plan (a decision needs both)"}),
        (
            "q=x&plan=standard&product=act-nothing",
            {
                "product": "unknown product 'act-nothing' (known: act-premium, act-growth-suite, "
                "act-crm-classic-essentials, act-crm-classic-standard, act-crm-classic-expert)"
            },
        ),
        ("q=x&q=y", {"q": "parameter 'q' is given more than once"}),
        ("q=x&colour=blue", {"colour": "unknown parameter 'colour' (known: q, plan, product, limit)"}),
    ],
)
def test_find_parameters_are_checked(server: Server, query: str, expected: dict[str, str]) -> None:
    reply = server.call("GET", f"/v1/find?{query}")
    assert reply.status == 422
    assert problems(reply) == expected
    assert all(entry.keys() == {"parameter", "detail"} for entry in reply.json["errors"])


def test_release_is_the_manifest_served(server: Server, release_path: Path) -> None:
    data = server.call("GET", "/v1/release").json
    assert data["manifest"] == json.loads(release_path.read_bytes())["manifest"]
    assert data["release"]["source"] == str(release_path)
    assert data["release"]["signed_by"] is None


def test_health_is_ready_with_the_reload_detail(server: Server, release_path: Path) -> None:
    reply = server.call("GET", "/health")
    assert reply.status == 200
    health = reply.json
    assert health["status"] == "ready"
    assert health["release"]["policy_version"] == "2.0.1"
    assert health["reload"]["last_check"]["result"] == "loaded"
    assert health["reload"]["failure"] is None
    assert health["reload"]["signature_required"] is False
    assert health["reload"]["rollback_allowed"] is False


# --------------------------------------------------------------------------- metrics


def _samples(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    reply = server.call("GET", "/metrics")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(reply.body.decode())
        for sample in family.samples
    }


def test_metrics_count_decisions_and_name_the_release(server: Server, release_path: Path) -> None:
    server.decide(plan="standard", category="companion-app", item="companion-app-app-store-download")
    server.decide(plan="standard", category="companion-app")
    server.decide(plan="standard", category="companion-app")
    server.call(
        "POST",
        "/v1/decide/batch",
        {"questions": [{"plan": "pro", "category": "desktop-setup", "item": "desktop-setup-kb-pages"}]},
    )
    server.decide(plan="gold", category="companion-app")
    samples = _samples(server)
    assert samples[("support_scope_decisions_total", (("outcome", "excluded"),))] == 1
    assert samples[("support_scope_decisions_total", (("outcome", "unlisted"),))] == 2
    assert samples[("support_scope_decisions_total", (("outcome", "included"),))] == 1
    assert samples[("support_scope_decisions_total", (("outcome", "upgrade"),))] == 0
    assert samples[("support_scope_decision_seconds_count", (("endpoint", "/v1/decide"),))] == 3
    assert samples[("support_scope_decision_seconds_count", (("endpoint", "/v1/decide/batch"),))] == 1
    assert (
        samples[("support_scope_http_requests_total", (("endpoint", "/v1/decide"), ("status", "422")))] == 1
    )
    digest = json.loads(release_path.read_bytes())["manifest"]["digest"]
    info = (
        ("digest", digest),
        ("policy_id", "act-premium-support-scope"),
        ("policy_version", "2.0.1"),
        ("signed_by", ""),
    )
    assert samples[("support_scope_release_info", info)] == 1
    assert samples[("support_scope_release_loaded", ())] == 1
    assert samples[("support_scope_release_last_reload_success", ())] == 1
    assert samples[("support_scope_release_checks_total", (("result", "loaded"),))] == 1
    assert samples[("support_scope_release_last_reload_timestamp_seconds", ())] > 1.7e9


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_document_is_valid_and_describes_the_release(server: Server) -> None:
    from openapi_spec_validator import validate

    document = server.call("GET", "/openapi.json").json
    validate(document)  # OpenAPI 3.1, against the validator's own copy of the meta-schemas: no network
    assert document["openapi"] == "3.1.0"
    question = document["components"]["schemas"]["Question"]["properties"]
    assert question["plan"]["enum"] == ["standard", "extended", "pro"]
    assert len(question["category"]["enum"]) == 16 and "desktop-setup" in question["category"]["enum"]
    assert question["product"]["enum"] == [
        "act-premium",
        "act-growth-suite",
        "act-crm-classic-essentials",
        "act-crm-classic-standard",
        "act-crm-classic-expert",
        None,
    ]
    context = question["context"]["properties"]
    assert context["days_since_first_invoice"]["type"] == ["integer", "null"]
    assert context["days_since_first_invoice"]["minimum"] == 0
    assert context["new_customer"]["type"] == ["boolean", "null"]
    assert sorted(context) == [
        "active_subscription",
        "booked_through_sales",
        "caused_by_customer_environment",
        "database_version",
        "days_since_first_invoice",
        "new_customer",
        "rest_of_network_working",
        "supported_platform",
    ]
    assert question["context"]["additionalProperties"] is False
    assert question["request"]["enum"] == [
        "dialog-error",
        "other-error",
        "usage-help",
        "training-consulting",
        None,
    ]
    assert document["components"]["schemas"]["Question"]["required"] == ["plan", "category"]


def test_answers_and_questions_hold_to_the_openapi_schemas(server: Server) -> None:
    """The document is not decoration: real answers validate against it, bad questions do not."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = server.call("GET", "/openapi.json").json
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:openapi", resource)

    def validator(name: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"urn:openapi#/components/schemas/{name}"}, registry=registry)

    good = {**GO_LIVE, "product": "act-premium", "context": CONTEXT}
    kind = {"plan": "standard", "category": "desktop-setup", "request": "dialog-error"}
    question = validator("Question")
    assert list(question.iter_errors(good)) == []
    assert list(question.iter_errors(kind)) == []  # a request kind, no item
    assert list(question.iter_errors({**kind, "item": None})) == []
    assert list(question.iter_errors({**good, "plan": "gold"})) != []
    assert list(question.iter_errors({**good, "context": {"days_since_first_invoice": -1}})) != []
    assert list(question.iter_errors({**kind, "request": "complaint"})) != []
    assert list(question.iter_errors({**kind, "item": "desktop-setup-dialog-errors"})) != []  # not both
    assert list(question.iter_errors({"plan": "standard", "request": "dialog-error"})) != []  # a category
    answer = validator("Answer")
    for asked in (
        good,
        kind,
        {"plan": "standard", "category": "desktop-setup", "request": "training-consulting"},
        {"plan": "extended", "category": "desktop-setup", "item": "desktop-setup-data-preparation"},
        {"plan": "standard", "category": "desktop-setup", "product": "act-crm-classic-expert"},
    ):
        answer.validate(server.decide(**asked).json)
    assert list(answer.iter_errors({**server.decide(**kind).json, "outcome": "maybe"})) != []
    batch = server.call("POST", "/v1/decide/batch", {"questions": [good, kind]}).json
    for one in batch["answers"]:
        answer.validate(one)
    validator("FindAnswer").validate(server.call("GET", "/v1/find?q=app").json)
    validator("FindAnswer").validate(
        server.call("GET", "/v1/find?q=erreur%20sauvegarde&plan=pro&limit=20").json
    )
    validator("Problem").validate(server.decide(plan="gold", category="x").json)


# --------------------------------------------------------------------------- decision logs


def test_decision_log_lines_with_facts_redacted(
    start_server: Callable[..., Server], release_path: Path, tmp_path: Path
) -> None:
    log = tmp_path / "decisions.jsonl"
    server = start_server(
        "--release", str(release_path), "--log", str(log), "--log-redact", "days_since_first_invoice"
    )
    first = server.decide(**GO_LIVE, context=CONTEXT).json
    batch = server.call(
        "POST",
        "/v1/decide/batch",
        {"questions": [{"plan": "standard", "category": "companion-app"}, GO_LIVE]},
    ).json
    server.stop()  # the log is flushed when the service stops
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [line["decision_id"] for line in lines] == [first["decision_id"]] + [
        a["decision_id"] for a in batch["answers"]
    ]
    line = lines[0]
    assert list(line) == [
        "decision_id",
        "time",
        "release",
        "question",
        "outcome",
        "citation",
        "latency_ms",
        "redacted",
    ]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", line["time"])
    assert line["release"] == first["release"]
    assert line["question"] == {**GO_LIVE, "context": {"new_customer": True}}
    assert "45" not in json.dumps(line["question"])
    assert line["redacted"] == ["days_since_first_invoice"]
    assert line["outcome"] == "included"
    assert line["citation"] == {
        "category": "cloud-onboarding",
        "item": "cloud-onboarding-go-live",
        "provenance": first["citation"]["provenance"],
        "via": None,
        "via_category": None,
    }
    assert line["latency_ms"] >= 0
    assert [entry["batch_index"] for entry in lines[1:]] == [0, 1]
    assert lines[1]["question"] == {"plan": "standard", "category": "companion-app"}


def test_decision_log_to_standard_output(start_server: Callable[..., Server], release_path: Path) -> None:
    server = start_server("--release", str(release_path), "--log", "-", "--log-redact", "*")
    answer = server.decide(**GO_LIVE, context=CONTEXT).json
    server.stop()
    line = json.loads(b"".join(server.stdout).decode())
    assert line["decision_id"] == answer["decision_id"]
    assert line["question"]["context"] == {}
    assert line["redacted"] == ["days_since_first_invoice", "new_customer"]


def test_redacting_an_undeclared_fact_is_refused(
    release_path: Path, tmp_path: Path, serve_env: dict[str, str]
) -> None:
    result = run_serve(
        "--release",
        str(release_path),
        "--log",
        "-",
        "--log-redact",
        "new_custmer",
        cwd=tmp_path,
        env=serve_env,
    )
    assert result.returncode == 1
    assert "--log-redact new_custmer: the release declares no such fact" in result.stderr
    result = run_serve(
        "--release", str(release_path), "--log-redact", "new_customer", cwd=tmp_path, env=serve_env
    )
    assert result.returncode == 2
    assert "--log-redact says what the decision log leaves out: give --log too" in result.stderr


# --------------------------------------------------------------------------- what serving costs the rest


def test_load_release_imports_no_web_stack_and_no_crypto() -> None:
    code = (
        "import sys, json\n"
        "from support_scope import load_release\n"
        "r = load_release(); r.decide(plan='standard', category='desktop-setup')\n"
        "print(json.dumps(sorted(m for m in ('starlette', 'uvicorn', 'prometheus_client', 'cryptography', 'anyio', "
        "'httptools', 'uvloop', 'support_scope.serve', 'support_scope.compile.signing') if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_serve_without_the_extra_says_how_to_install_it(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['uvicorn'] = None\n"
        "from support_scope.cli.main import main\n"
        "main(['serve'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1
    assert "serving needs the serve extra: pip install 'support-scope[serve]'" in result.stderr


def test_nothing_but_the_serve_command_imports_the_serve_stage() -> None:
    """The service is a stage of its own: no other module imports it, even lazily, so that the
    rest of the package never needs the serve extra."""
    import ast

    from builders import imported_names
    from conftest import REPO

    package = REPO / "tools" / "support_scope"
    importers = set()
    for path in package.rglob("*.py"):
        if path.parent.name == "serve" and path.parent.parent == package:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = imported_names(node)
            if any(
                name == "support_scope.serve" or name.startswith("support_scope.serve.") for name in names
            ):
                importers.add(path.relative_to(package).as_posix())
    assert importers == {"cli/serve_cmd.py"}
