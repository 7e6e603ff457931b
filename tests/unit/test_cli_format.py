"""Tables show shares as percentages and money with thousands separators, as people read them."""

from decimal import Decimal

from regulars.cli.common import grouped, pct


def test_shares_read_as_percentages() -> None:
    assert pct(Decimal("0.1319")) == "13.2 %"
    assert pct("0.5") == "50.0 %"
    assert pct(None) == ""


def test_money_gets_thousands_separators_and_keeps_its_cents() -> None:
    assert grouped(Decimal("242910000")) == "242,910,000"
    assert grouped("1234.5") == "1,234.50"
    assert grouped(None) == ""
