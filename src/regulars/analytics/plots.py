"""Charts people would rather look at than read: Lorenz curve, dependency bands, cohort heat
map and the monthly trend. Matplotlib with the Agg backend (no display needed); the file's
extension (.svg or .png) picks the format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from regulars.analytics.cohorts import Cohort
from regulars.analytics.dependency import Bands, Dependency
from regulars.analytics.pareto import ParetoResult
from regulars.analytics.summary import MonthRow
from regulars.domain.errors import ValidationError

FORMATS = (".svg", ".png")


def _figure(width: float = 7, height: float = 4.5) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, format=path.suffix[1:])
    plt.close(fig)
    return path


def check_path(path: str | Path) -> Path:
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise ValidationError(f"--plot needs a .svg or .png file name, not {p.name!r}")
    return p


def plot_pareto(result: ParetoResult, path: str | Path) -> Path:
    p = check_path(path)
    fig, ax = _figure(5.5, 5.5)
    xs = [float(pt.customers) for pt in result.lorenz]
    ys = [float(pt.revenue) for pt in result.lorenz]
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="everyone equal")
    ax.plot(xs, ys, marker="o", markersize=3, label=f"Lorenz curve (Gini {result.gini})")
    ax.axvline(0.8, color="tab:red", linewidth=0.8)
    ax.set_xlabel("share of customers (smallest first)")
    ax.set_ylabel("share of revenue")
    ax.set_title(f"Top {float(result.top_fraction):.0%} bring {float(result.top_share):.0%}")
    ax.legend(loc="upper left")
    return _save(fig, p)


def plot_dependency(rows: list[Dependency], bands: Bands, path: str | Path) -> Path:
    p = check_path(path)
    fig, ax = _figure(8, max(3.0, 0.4 * len(rows) + 1.5))
    labels = [r.group[:30] for r in rows][::-1]
    values = [float(r.largest_share) for r in rows][::-1]
    colours = {"fine": "tab:green", "act": "gold", "alarm": "tab:orange", "critical": "tab:red"}
    ax.barh(labels, values, color=[colours[r.band] for r in rows][::-1])
    for x, name in ((bands.act, "act"), (bands.alarm, "alarm"), (bands.critical, "critical")):
        ax.axvline(x, color=colours[name], linestyle="--", linewidth=1)
        ax.text(x, len(rows) - 0.4, f" {name} {x:.0%}", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("largest customer's share of revenue (last 12 months)")
    ax.set_title("Dependency on the largest customer")
    return _save(fig, p)


def plot_cohorts(rows: list[Cohort], path: str | Path) -> Path:
    import numpy as np

    p = check_path(path)
    width = max((len(c.retention) for c in rows), default=1)
    grid = np.full((max(len(rows), 1), width), np.nan)
    for i, c in enumerate(rows):
        grid[i, : len(c.retention)] = [float(v) for v in c.retention]
    fig, ax = _figure(8, max(3.0, 0.35 * len(rows) + 1.5))
    im = ax.imshow(grid, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_yticks(range(len(rows)), [f"{c.cohort} ({c.customers})" for c in rows])
    ax.set_xlabel("months after the first purchase")
    ax.set_title("Retention by first-purchase month")
    fig.colorbar(im, ax=ax, label="share who bought")
    return _save(fig, p)


def plot_monthly(rows: list[MonthRow], currency: str, path: str | Path) -> Path:
    p = check_path(path)
    fig, ax = _figure()
    months = [r.month for r in rows]
    acq = [float(r.acquisition_revenue) for r in rows]
    ret = [float(r.retention_revenue) for r in rows]
    ax.bar(months, ret, label="returning customers (retention)")
    ax.bar(months, acq, bottom=ret, label="new customers (acquisition)")
    ax.set_ylabel(f"revenue ({currency})")
    ax.set_title("Monthly revenue")
    ax.tick_params(axis="x", rotation=45)
    ax.legend()
    return _save(fig, p)
