"""Likely duplicates, and the rules for merging two customers into one.

Pure: the service feeds in what the store holds. Same phone or e-mail is found by the database;
similar names are found here with blocking (token-deletion keys plus single-edit variants), so a
100k-customer base is compared in seconds instead of the 5·10⁹ pairs a naive loop would need.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class ReasonKind(StrEnum):
    SAME_EMAIL = "same_email"
    SAME_PHONE = "same_phone"
    SAME_NAME = "same_name"
    SIMILAR_NAME = "similar_name"


# How strongly each reason alone suggests one customer typed in twice. A shared address or phone
# is strong; a name alone is weak (many people are called Nguyễn Văn An).
WEIGHTS = {
    ReasonKind.SAME_EMAIL: 0.85,
    ReasonKind.SAME_PHONE: 0.8,
    ReasonKind.SAME_NAME: 0.5,
    ReasonKind.SIMILAR_NAME: 0.5,  # times the names' similarity
}
MIN_TYPO_TOKEN = 3  # "an" and "anh" are two different Vietnamese names, not a typo


@dataclass(frozen=True, slots=True)
class Reason:
    kind: ReasonKind
    detail: str  # the shared phone or e-mail, or the two names
    weight: float


@dataclass(frozen=True, slots=True)
class Candidate:
    """Two customers that are probably one; `score` in 0..1 combines the reasons."""

    a: int
    b: int
    score: float
    reasons: tuple[Reason, ...]


def within_one_edit(a: str, b: str) -> bool:
    """True when `b` is `a` with one letter inserted, deleted, replaced or two adjacent swapped."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True  # one replacement
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    return a[i:] == b[i + 1 :]  # one insertion into the shorter


def _token_diff(ta: list[str], tb: list[str]) -> tuple[list[str], list[str]] | None:
    """Words only in `ta` and only in `tb` (both sorted), or None once more than two differ."""
    only_a: list[str] = []
    only_b: list[str] = []
    i = j = 0
    while i < len(ta) or j < len(tb):
        if j == len(tb) or (i < len(ta) and ta[i] < tb[j]):
            only_a.append(ta[i])
            i += 1
        elif i == len(ta) or tb[j] < ta[i]:
            only_b.append(tb[j])
            j += 1
        else:
            i += 1
            j += 1
        if len(only_a) + len(only_b) > 2:
            return None
    return only_a, only_b


def compare_names(key_a: str, key_b: str) -> Reason | None:
    """The name reason for two name keys (see `names.name_key`), or None when they differ.

    Similar means: in names of two or more words, one word differs by a single typo (words of 3+
    letters), or one name has one extra word (a middle name left out). The weight shrinks with
    the share of letters that differ, so 'Nguyễn An' ~ 'Nguyễn Văn An' counts less than a typo.
    """
    if not key_a or not key_b:
        return None
    if key_a == key_b:
        return Reason(ReasonKind.SAME_NAME, key_a, WEIGHTS[ReasonKind.SAME_NAME])
    ta, tb = sorted(key_a.split()), sorted(key_b.split())
    diff = _token_diff(ta, tb)
    if diff is None:
        return None
    only_a, only_b = diff
    if len(only_a) == 1 and len(only_b) == 1:
        x, y = only_a[0], only_b[0]
        if len(ta) < 2 or min(len(x), len(y)) < MIN_TYPO_TOKEN or not within_one_edit(x, y):
            return None
        differing = 1
    elif len(only_a) + len(only_b) == 1 and min(len(ta), len(tb)) >= 2:
        differing = len((only_a or only_b)[0]) + 1  # the word and its space
    else:
        return None
    similarity = 1 - differing / max(len(key_a), len(key_b))
    return Reason(
        ReasonKind.SIMILAR_NAME,
        f"{key_a} ~ {key_b}",
        round(WEIGHTS[ReasonKind.SIMILAR_NAME] * similarity, 3),
    )


