"""The near-duplicate fingerprint that decides "same story": a MinHash of word 2-gram
shingles, cut into LSH bands. Band keys are stored, so any process finds near-duplicates among
articles stored before (and after a restart) with one indexed lookup; a shared band only
makes a candidate, the estimated Jaccard similarity of the signatures decides.

Parameters, measured on corpus/summaries/bbc with simulated light edits (title reworded,
three sentences changed, last one dropped): 2-gram Jaccard of edited pairs has p10 0.56,
median 0.72; of different articles p99.9 0.07. So: similarity >= 0.4 is the same story;
21 bands of 3 rows find a pair at J=0.4 with p=0.75, at J=0.5 with p=0.94, at J=0.02
with p=0.0002.

The signature is datasketch's ``MinHash`` (scheme ``affine32``, seed 1, CRC-32 of each
shingle's UTF-8 bytes), computed here with numpy instead: stored signatures and band keys must
stay comparable across versions (tests/store/test_fingerprints.py pins them against datasketch
and against fixed values), and datasketch costs ~1.5 s of imports (scipy) plus a Python call
per shingle. Each shingle's CRC comes from the CRCs of its two words (CRC-32 is linear), so
Python touches each distinct word of a batch once, not each shingle.
"""

from __future__ import annotations

import hashlib
import itertools
import zlib
from collections.abc import Sequence

import numpy as np

from digests.store.fingerprints import words

NUM_PERM = 64
BANDS = 21
ROWS = 3
SIMILARITY = 0.4  # estimated Jaccard at or above which two articles are one story
MIN_SHINGLES = 12  # shorter texts are too small to judge; they only dedupe exactly
_SCHEME = "affine32"  # pinned: stored signatures must stay comparable across versions
_SEED = 1

_U32 = np.uint32
_MAX_SHIFT = 256  # longer words (rare: \w+ runs in garbage) get their shingles hashed directly
_CHUNK = 1 << 15  # shingles per (shingles x permutations) block: 8 MB of uint32


def shingles(title: str, body: str) -> list[bytes]:
    """Distinct word 2-grams of title and body, as bytes for hashing."""
    return shingles_of_words(words(f"{title} {body}"))


def shingles_of_words(tokens: Sequence[str]) -> list[bytes]:
    """``shingles`` from the words of title and body (``words(title) + words(body)``, which
    equals ``words(f"{title} {body}")``: the space ends every word and composes with nothing)."""
    return list({f"{a} {b}".encode() for a, b in itertools.pairwise(tokens)})


def signatures(texts: Sequence[tuple[str, str]]) -> list[np.ndarray | None]:
    """MinHash signatures (uint32[NUM_PERM]) of (title, body) pairs; None when too short."""
    return signatures_of_words([words(f"{title} {body}") for title, body in texts])


# --- MinHash ---------------------------------------------------------------------------------


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 parameters for ``_SEED``: odd ``a``, any ``b`` (uint32 each)."""
    gen = np.random.RandomState(_SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=_U32) * _U32(2) + _U32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=_U32)
    return a, b


_PERM_A, _PERM_B = _permutations()


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer (datasketch pre-mixes every input hash with it)."""
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    return h ^ (h >> _U32(16))


def _zero_shift(value: int, n: int) -> int:
    """The CRC register advanced over ``n`` zero bytes, as the linear map it is."""
    zeros = bytes(n)
    return zlib.crc32(zeros, value) ^ zlib.crc32(zeros, 0)


def _shift_tables(limit: int) -> np.ndarray:
    """``t[n, k, x]`` = ``_zero_shift(x << 8k, n)`` for n < ``limit``, so that
    ``crc32(b, crc32(a)) == crc32(b) ^ t[len(b), 0, c & 255] ^ ... ^ t[len(b), 3, c >> 24]``
    with ``c = crc32(a)``: CRC-32 of a concatenation from the parts' CRCs, vectorised."""
    unit = np.array(
        [[_zero_shift(x << (8 * k), 1) for x in range(256)] for k in range(4)], dtype=_U32
    )
    tables = np.empty((limit, 4, 256), dtype=_U32)
    tables[0] = np.arange(256, dtype=_U32)[None, :] << (_U32(8) * np.arange(4, dtype=_U32)[:, None])
    for n in range(1, limit):
        tables[n] = _apply(unit, tables[n - 1])
    return tables


