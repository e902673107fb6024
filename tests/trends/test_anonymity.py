"""Small cells are withheld, and so are enough others that subtraction reveals none."""

from __future__ import annotations

from service.trends.anonymity import share_suppressed, suppressed_cells


def test_a_small_cell_is_hidden_with_the_smallest_other_so_the_total_reveals_nothing() -> None:
    # given a row published with its total 3 + 40 + 12 + 9 = 64
    counts = [3, 40, 12, 9]
    # when
    hidden = suppressed_cells(counts)
    # then 3 is hidden, and 9 too: 64 - 40 - 12 = 12 is all one learns about the two
    assert hidden == [True, False, False, True]


def test_two_small_cells_hidden_together_must_count_at_least_five() -> None:
    # given 1 and 2 together make 3: still a group of fewer than five
    counts = [1, 2, 30, 7]
    # when
    hidden = suppressed_cells(counts)
    # then a third cell is hidden until the hidden ones count at least five
    assert hidden == [True, True, False, True]


def test_rows_without_small_cells_and_zeros_are_shown() -> None:
    assert suppressed_cells([0, 5, 12]) == [False, False, False]


def test_a_share_that_reveals_a_small_group_is_hidden() -> None:
    assert share_suppressed(2, 100)  # two of a hundred
    assert share_suppressed(98, 100)  # the two others
    assert share_suppressed(2, 4)  # too few behind it
    assert not share_suppressed(50, 100)
    assert not share_suppressed(10, 10)  # all of them: no small group
