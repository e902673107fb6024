"""The typo distance that finds a fuzzy match's words again (to highlight them) agrees with
whoosh's Damerau-Levenshtein distance, which decides what whoosh's fuzzy terms match."""

from __future__ import annotations

import itertools
import random

from whoosh.support.levenshtein import damerau_levenshtein

from service.search.typos import within


def test_typed_words_are_within_the_distance_of_what_they_meant() -> None:
    assert within("lampadiare", "lampadaire", 1)  # two letters swapped: one typo
    assert within("canalisasion", "canalisation", 1)
    assert within("sauvaje", "sauvage", 1)
    assert not within("matelas", "toboggan", 2)
    assert not within("lampe", "lampadaire", 2)


def test_the_distance_agrees_with_whoosh_on_random_words() -> None:
    # given
    rng = random.Random(7)
    pairs = [
        (
            "".join(rng.choice("abc") for _ in range(rng.randint(0, 7))),
            "".join(rng.choice("abc") for _ in range(rng.randint(0, 7))),
        )
        for _ in range(2000)
    ]
    # then
    for (a, b), limit in itertools.product(pairs, (1, 2)):
        assert within(a, b, limit) == (damerau_levenshtein(a, b) <= limit), (a, b, limit)
