"""Collapse customers to unique (frequency, recency, age) triples with counts.

Customers with the same history have the same likelihood term; histories in whole weeks often
collapse a lot, in days less so (a million customers over two years keep about 70 % distinct),
so the collapse itself must be cheap: a sort of packed integer keys rather than a hash table.
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

    def subset(self, rows: NDArray[np.intp]) -> Triples:
        """These rows (repeats allowed) with weight one each, sharing the distinct values: a
        sample needs no new factorisation, and a repeated row is simply counted twice."""
        ix, it, iT = (c[rows] for c in self.codes)
        ones = np.ones(len(rows))
        return Triples(self.x[rows], self.t_x[rows], self.T[rows], ones, self.levels, (ix, it, iT))


def unique_triples(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None
) -> Triples:
    """The distinct (x, t_x, T) rows and how many customers (or how much weight) each stands for."""
    xs = np.asarray(x, dtype=np.float64)
    tx = np.asarray(t_x, dtype=np.float64)
    tt = np.asarray(T, dtype=np.float64)
    if not (xs.shape == tx.shape == tt.shape) or xs.ndim != 1:
        raise ValueError("x, t_x and T must be one-dimensional arrays of the same length")
    levels, key = _combined_codes((xs, tx, tt))
    if weights is None:  # sorting the keys alone is several times faster than hashing them
        sk = np.sort(key)
        starts = _run_starts(sk)
        wsum = np.diff(np.append(starts, len(sk))).astype(np.float64)
    else:
        order = np.argsort(key, kind="stable")
        sk = key[order]
        starts = _run_starts(sk)
        w = np.asarray(weights, dtype=np.float64)[order]
        wsum = np.add.reduceat(w, starts) if len(starts) else np.zeros(0)
    ux, ut, uT = levels
    ix, it, iT = _split_key(sk[starts], levels)
    return Triples(ux[ix], ut[it], uT[iT], wsum, (ux, ut, uT), (ix, it, iT))


def _run_starts(sorted_keys: NDArray[np.int64]) -> NDArray[np.intp]:
    """Where each run of equal values starts in a sorted array."""
    new = np.empty(len(sorted_keys), dtype=bool)
    new[:1] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    return np.flatnonzero(new)


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
    levels, key = _combined_codes(cols)
    ukey, inverse = _factorize(key)
    return UniqueRows(levels, _split_key(ukey.astype(np.int64), levels), inverse)


def _combined_codes(
    cols: tuple[NDArray[np.float64], ...],
) -> tuple[list[NDArray[np.float64]], NDArray[np.int64]]:
    """Distinct values per column, and one integer per row combining its codes in all columns."""
    key = np.zeros(len(cols[0]), dtype=np.int64)
    levels = []
    for col in cols:
        u, inv = _factorize(col)
        key = key * max(len(u), 1) + inv
        levels.append(np.asarray(u, dtype=np.float64))
    return levels, key


def _split_key(
    ukey: NDArray[np.int64], levels: list[NDArray[np.float64]]
) -> list[NDArray[np.intp]]:
    """The per-column codes packed into combined keys by `_combined_codes`."""
    codes: list[NDArray[np.intp]] = []
    for u in reversed(levels):
        n = max(len(u), 1)
        codes.append((ukey % n).astype(np.intp))
        ukey = ukey // n
    return codes[::-1]
