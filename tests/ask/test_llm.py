"""compose_answer() against a local fake OpenAI-compatible endpoint (pytest-httpserver)."""

from __future__ import annotations

import json
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from digests.ask import AnswerSource
from digests.llm import SYSTEM_PROMPT, compose_answer

SENTENCES = (
    AnswerSource(
        "Noem Cultivates Security Ties In Colombia Visit",
        "file:///noem.txt",
        "Both nations have worked together to achieve over 1,700 deportations.",
    ),
    AnswerSource("Other", "https://example.com/b", "Noem touched down in Bogotá on Thursday."),
)


def _reply(content: str) -> dict[str, object]:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}


def _compose(server: HTTPServer, timeout: float = 5.0) -> str | None:
    return compose_answer(
        "How many people were deported?",
        SENTENCES,
        base_url=server.url_for("/v1"),
        model="test-model",
        api_key="sk-test",
        timeout=timeout,
    )


def test_cited_answer_is_returned_and_the_prompt_holds_only_the_sentences(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request(
        "/v1/chat/completions", method="POST", headers={"Authorization": "Bearer sk-test"}
    ).respond_with_json(_reply("Over 1,700 people were deported [1]."))
    assert _compose(httpserver) == "Over 1,700 people were deported [1]."

    request, _ = httpserver.log[0]
    body = json.loads(request.get_data())
    assert body["model"] == "test-model"
    system, user = body["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    assert "ONLY the numbered sentences" in system["content"] and "[1]" in system["content"]
    assert "How many people were deported?" in user["content"]
    assert f"[1] {SENTENCES[0].sentence}" in user["content"]
    assert f"[2] {SENTENCES[1].sentence}" in user["content"]


def test_server_error_falls_back(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/chat/completions").respond_with_data("boom", status=500)
    assert _compose(httpserver) is None


def test_timeout_falls_back(httpserver: HTTPServer) -> None:
    def slow(_: Request) -> Response:
        time.sleep(1.0)
        return Response(json.dumps(_reply("late [1]")), content_type="application/json")

    httpserver.expect_request("/v1/chat/completions").respond_with_handler(slow)
    started = time.monotonic()
    assert _compose(httpserver, timeout=0.2) is None
    assert time.monotonic() - started < 0.9


@pytest.mark.parametrize(
    "content",
    [
        "About 1,700 people were deported.",  # no citation
        "1,700 deportations [1], and 5,000 more [3].",  # cites a sentence it was not given
        "NO ANSWER",
        "",
    ],
)
def test_uncited_or_empty_replies_are_dropped(httpserver: HTTPServer, content: str) -> None:
    httpserver.expect_request("/v1/chat/completions").respond_with_json(_reply(content))
    assert _compose(httpserver) is None


@pytest.mark.parametrize(
    "payload", ["not json", json.dumps({"choices": []}), json.dumps({"error": "x"})]
)
def test_malformed_payloads_fall_back(httpserver: HTTPServer, payload: str) -> None:
    httpserver.expect_request("/v1/chat/completions").respond_with_data(
        payload, content_type="application/json"
    )
    assert _compose(httpserver) is None


def test_unreachable_or_bad_url_falls_back(httpserver: HTTPServer) -> None:
    port = httpserver.port
    httpserver.stop()  # nothing listens there any more
    try:
        for base in (f"http://127.0.0.1:{port}/v1", "not a url", "ftp://127.0.0.1/v1"):
            got = compose_answer(
                "q?", SENTENCES, base_url=base, model="m", api_key=None, timeout=1.0
            )
            assert got is None
    finally:
        httpserver.start()


def test_nothing_to_compose_sends_nothing(httpserver: HTTPServer) -> None:
    args = {"base_url": httpserver.url_for("/v1"), "model": "m", "api_key": None, "timeout": 1.0}
    assert compose_answer("q?", (), **args) is None  # type: ignore[arg-type]
    assert compose_answer("   ", SENTENCES, **args) is None  # type: ignore[arg-type]
    assert httpserver.log == []
