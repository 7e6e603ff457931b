"""Collapse customers to unique (frequency, recency, age) triples with counts.

Customers with the same history have the same likelihood term, and real data sets (whole weeks or
days) have few distinct histories: a million customers usually come down to some ten thousand
triples, which is what makes fitting fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True, slots=True)
class Triples:
    x: NDArray[np.float64]
    t_x: NDArray[np.float64]
    T: NDArray[np.float64]
    weight: NDArray[np.float64]
    # distinct values of each column and each triple's index into them: special functions of
    # x, t_x or T alone are then computed a few hundred times instead of once per triple
    levels: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]
    codes: tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]

    @property
    def total_weight(self) -> float:
        return float(self.weight.sum())


def unique_triples(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None
) -> Triples:
    """The distinct (x, t_x, T) rows and how many customers (or how much weight) each stands for."""
    xs = np.asarray(x, dtype=np.float64)
    tx = np.asarray(t_x, dtype=np.float64)
    tt = np.asarray(T, dtype=np.float64)
    if not (xs.shape == tx.shape == tt.shape) or xs.ndim != 1:
        raise ValueError("x, t_x and T must be one-dimensional arrays of the same length")
    w = np.ones_like(xs) if weights is None else np.asarray(weights, dtype=np.float64)
    rows = unique_rows(xs, tx, tt)
    wsum = np.bincount(rows.inverse, weights=w, minlength=len(rows.codes[0])).astype(np.float64)
    (ux, ut, uT), (ix, it, iT) = rows.levels, rows.codes
    return Triples(ux[ix], ut[it], uT[iT], wsum, (ux, ut, uT), (ix, it, iT))


@dataclass(frozen=True, slots=True)
class UniqueRows:
    levels: list[NDArray[np.float64]]  # distinct values per column
    codes: list[NDArray[np.intp]]  # per distinct row, its index into each column's levels
    inverse: NDArray[np.intp]  # per input row, its distinct row

    def column(self, i: int) -> NDArray[np.float64]:
        return self.levels[i][self.codes[i]]


def _factorize(values: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.intp]]:
    """Distinct values (in order of first appearance) and each element's index: Arrow's hash
    table is linear time, where np.unique sorts."""
    enc = pc.dictionary_encode(pa.array(values))
    levels = enc.dictionary.to_numpy(zero_copy_only=False)
    return levels, np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.intp)


def unique_rows(*cols: NDArray[np.float64]) -> UniqueRows:
    """Distinct rows of equal-length columns.

    One hash-based factorisation per column and one over the combined integer codes: far faster
    than `np.unique(axis=0)`, which sorts the rows as opaque byte strings.
    """
    key = np.zeros(len(cols[0]), dtype=np.int64)
    levels = []
    for col in cols:
        u, inv = _factorize(col)
        key = key * max(len(u), 1) + inv
        levels.append(np.asarray(u, dtype=np.float64))
    ukey, inverse = _factorize(key)
    ukey = ukey.astype(np.int64)
    codes: list[NDArray[np.intp]] = []
    for u in reversed(levels):
        n = max(len(u), 1)
        codes.append((ukey % n).astype(np.intp))
        ukey = ukey // n
    return UniqueRows(levels, codes[::-1], inverse)
