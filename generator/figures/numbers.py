"""How figures write numbers: one precision across a figure, and a true minus sign.

A figure's numbers share their decimals, chosen so the largest shows three significant
digits (0.312, 0.071, 0.005 side by side, not 0.312, 0.0714, 0.00463), and a negative number
starts with U+2212, the minus sign, not the hyphen. `assets/js/figure-data.js` has the same
two functions for numbers a component writes.
"""

from __future__ import annotations

import math
from typing import Iterable

MOST_DECIMALS = 6


def decimals_for(values: Iterable[float], digits: int = 3) -> int:
    """Decimals that give the largest magnitude among `values` `digits` significant digits."""
    top = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if top == 0:
        return digits - 1
    return max(0, min(MOST_DECIMALS, digits - 1 - math.floor(math.log10(top))))


def number(value: float, decimals: int, *, sign: bool = False) -> str:
    """`value` with `decimals` decimals, U+2212 for minus; `sign` writes + before a positive
    number. A number that rounds to zero has no sign."""
    text = f"{abs(value):.{decimals}f}"
    if float(text) == 0:
        return text
    if value < 0:
        return "\u2212" + text
    return ("+" if sign else "") + text