def _variants(token: str) -> set[str]:
    """The token and every form of it with one letter deleted (symmetric-deletion index)."""
    out = {token}
    if len(token) >= MIN_TYPO_TOKEN:
        out.update(token[:i] + token[i + 1 :] for i in range(len(token)))
    return out


def _pairs(xs: list[int], ys: list[int]) -> Iterable[tuple[int, int]]:
    for x in xs:
        for y in ys:
            if x != y:
                yield (x, y) if x < y else (y, x)


def find_similar_names(
    entries: Iterable[tuple[int, str, str]], *, max_group: int = 25
) -> dict[tuple[int, int], Reason]:
    """Pairs `(a, b)` (a < b) with the same or a similar name, from `(id, kind, name_key)`.

    Finds what `compare_names` would accept between customers of the same kind, without
    comparing everyone with everyone. Names shared by more than `max_group` customers are too
    common to say anything and are skipped (a shared phone or e-mail still finds those).
    """
    # Each name goes into the block of its full key (removed=None) and of its key minus each word.
    blocks: dict[tuple[str, str], list[tuple[int, str | None]]] = defaultdict(list)
    keys: dict[int, str] = {}
    for cid, kind, key in entries:
        tokens = key.split()
        if not tokens:
            continue
        keys[cid] = key
        blocks[(kind, key)].append((cid, None))
        if len(tokens) < 2:
            continue
        for i, tok in enumerate(tokens):
            if tok in tokens[:i]:
                continue
            rest = " ".join(tokens[:i] + tokens[i + 1 :])
            blocks[(kind, rest)].append((cid, tok))

    found: dict[tuple[int, int], Reason] = {}

    def add(pairs: Iterable[tuple[int, int]]) -> None:
        for a, b in pairs:
            if (a, b) not in found:
                reason = compare_names(keys[a], keys[b])
                if reason is not None:
                    found[(a, b)] = reason

    for (_kind, block_key), members in blocks.items():
        if len(members) < 2:
            continue
        full = [cid for cid, removed in members if removed is None]
        by_token: dict[str, list[int]] = defaultdict(list)
        for cid, removed in members:
            if removed is not None:
                by_token[removed].append(cid)
        if len(full) <= max_group:
            add(_pairs(full, full))  # the very same name
            if full and " " in block_key:  # one word more than a name of 2+ words
                for ids in by_token.values():
                    if len(ids) <= max_group:
                        add(_pairs(full, ids))
        # One word with a typo, the other words equal: symmetric-deletion index over the words.
        by_variant: dict[str, set[str]] = defaultdict(set)
        for tok in by_token:
            for v in _variants(tok):
                by_variant[v].add(tok)
        seen: set[tuple[str, str]] = set()
        for toks in by_variant.values():
            if len(toks) < 2:
                continue
            ordered = sorted(toks)
            for i, x in enumerate(ordered):
                for y in ordered[i + 1 :]:
                    if (x, y) in seen:
                        continue
                    seen.add((x, y))
                    xs, ys = by_token[x], by_token[y]
                    if len(xs) <= max_group and len(ys) <= max_group:
                        add(_pairs(xs, ys))
    return found


def combined_score(reasons: Iterable[Reason]) -> float:
    """Independent evidence adds up: 1 − Π(1 − weight)."""
    miss = 1.0
    for r in reasons:
        miss *= 1.0 - r.weight
    return round(1.0 - miss, 3)


