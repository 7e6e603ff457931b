"""The order lifecycle: what a shop may do with an order, and what it is told when it may not."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.domain.errors import InvalidTransition, ValidationError
from regulars.domain.orders import (
    MAIN_LINE,
    OPEN,
    REVENUE,
    TERMINAL,
    UNPAID,
    OrderStatus,
    allowed_next,
    check_transition,
    parse_local_time,
    parse_quantity,
    parse_status,
)

S = OrderStatus


@given(start=st.sampled_from(list(OrderStatus)), data=st.data())
def test_a_random_walk_never_leaves_a_terminal_status_nor_goes_back(
    start: OrderStatus, data: st.DataObject
) -> None:
    path = [start]
    for _ in range(12):
        possible = sorted(allowed_next(path[-1]))
        if not possible:
            assert path[-1] in TERMINAL
            break
        nxt = data.draw(st.sampled_from(possible))
        check_transition(path[-1], nxt)  # allowed moves are accepted
        path.append(nxt)
    for before, after in itertools.pairwise(path):
        assert before not in TERMINAL
        if before in MAIN_LINE and after in MAIN_LINE:
            assert MAIN_LINE.index(after) > MAIN_LINE.index(before)
    left = next((i for i, s in enumerate(path) if s not in MAIN_LINE), None)
    if left is not None:
        assert not set(path[left:]) & set(MAIN_LINE), f"came back to the main line: {path}"


def _named(message: str) -> set[str]:
    tail = message.split(" it can go to ", 1)[1]
    return set() if tail.startswith("nothing") else set(tail.split(", "))


@pytest.mark.parametrize("current", list(OrderStatus))
def test_every_refused_move_names_exactly_the_possible_ones(current: OrderStatus) -> None:
    for new in OrderStatus:
        if new in allowed_next(current):
            continue
        with pytest.raises(InvalidTransition) as info:
            check_transition(current, new)
        msg = info.value.message
        assert f"from {current} to {new}" in msg
        assert _named(msg) == {str(s) for s in allowed_next(current)}
        if current in TERMINAL:
            assert "closed" in msg


@pytest.mark.parametrize(
    "path",
    [
        [S.PLACED, S.PAID, S.DELIVERED],  # a till sale
        [S.PLACED, S.CONFIRMED, S.PAID, S.PACKED, S.SHIPPED, S.DELIVERED],
        [S.PLACED, S.CANCELLED],
        [S.PAID, S.CANCELLED],
        [S.DELIVERED, S.PARTLY_RETURNED, S.PARTLY_RETURNED, S.RETURNED, S.REFUNDED],
        [S.DELIVERED, S.PARTLY_REFUNDED, S.REFUNDED],
    ],
)
def test_the_paths_shops_take_are_allowed(path: list[OrderStatus]) -> None:
    for before, after in itertools.pairwise(path):
        check_transition(before, after)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.DELIVERED, S.PAID),  # back on the main line
        (S.SHIPPED, S.CANCELLED),  # goods are out: that is a return
        (S.PLACED, S.REFUNDED),  # nothing was paid
        (S.CONFIRMED, S.RETURNED),  # nothing was sent
        (S.CANCELLED, S.PLACED),
        (S.REFUNDED, S.RETURNED),
        (S.DELIVERED, S.DELIVERED),
    ],
)
def test_impossible_moves_are_refused(current: OrderStatus, new: OrderStatus) -> None:
    with pytest.raises(InvalidTransition):
        check_transition(current, new)


def test_follow_up_lists_cover_the_right_stages() -> None:
    assert {S.PLACED, S.CONFIRMED} == UNPAID
    assert S.DELIVERED not in OPEN and S.PARTLY_REFUNDED not in OPEN
    assert {S.PLACED, S.PAID, S.SHIPPED, S.RETURNED} <= OPEN
    assert not OPEN & TERMINAL
    assert {S.CANCELLED, S.REFUNDED} == TERMINAL
    assert S.DELIVERED in REVENUE and S.CANCELLED not in REVENUE and S.PLACED not in REVENUE


@given(st.sampled_from(list(OrderStatus)), st.sampled_from(["upper", "spaces", "dashes"]))
def test_parse_status_accepts_how_people_write_it(status: OrderStatus, style: str) -> None:
    text = {
        "upper": f"  {status.upper()} ",
        "spaces": status.replace("_", " ").title(),
        "dashes": status.replace("_", "-"),
    }[style]
    assert parse_status(text) is status


@pytest.mark.parametrize("text", ["sent", "", "paid!", "delivered yesterday"])
def test_parse_status_refuses_unknown_words_listing_the_known(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_status(text)
    assert "partly_returned" in info.value.message and info.value.field == "status"


@pytest.mark.parametrize(
    ("text", "expected"), [("2", Decimal(2)), ("1.5", Decimal("1.5")), ("0.001", Decimal("0.001"))]
)
def test_quantities_keep_up_to_three_decimals(text: str, expected: Decimal) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["0", "-1", "1.0005", "abc", "NaN", "Infinity", "1e12"])
def test_bad_quantities_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_quantity(text)


def test_a_time_without_offset_is_the_shop_clock() -> None:
    assert parse_local_time("2024-03-02 00:30", "Asia/Ho_Chi_Minh") == datetime(
        2024, 3, 1, 17, 30, tzinfo=UTC
    )
    assert parse_local_time("2024-03-02", "Europe/Helsinki") == datetime(
        2024, 3, 1, 22, 0, tzinfo=UTC
    )
    assert parse_local_time("2024-03-02T10:00+02:00", "Asia/Bangkok") == datetime(
        2024, 3, 2, 8, 0, tzinfo=UTC
    )
    with pytest.raises(ValidationError):
        parse_local_time("02/03/2024", "UTC")
