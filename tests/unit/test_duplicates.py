"""Likely duplicates are found with their reasons; merge rules never lose a value silently."""

from __future__ import annotations

from datetime import date
from itertools import combinations
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulars.domain.duplicates import (
    MERGE_FIELDS,
    Reason,
    ReasonKind,
    Resolution,
    combined_score,
    compare_names,
    find_similar_names,
    is_blank,
    plan_merge,
    rank_candidates,
    within_one_edit,
)
from regulars.domain.names import name_key


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("nguyen", "nguyen", True),
        ("nguyen", "ngyuen", True),  # swapped letters
        ("nguyen", "nguen", True),  # one left out
        ("maria", "mariia", True),  # one too many
        ("smith", "smyth", True),  # one replaced
        ("nguyen", "ngyeun", False),
        ("anna", "hannah", False),
        ("abc", "cab", False),
    ],
)
def test_within_one_edit(a: str, b: str, close: bool) -> None:
    assert within_one_edit(a, b) is close
    assert within_one_edit(b, a) is close


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("Nguyễn Văn An", "nguyen van an", ReasonKind.SAME_NAME),
        ("An Nguyễn Văn", "Nguyễn Văn An", ReasonKind.SAME_NAME),
        ("Nguyễn Văn Thành", "Nguyễn Văn Thànhh", ReasonKind.SIMILAR_NAME),
        ("Nguyễn Văn An", "Nguyễn An", ReasonKind.SIMILAR_NAME),  # middle name left out
        ("María García López", "Maria Garcia Lopes", ReasonKind.SIMILAR_NAME),
        ("John Smith", "Jon Smith", ReasonKind.SIMILAR_NAME),
        ("Nguyễn Văn An", "Nguyễn Văn Anh", None),  # An and Anh are different names
        ("Smith", "Smyth", None),  # one word says too little
        ("Nguyễn An", "An", None),
        ("Trần Thị Bình", "Lê Văn Hùng", None),
        ("Nguyễn Văn An", "Trần Văn An", None),
    ],
)
def test_compare_names(a: str, b: str, kind: ReasonKind | None) -> None:
    reason = compare_names(name_key(a), name_key(b))
    assert (reason.kind if reason else None) == kind
    if reason:
        assert 0 < reason.weight <= 0.5


def _entries(names: list[str], kind: str = "person") -> list[tuple[int, str, str]]:
    return [(i, kind, name_key(n)) for i, n in enumerate(names)]


def test_similar_names_are_found_with_reasons() -> None:
    names = ["Nguyễn Văn An", "nguyen van an", "Trần Thị Bình", "Tran Thi Binhh", "Lê Hùng"]
    found = find_similar_names(_entries(names))
    assert set(found) == {(0, 1), (2, 3)}
    assert found[(0, 1)].kind is ReasonKind.SAME_NAME
    assert found[(2, 3)].kind is ReasonKind.SIMILAR_NAME
    assert "binh" in found[(2, 3)].detail


def test_people_and_companies_are_never_paired() -> None:
    entries = [(1, "person", "minh phat"), (2, "company", "minh phat")]
    assert find_similar_names(entries) == {}


def test_a_name_shared_by_very_many_customers_says_nothing() -> None:
    common = [(i, "person", "an nguyen van") for i in range(30)]
    rare = [(100, "person", "binh thi tran"), (101, "person", "binh thi tran")]
    found = find_similar_names(common + rare, max_group=25)
    assert set(found) == {(100, 101)}


VOCAB = ["an", "anh", "nguyen", "ngyuen", "van", "vn", "thi", "binh", "binhh", "tran", "le", "lee"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(VOCAB), min_size=1, max_size=4), max_size=25))
def test_blocking_finds_exactly_what_comparing_every_pair_finds(names: list[list[str]]) -> None:
    entries = _entries([" ".join(n) for n in names])
    brute = {}
    for (i, _, ka), (j, _, kb) in combinations(entries, 2):
        reason = compare_names(ka, kb)
        if reason is not None:
            brute[(i, j)] = reason
    assert find_similar_names(entries, max_group=10_000) == brute