def _apply(table: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The linear map ``table`` (4 x 256 byte tables) applied to every value."""
    return (
        table[0][values & _U32(0xFF)]
        ^ table[1][(values >> _U32(8)) & _U32(0xFF)]
        ^ table[2][(values >> _U32(16)) & _U32(0xFF)]
        ^ table[3][values >> _U32(24)]
    )


_SHIFT = _shift_tables(_MAX_SHIFT)


def _word_ids(tokens: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Each token's id among the distinct words, and those words (id order)."""
    vocabulary = list(dict.fromkeys(tokens))
    index = {word: i for i, word in enumerate(vocabulary)}
    ids = np.fromiter(map(index.__getitem__, tokens), dtype=np.int64, count=len(tokens))
    return ids, vocabulary


def _pair_hashes(ids: np.ndarray, vocabulary: Sequence[str]) -> np.ndarray:
    """crc32 of ``f"{a} {b}".encode()`` for every adjacent pair of word ids.

    Python hashes each distinct word twice (alone and after a space); the pairs are numpy.
    """
    encoded = [word.encode() for word in vocabulary]
    crc = np.fromiter(map(zlib.crc32, encoded), dtype=_U32, count=len(encoded))
    spaced = np.fromiter(
        (zlib.crc32(b" " + data) for data in encoded), dtype=_U32, count=len(encoded)
    )
    length = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)) + 1
    first, second = ids[:-1], ids[1:]
    n = length[second]
    c = crc[first]
    shifted = np.minimum(n, _MAX_SHIFT - 1)  # pairs with a longer second word: replaced below
    out = spaced[second] ^ (
        _SHIFT[shifted, 0, c & _U32(0xFF)]
        ^ _SHIFT[shifted, 1, (c >> _U32(8)) & _U32(0xFF)]
        ^ _SHIFT[shifted, 2, (c >> _U32(16)) & _U32(0xFF)]
        ^ _SHIFT[shifted, 3, c >> _U32(24)]
    )
    for i in np.flatnonzero(n >= _MAX_SHIFT):
        out[i] = zlib.crc32(encoded[first[i]] + b" " + encoded[second[i]])
    return out


def signatures_of_words(token_lists: Sequence[Sequence[str]]) -> list[np.ndarray | None]:
    """``signatures`` from each article's words (title words, then body words)."""
    out: list[np.ndarray | None] = [None] * len(token_lists)
    if not token_lists:
        return out
    sizes = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    ids, vocabulary = _word_ids(list(itertools.chain.from_iterable(token_lists)))
    hashes = _pair_hashes(ids, vocabulary)
    # Pair j joins tokens j and j+1 of the batch: a shingle of article a when both are a's.
    of_token = np.repeat(np.arange(len(sizes)), sizes)
    article = np.where(of_token[:-1] == of_token[1:], of_token[:-1], -1)
    # The set of distinct (word, word) pairs decides, as datasketch's shingle sets did.
    keys = ids[:-1] * len(vocabulary) + ids[1:]
    distinct = _distinct_per_article(article, keys, len(sizes), len(vocabulary) ** 2)
    usable = np.flatnonzero(distinct >= MIN_SHINGLES)
    starts = np.cumsum(sizes) - sizes
    # MinHash of each article's shingles; repeats change no minimum, so they stay.
    for group in _groups(usable, sizes):
        pieces = [hashes[starts[i] : starts[i] + sizes[i] - 1] for i in group]
        offsets = np.cumsum([0] + [len(p) for p in pieces[:-1]])
        mixed = _fmix32(np.concatenate(pieces))
        permuted = mixed[:, None] * _PERM_A[None, :] + _PERM_B[None, :]
        for i, row in zip(group, np.minimum.reduceat(permuted, offsets, axis=0), strict=True):
            out[int(i)] = row.copy()
    return out


def _distinct_per_article(article: np.ndarray, keys: np.ndarray, n: int, span: int) -> np.ndarray:
    """How many distinct keys (each < ``span``) each article has; article -1 doesn't count."""
    inside = article >= 0
    article, keys = article[inside], keys[inside]
    if n * span < 1 << 62:  # one int64 key, already nearly in order: a plain sort is quick
        combined = np.sort(article * span + keys)
        first = np.ones(len(combined), dtype=bool)
        first[1:] = combined[1:] != combined[:-1]
        return np.bincount(combined[first] // span, minlength=n)
    order = np.lexsort((keys, article))
    a, k = article[order], keys[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (k[1:] != k[:-1])
    return np.bincount(a[first], minlength=n)


def _groups(items: np.ndarray, sizes: np.ndarray) -> list[list[int]]:
    """``items`` cut into runs of about ``_CHUNK`` tokens (each run at least one item)."""
    groups: list[list[int]] = []
    total = _CHUNK
    for item in items.tolist():
        size = int(sizes[item])
        if total + size > _CHUNK:
            groups.append([])
            total = 0
        groups[-1].append(item)
        total += size
    return groups


def band_keys(signature: np.ndarray) -> list[int]:
    """One signed 64-bit key per LSH band (band index mixed in, so bands never collide)."""
    raw = signature.astype(_U32, copy=False).tobytes()
    width = ROWS * 4
    chunks = (bytes((band,)) + raw[band * width : (band + 1) * width] for band in range(BANDS))
    return [
        int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "big", signed=True)
        for chunk in chunks
    ]


def to_bytes(signature: np.ndarray) -> bytes:
    return signature.astype("<u4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)
