"""Gauss' 2F1 where scipy's general-purpose routine gives up (large c with z near 1).

scipy's `hyp2f1` returns inf or nan for some arguments the CLV models meet with heavy buyers; for
those elements we sum the power series ourselves (z < 1, so it converges), vectorised.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import hyp2f1 as _scipy_hyp2f1

F = NDArray[np.float64]
MAX_TERMS = 200_000


def _series(a: F, b: F, c: F, z: F) -> F:
    total = np.ones_like(z)
    term = np.ones_like(z)
    active = np.ones(z.shape, dtype=bool)
    n = 0
    while active.any() and n < MAX_TERMS:
        idx = np.flatnonzero(active)
        term[idx] *= (a[idx] + n) * (b[idx] + n) / ((c[idx] + n) * (n + 1)) * z[idx]
        total[idx] += term[idx]
        n += 1
        active[idx] = np.abs(term[idx]) > 1e-17 * np.abs(total[idx])
    return total


def hyp2f1(a: ArrayLike, b: ArrayLike, c: ArrayLike, z: ArrayLike) -> F:
    """2F1(a, b; c; z) for 0 ≤ z < 1: scipy's value, or the summed series where it is not finite."""
    a, b, c, z = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(a, b, c, z))
    out = np.asarray(_scipy_hyp2f1(a, b, c, z), dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        out = out.copy()
        out[bad] = _series(a[bad], b[bad], c[bad], z[bad])
    return out