def test_scores_combine_and_rank_the_most_likely_first() -> None:
    phone = Reason(ReasonKind.SAME_PHONE, "+84912345678", 0.8)
    email = Reason(ReasonKind.SAME_EMAIL, "an@gmail.com", 0.85)
    keys = {1: "an nguyen van", 2: "an nguyen van", 3: "binh tran", 4: "hung le"}
    names = find_similar_names([(i, "person", k) for i, k in keys.items()])
    ranked = rank_candidates([(2, 1, phone), (3, 4, email), (3, 4, phone)], names, keys)
    assert [(c.a, c.b) for c in ranked] == [(3, 4), (1, 2)]
    assert ranked[0].score == combined_score([email, phone]) == pytest.approx(0.97)
    assert [r.kind for r in ranked[1].reasons] == [ReasonKind.SAME_PHONE, ReasonKind.SAME_NAME]
    assert ranked[1].score == pytest.approx(0.9)


@given(st.lists(st.floats(min_value=0, max_value=1), max_size=6))
def test_more_evidence_never_lowers_the_score(weights: list[float]) -> None:
    reasons = [Reason(ReasonKind.SAME_PHONE, str(i), w) for i, w in enumerate(weights)]
    score = combined_score(reasons)
    assert 0 <= score <= 1
    extra = Reason(ReasonKind.SAME_EMAIL, "x", 0.5)
    assert combined_score([*reasons, extra]) >= score


def test_merge_keeps_survivor_values_and_fills_blanks() -> None:
    survivor = {"display_name": "Nguyễn Văn An", "birthday": None, "region": "Hà Nội",
                "first_deal_on": date(2023, 5, 1), "first_deal_overridden": False}  # fmt: skip
    merged = {"display_name": "An Nguyen", "birthday": date(1990, 1, 2), "region": None,
              "first_deal_on": date(2021, 3, 4), "first_deal_overridden": True}  # fmt: skip
    plan = plan_merge(survivor, merged)
    assert plan.values["display_name"] == "Nguyễn Văn An"
    assert plan.values["birthday"] == date(1990, 1, 2)
    assert plan.values["region"] == "Hà Nội"
    assert plan.values["first_deal_on"] == date(2021, 3, 4)  # the earlier deal
    assert plan.values["first_deal_overridden"] is True  # follows the date that was taken
    assert plan.filled == {"birthday": date(1990, 1, 2), "first_deal_on": date(2021, 3, 4)}
    conflicts = {c.field: c for c in plan.conflicts}
    assert conflicts["display_name"].dropped == "An Nguyen"
    assert conflicts["display_name"].resolution is Resolution.SURVIVOR_WINS
    assert conflicts["first_deal_on"].resolution is Resolution.EARLIER_DATE
    explained = plan.explain()
    assert explained["filled"]["birthday"] == "1990-01-02"  # JSON-safe for the merge log
    assert {c["field"] for c in explained["conflicts"]} == {"display_name", "first_deal_on"}


values = st.one_of(st.none(), st.just(""), st.sampled_from(["a", "b", "Hà Nội"]))
dates = st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)))


customer = st.fixed_dictionaries(
    {
        f: (dates if f in ("birthday", "founded_on", "first_deal_on") else values)
        for f in MERGE_FIELDS
    }
)


@given(customer, customer)
def test_merge_never_loses_a_non_empty_value_without_a_trace(
    survivor: dict[str, Any], merged: dict[str, Any]
) -> None:
    plan = plan_merge(survivor, merged)
    dropped = {(c.field, c.dropped) for c in plan.conflicts}
    for f in MERGE_FIELDS:
        for side in (survivor, merged):
            v = side[f]
            if not is_blank(v):
                assert plan.values[f] == v or (f, v) in dropped, (f, v)
        if not is_blank(survivor[f]) and f != "first_deal_on":
            assert plan.values[f] == survivor[f]  # the survivor's own values stay
        if not is_blank(survivor[f]) or not is_blank(merged[f]):
            assert not is_blank(plan.values[f])
