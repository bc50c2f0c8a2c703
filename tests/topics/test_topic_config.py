"""Topics are configuration: the YAML shape, its validation messages, and the shipped topics."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from digests.errors import ConfigError
from digests.topics import TopicDefinition, classify, default_topics, load_topics

REPO = Path(__file__).resolve().parents[2]


def problems_of(mapping: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_topics(mapping)  # type: ignore[arg-type]
    return caught.value.problems


def test_shipped_topics_load() -> None:
    topics = default_topics()
    assert list(topics) == ["security", "migration", "drugs"]
    for definition in topics.values():
        assert definition.description and len(definition.terms) >= 200
        assert definition.color.startswith("#") and len(definition.color) == 7
    # A fresh dict each time, so callers can add or remove topics freely.
    assert default_topics() is not topics


def test_a_user_defined_topic_from_yaml_works() -> None:
    text = """
topics:
  climate:
    description: Climate change and its politics.
    color: "#27ae60"
    terms:
      climate change: 3
      emissions: 2
      heatwave: 2
      greenhouse gas: 3
    context_terms:
      record: 1
    exclude:
      - office climate
"""
    topics = load_topics(yaml.safe_load(text)["topics"])
    assert topics["climate"].color == "#27AE60"
    (result,) = classify("Heatwave breaks record as emissions climb", "", topics)
    assert result.topic == "climate" and result.member
    assert result.evidence[:2] in {("heatwave", "emissions"), ("emissions", "heatwave")}
    (office,) = classify("A tense office climate", "Staff complain.", topics)
    assert office.score == 0.0


def test_defaults_are_filled_in() -> None:
    definition = TopicDefinition.model_validate({"description": "x", "terms": {"a": 1}})
    assert definition.threshold == 0.5
    assert definition.context_terms == {} and definition.exclude == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"description": "x", "terms": {}}, "topic 'x': terms must not be empty"),
        ({"terms": {"a": 1}}, "topic 'x': description is required"),
        ({"description": " ", "terms": {"a": 1}}, "topic 'x': description must not be empty"),
        ({"description": "x", "terms": {"a": -1}}, "topic 'x': terms need at least one positive"),
        ({"description": "x", "terms": {"a": 0}}, "weight of 'a' must be a non-zero number"),
        ({"description": "x", "terms": {"a": "high"}}, "topic 'x': terms.a: Input should be"),
        ({"description": "x", "terms": {"!!": 1}}, "terms: '!!' has no words"),
        (
            {"description": "x", "terms": {"a": 1}, "context_terms": {"b": -1}},
            "context_terms: weight of 'b' must be positive",
        ),
        (
            {"description": "x", "terms": {"a": 1}, "context_terms": {"a": 1}},
            "in both terms and context_terms: a",
        ),
        ({"description": "x", "terms": {"a": 1}, "color": "red"}, "color must look like '#RRGGBB'"),
        ({"description": "x", "terms": {"a": 1}, "threshold": 1.5}, "topic 'x': threshold:"),
        ({"description": "x", "terms": {"a": 1}, "colour": "#FFFFFF"}, "unknown field 'colour'"),
        ({"description": "x", "terms": {"a": 1}, "exclude": [""]}, "exclude: '' has no words"),
        ("just words", "topic 'x': must be a mapping with description and terms"),
    ],
)
def test_validation_errors_are_one_clear_line(raw: object, expected: str) -> None:
    (problem,) = problems_of({"x": raw})
    assert problem.startswith(expected) or expected in problem
    assert "\n" not in problem


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(
        {
            "Bad Name": {"description": "x", "terms": {"a": 1}},
            "one": {"description": "x", "terms": {}},
            "two": {"terms": {"a": 1}, "color": "blue"},
        }
    )
    assert problems == [
        "topic name 'Bad Name': use 1-40 lowercase letters, digits, '-' or '_'",
        "topic 'one': terms must not be empty",
        "topic 'two': description is required",
        "topic 'two': color must look like '#RRGGBB', not 'blue'",
    ]


def test_topics_section_must_be_a_mapping() -> None:
    assert problems_of(["security"]) == ["topics must be a mapping of name to definition, not list"]


def test_shipped_config_carries_the_same_topics() -> None:
    """config/digestbot.yaml repeats the packaged topics; keep the two equal."""
    config = REPO / "config" / "digestbot.yaml"
    if not config.exists():
        pytest.skip("config/digestbot.yaml not written yet")
    data = yaml.safe_load(config.read_text("utf-8")) or {}
    if "topics" not in data:
        pytest.skip("config/digestbot.yaml has no topics section")
    shipped = yaml.safe_load((REPO / "digests" / "defaults" / "topics.yaml").read_text("utf-8"))[
        "topics"
    ]
    assert data["topics"] == shipped
