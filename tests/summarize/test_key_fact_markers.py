"""Key facts never carry the article's own list markers: renderers list them."""

from __future__ import annotations

import pytest

from digests.summarize import key_facts

FACT = "Police arrested 42 people in Madrid on 3 March after seizing 2 tonnes of cocaine."


@pytest.mark.parametrize("marker", ["- ", "* ", "• ", "-  ", "- - "])
def test_a_leading_list_marker_is_dropped(marker: str) -> None:
    assert key_facts([marker + FACT]) == (FACT,)


@pytest.mark.parametrize(
    "fact",
    [FACT, "-42 degrees froze the pipes in Oslo on 3 March, cutting water to 5,000 homes."],
)
def test_other_text_is_left_alone(fact: str) -> None:
    assert key_facts([fact]) == (fact,)
