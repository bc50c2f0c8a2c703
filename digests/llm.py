"""Optional: let a language model phrase the answer from the retrieved sentences only.

Off by default (config ``llm.enabled: false``). The model sees the question and the numbered
sentences ``answer`` chose, and is told to use nothing else and to cite them as [1], [2]. Any
failure (network, timeout, HTTP error, odd payload, a reply citing no sentence) gives ``None``,
and the caller keeps the extractive answer: the model can only ever improve the wording.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from digests.ask import AnswerSource

__all__ = ["SYSTEM_PROMPT", "build_messages", "compose_answer"]

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You answer questions about news using ONLY the numbered sentences you are given. "
    "Do not add facts, names, numbers or dates that are not in those sentences. "
    "Cite every claim with the number of its sentence in square brackets, like [1] or [2]. "
    "Answer in one to three short sentences. If the sentences do not answer the question, "
    "reply exactly: NO ANSWER"
)
MAX_ANSWER_CHARS = 1200
_CITATION = re.compile(r"\[(\d+)\]")


def build_messages(question: str, sentences: Sequence[AnswerSource]) -> list[dict[str, str]]:
    """The chat messages: the rules, then the question and the numbered sentences."""
    numbered = "\n".join(
        f"[{i}] {s.sentence} (source: {s.title})" for i, s in enumerate(sentences, 1)
    )
    user = f"Question: {question.strip()[:1000]}\n\nSentences:\n{numbered}"
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def _reply_text(payload: Any) -> str | None:
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    return content.strip() if isinstance(content, str) else None


def compose_answer(
    question: str,
    sentences: Sequence[AnswerSource],
    *,
    base_url: str,
    model: str,
    api_key: str | None,
    timeout: float,
) -> str | None:
    """The model's cited answer from ``sentences``, or None (then keep the extractive one).

    ``base_url`` is an OpenAI-compatible API root such as ``http://127.0.0.1:11434/v1``; the
    request goes to ``{base_url}/chat/completions``. A reply is accepted only when it cites at
    least one given sentence and cites no sentence that was not given.
    """
    if not sentences or not question.strip():
        return None
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    body = {
        "model": model,
        "messages": build_messages(question, sentences),
        "temperature": 0,
    }
    url = base_url.rstrip("/") + "/chat/completions"
    import httpx  # only when an LLM is configured: the import costs every command ~0.15 s

    try:
        response = httpx.post(url, json=body, headers=headers, timeout=timeout)
        response.raise_for_status()
        text = _reply_text(response.json())
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as e:
        log.warning("llm: no composed answer (%s: %s)", type(e).__name__, e)
        return None
    if not text or text.upper().startswith("NO ANSWER"):
        return None
    cited = {int(n) for n in _CITATION.findall(text)}
    if not cited or not cited <= set(range(1, len(sentences) + 1)):
        log.warning("llm: reply dropped, citations %s outside 1..%d", cited, len(sentences))
        return None
    return text[:MAX_ANSWER_CHARS]
