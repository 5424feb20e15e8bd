"""Small-number suppression of printed counts (hotblocking.disclosure)."""

import pytest

from hotblocking.disclosure import suppress_count, suppress_row


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


def test_secondary_suppression_stops_differencing():
    # 150 = 37 + 56 + 57: with 56, 57 and 150 printed, 37 would be recoverable
    assert suppress_row([56, 37, 57], 150, 50) == (["*", "<50", "57"], "150")
    assert suppress_row([56, 37, 20], 113, 50) == (["56", "<50", "<50"], "113")  # two hidden: safe
    assert suppress_row([37, 0, 0], 37, 50) == (["<50", "0", "0"], "<50")
    assert suppress_row([37, 0, 0], 60, 50) == (["<50", "0", "0"], "*")  # merged duplicates
    assert suppress_row([56, 37], 93, 0) == (["56", "37"], "93")