def rank_candidates(
    contact_pairs: Iterable[tuple[int, int, Reason]],
    name_pairs: Mapping[tuple[int, int], Reason],
    name_keys: Mapping[int, str],
    *,
    limit: int | None = None,
    min_score: float = 0.0,
) -> list[Candidate]:
    """Join the reasons found for each pair and rank the pairs, most likely first."""
    shared: dict[tuple[int, int], dict[tuple[ReasonKind, str], Reason]] = defaultdict(dict)
    for a, b, reason in contact_pairs:
        shared[(a, b) if a < b else (b, a)][(reason.kind, reason.detail)] = reason
    out = []
    for (a, b), found in shared.items():
        name_reason = name_pairs.get((a, b)) or compare_names(
            name_keys.get(a, ""), name_keys.get(b, "")
        )
        if name_reason is not None:
            found[(name_reason.kind, name_reason.detail)] = name_reason
        rs = tuple(sorted(found.values(), key=lambda r: (-r.weight, r.kind, r.detail)))
        out.append(Candidate(a, b, combined_score(rs), rs))
    # Most pairs share only a name: one reason, whose weight is the score.
    out.extend(
        Candidate(a, b, r.weight, (r,))
        for (a, b), r in name_pairs.items()
        if (a, b) not in shared and r.weight >= min_score
    )
    out = [c for c in out if c.score >= min_score]

    def order(c: Candidate) -> tuple[float, int, int]:
        return (-c.score, c.a, c.b)

    if limit is not None:
        return heapq.nsmallest(limit, out, key=order)
    return sorted(out, key=order)


# --- merge rules -------------------------------------------------------------------------------

# Fields of a customer that a merge reconciles; ids (manager, department) compare as values.
MERGE_FIELDS = (
    "display_name",
    "family_name",
    "given_name",
    "middle_name",
    "patronymic",
    "legal_name",
    "language",
    "birthday",
    "founded_on",
    "first_deal_on",
    "manager_id",
    "department_id",
    "potential",
    "region",
    "income_band",
)


class Resolution(StrEnum):
    SURVIVOR_WINS = "survivor_wins"
    EARLIER_DATE = "earlier_date"


@dataclass(frozen=True, slots=True)
class FieldConflict:
    field: str
    kept: Any
    dropped: Any
    resolution: Resolution


@dataclass(frozen=True, slots=True)
class MergePlan:
    """What the survivor's fields become, and why: kept, filled in, or in conflict."""

    values: dict[str, Any]
    kept: dict[str, Any] = field(default_factory=dict)
    filled: dict[str, Any] = field(default_factory=dict)
    conflicts: tuple[FieldConflict, ...] = ()

    def explain(self) -> dict[str, Any]:
        """JSON-safe record for the merge log."""
        return {
            "kept": {k: _jsonable(v) for k, v in self.kept.items()},
            "filled": {k: _jsonable(v) for k, v in self.filled.items()},
            "conflicts": [
                {
                    "field": c.field,
                    "kept": _jsonable(c.kept),
                    "dropped": _jsonable(c.dropped),
                    "resolution": c.resolution.value,
                }
                for c in self.conflicts
            ],
        }


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def plan_merge(survivor: Mapping[str, Any], merged: Mapping[str, Any]) -> MergePlan:
    """The survivor keeps its own values, blanks are filled from the merged customer, the first
    deal is the earlier of the two; every value that does not survive is listed as a conflict,
    so nothing is lost without a trace.
    """
    values: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    filled: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    for name in MERGE_FIELDS:
        mine: Any = survivor.get(name)
        theirs: Any = merged.get(name)
        if is_blank(mine) and is_blank(theirs):
            values[name] = mine
        elif is_blank(mine):
            values[name] = filled[name] = theirs
        elif is_blank(theirs) or mine == theirs:
            values[name] = kept[name] = mine
        elif name == "first_deal_on":
            earlier, later = (mine, theirs) if mine <= theirs else (theirs, mine)
            values[name] = earlier
            (kept if earlier == mine else filled)[name] = earlier
            conflicts.append(FieldConflict(name, earlier, later, Resolution.EARLIER_DATE))
        else:
            values[name] = kept[name] = mine
            conflicts.append(FieldConflict(name, mine, theirs, Resolution.SURVIVOR_WINS))
    # Whether the first deal was typed in by hand follows the date that was chosen.
    took_theirs = "first_deal_on" in filled
    source = merged if took_theirs else survivor
    values["first_deal_overridden"] = bool(source.get("first_deal_overridden"))
    return MergePlan(values, kept, filled, tuple(conflicts))
