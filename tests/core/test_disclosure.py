"""Small-number suppression of printed counts (hotblocking.disclosure); secondary
suppression: test_cell_suppression.py."""

import pytest

from hotblocking.disclosure import suppress_count


@pytest.mark.parametrize(
    "n, min_shown, text",
    [
        (0, 8, "0"),
        (1, 8, "<8"),
        (7.6, 8, "<8"),
        (8, 8, "8"),
        (1234.4, 8, "1,234"),
        (3, 0, "3"),
        (3, 1, "3"),
        (0.2, 0, "<1"),
        (0.2, 8, "<8"),
        (2.5, 0, "3"),
        (None, 8, "–"),
        (float("nan"), 0, "–"),
    ],
)
def test_suppress_count(n, min_shown, text):
    assert suppress_count(n, min_shown) == text
