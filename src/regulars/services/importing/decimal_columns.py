"""Plain decimal numbers ('12', '12.5', '0.250') read for a whole column at once with numpy.

Only the plain shape is accepted here: ASCII digits, at least one before an optional point,
at most 18 characters. Anything else (signs, exponents, other digits, thousands separators) is
reported as not plain, and the caller hands that row to the exact per-row code, which accepts
or refuses it with its usual reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MAX_CHARS = 18  # 18 digits always fit in int64
POW10 = 10 ** np.arange(19, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Decimals:
    """A column of plain decimals: `digits` is the number without its point, so the value is
    digits / 10**decimals; `whole` counts the digits before the point."""

    plain: npt.NDArray[np.bool_]
    digits: npt.NDArray[np.int64]
    decimals: npt.NDArray[np.int64]
    whole: npt.NDArray[np.int64]

    def scaled(self, places: npt.NDArray[np.int64] | int) -> npt.NDArray[np.int64]:
        """The values in units of 10**-places; only meaningful where decimals <= places."""
        shift = np.clip(places - self.decimals, 0, 18)
        return np.where(self.plain, self.digits, 0) * POW10[shift]


def read_decimals(texts: Sequence[str], *, decimal_comma: bool = False) -> Decimals:
    """Parse stripped texts; `decimal_comma` reads a single ',' (with no '.') as the point."""
    n = len(texts)
    arr = np.array(texts, dtype=str) if n else np.zeros(0, dtype="<U1")
    width = arr.dtype.itemsize // 4
    if width == 0:
        zeros = np.zeros(n, dtype=np.int64)
        return Decimals(np.zeros(n, dtype=bool), zeros, zeros, zeros)
    too_long = np.zeros(n, dtype=bool)
    if width > MAX_CHARS:
        too_long = np.fromiter(map(len, texts), dtype=np.int64, count=n) > MAX_CHARS
        arr = np.where(too_long, "", arr).astype(f"<U{MAX_CHARS}")
        width = MAX_CHARS
    codes = arr.view(np.uint32).reshape(n, width)
    digit = (codes >= 48) & (codes <= 57)
    point = codes == 46
    if decimal_comma:
        comma = codes == 44
        single = (comma.sum(axis=1) == 1) & ~point.any(axis=1)
        point = point | (comma & single[:, None])
    pad = codes == 0  # numpy pads short strings with NULs at the end
    points = point.sum(axis=1)
    length = width - pad.sum(axis=1)
    at = np.where(points == 1, point.argmax(axis=1), length)
    plain = (digit | point | pad).all(axis=1) & (points <= 1) & (at >= 1) & ~too_long
    decimals = np.where(points == 1, length - at - 1, 0).astype(np.int64)
    values = np.where(digit, codes - 48, 0).astype(np.int64)
    to_the_right = digit[:, ::-1].cumsum(axis=1)[:, ::-1] - digit
    digits = (values * POW10[to_the_right]).sum(axis=1)
    return Decimals(plain, digits, decimals, at.astype(np.int64))
