"""MinHash: the signatures and band keys are pinned (stored values must keep
matching new ones across versions), so the numpy implementation is checked against datasketch
(scheme affine32, seed 1, crc32 per shingle: what digestbot stored before) and fixed values."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from digests.store import minhash as mh

PORT = (
    "Dock workers at the northern port walked off the job on Monday after talks over pay "
    "collapsed, halting container traffic and stranding dozens of ships offshore."
)


def test_signature_and_band_keys_are_pinned() -> None:
    [signature] = mh.signatures([("Port strike", PORT)])
    assert signature is not None and signature.dtype == np.uint32
    assert signature[:8].tolist() == [
        155090732,
        193019144,
        292601848,
        446228951,
        676386386,
        196522055,
        262943177,
        102508298,
    ]
    assert mh.band_keys(signature)[:3] == [
        -4058976584662794622,
        -7367389112538476769,
        -4856831375923482600,
    ]
    assert mh.from_bytes(mh.to_bytes(signature)).tolist() == signature.tolist()


def _texts() -> list[tuple[str, str]]:
    long_word = "x" * 300  # longer than the CRC shift tables: hashed directly
    return [
        ("Port strike", PORT),
        ("", PORT + " " + PORT),  # every shingle twice: the minimum is the same
        ("Ünïcödé títle", "Straße façade naïve café İstanbul ﬁnance 東京 résumé " * 3),
        ("Long words", f"{long_word} a {long_word} b {long_word} " + PORT),
        ("la", "la " * 40),  # one distinct shingle, repeated: too short
        ("Short", "one two three four five six seven eight nine ten eleven"),  # 11 shingles
        ("Short", "one two three four five six seven eight nine ten eleven twelve"),  # 12
        ("", ""),
    ]


def test_same_signatures_as_datasketch() -> None:
    minhash = pytest.importorskip("datasketch").MinHash
    texts = _texts()
    ours = mh.signatures(texts)
    for (title, body), mine in zip(texts, ours, strict=True):
        shingles = mh.shingles(title, body)
        if len(shingles) < mh.MIN_SHINGLES:
            assert mine is None, (title, len(shingles))
            continue
        theirs = minhash(num_perm=mh.NUM_PERM, seed=1, hashfunc=zlib.crc32, scheme="affine32")
        theirs.update_batch(shingles)
        assert mine is not None
        assert mine.tolist() == theirs.hashvalues.tolist(), title


def test_batch_gives_each_article_its_own_signature() -> None:
    texts = _texts()
    together = mh.signatures(texts)
    alone = [mh.signatures([t])[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        assert (a is None and b is None) or (a is not None and b is not None and (a == b).all())
    assert mh.signatures([]) == []


def test_similarity_of_near_and_far_texts() -> None:
    edited = PORT.replace("Monday", "Tuesday") + " Talks resume next week."
    other = "The central bank raised interest rates by half a point to curb inflation " * 2
    a, b, c = mh.signatures([("Port strike", PORT), ("Port strike", edited), ("Rates", other)])
    assert a is not None and b is not None and c is not None
    assert mh.similarity(a, b) >= mh.SIMILARITY > mh.similarity(a, c)
