"""Classes of security mistakes found on full-length real articles, one test per class.

Each case is written from the class (not copied from an article); each was misclassified by the
vocabulary before the fix (bench/topics_eval.py "long", "long/2nd" and "blind").
"""

from __future__ import annotations

import pytest

from digests.topics import TopicDefinition, classify, default_topics

GUN_CONTROL = (
    "In an interview at the end of his term, the president said the failure to pass tougher gun "
    "laws was the issue on which he felt most stymied. Congress had rejected universal background"
    " checks after every mass shooting, he said, and the gun lobby had more sway over lawmakers "
    "than the families of victims. He compared the record with other rich countries, where gun "
    "control passed after a single massacre. If you look at the number of Americans killed by "
    "terrorism since 9/11, it is less than a hundred; the number killed by gun violence is in the"
    " tens of thousands. He said he would keep pressing for gun reform after leaving office, and "
    "that he expected the Second Amendment debate to shape the next election. He also spoke about"
    " his health-care law, the economy and his plans for a presidential library in Chicago."
)


@pytest.fixture(scope="module")
def shipped() -> dict[str, TopicDefinition]:
    return default_topics()


def security(
    title: str, body: str, topics: dict[str, TopicDefinition]
) -> tuple[bool, tuple[str, ...]]:
    """Whether the article is in security, and the evidence (to show in a failure)."""
    (result,) = [s for s in classify(title, body, topics) if s.topic == "security"]
    return result.member, result.evidence


@pytest.mark.parametrize(
    ("title", "body"),
    [
        # a gun-control debate that mentions terrorism in passing
        ("President calls failure to pass gun laws his biggest frustration", GUN_CONTROL),
        # a fiscal story that compares the cost of debt with the military budget
        (
            "Interest on the debt will soon cost more than the military",
            "The budget deficit keeps growing and interest payments are rising fast. Economists "
            "warn that the next recession will find the government with little room, and that "
            "the deficit will soon outgrow the defense budget.",
        ),
        # a racketeering suit against companies, with no gang or mafia in sight
        (
            "Appeals court throws out racketeering case against tobacco firms",
            "Judges ruled the government could not sue the companies under that law.",
        ),
        # "combat" the verb
        (
            "Council unveils plan to combat loneliness among older residents",
            "Volunteers will visit people living alone twice a week.",
        ),
        # a "clash" of politicians
        (
            "Party leaders clash over housing in final TV debate",
            "The two clashed repeatedly over rents and planning rules.",
        ),
        # a "war on" a policy target
        (
            "War on plastic stalls as treaty talks collapse",
            "Delegates failed to agree on production caps after a week of talks.",
        ),
    ],
)
def test_frames_that_only_borrow_security_words(
    title: str, body: str, shipped: dict[str, TopicDefinition]
) -> None:
    member, evidence = security(title, body, shipped)
    assert not member, evidence


def test_strike_idioms_are_not_strikes(shipped: dict[str, TopicDefinition]) -> None:
    """'Strikes fear' in a title is not an attack, even beside a strong term in the body."""
    _, evidence = security(
        "Sentence strikes fear into campaigners",
        "He was jailed under a national security law for articles he published.",
        shipped,
    )
    assert "strikes" not in evidence and "strike" not in evidence
    _, evidence = security("Troops strike rebel positions", "", shipped)
    assert "strike" in evidence  # the real thing still counts


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "Prosecutors to charge Israeli settler over killing of Palestinian",
            "The confrontation was filmed in a village near Ramallah.",
        ),
        ("Email worm spreads malicious code to millions of PCs", "Users are told not to open it."),
        ("Country scours plane graveyards for parts for its ageing jet fighters", ""),
    ],
)
def test_clear_security_items_that_were_missed(
    title: str, body: str, shipped: dict[str, TopicDefinition]
) -> None:
    member, evidence = security(title, body, shipped)
    assert member, evidence


def test_racketeering_still_counts_beside_organised_crime(
    shipped: dict[str, TopicDefinition],
) -> None:
    member, evidence = security(
        "Mafia bosses charged with racketeering", "Police arrested 40 members of the clan.", shipped
    )
    assert member and "racketeering" in evidence
