"""Decimal commas in the messages that students and instructors read."""

import pytest

from leccion14.spanish_numbers import decimal


@pytest.mark.parametrize(
    "value, digits, expected",
    [(0.51234, 3, "0,512"), (14.0, None, "14"), (2.5, None, "2,5"), (-1.25, 1, "-1,2"), (1234.5, 2, "1234,50")],
)
def test_decimal_comma(value, digits, expected):
    assert decimal(value, digits) == expected
