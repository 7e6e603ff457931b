"""The same Ibis expressions on PySpark in local mode: analytics can move to a bigger engine.

The hand-made business is read from SQLite (through DuckDB) and loaded into Spark from pandas;
the figures must equal the ones worked out by hand for DuckDB and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from regulars.analytics.backend import Store, from_backend
from regulars.analytics.dependency import dependency
from regulars.analytics.lapsed import lapsed
from regulars.analytics.pareto import pareto
from regulars.analytics.rfm import rfm_scores
from regulars.analytics.summary import summary
from regulars.bootstrap import make_app
from tests.fixtures.analytics import AS_OF, _business, build_analytics_data

TABLES = (
    "customers",
    "orders",
    "order_lines",
    "products",
    "staff_users",
    "departments",
    "notes",
    "loyalty_referrals",
    "consents",
    "order_status_changes",
    "analytics_key_account_flags",
)


@pytest.fixture(scope="module")
def spark_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    pyspark_sql = pytest.importorskip("pyspark.sql")
    import ibis

    tmp = tmp_path_factory.mktemp("spark")
    url = f"sqlite:///{tmp / 'regulars.db'}"
    app = make_app(url)
    app.upgrade_schema()
    data = build_analytics_data(app, _business(app), url)
    app.close()
    source = data.store()
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("regulars-analytics-test")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", str(tmp / "warehouse"))
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    con = ibis.pyspark.connect(session)
    for name in TABLES:  # Parquet files as temporary views: nothing is written to a warehouse
        path = tmp / f"{name}.parquet"
        source.con.table(name, database=source.database).to_parquet(path)
        con.read_parquet(path, table_name=name)
    source.close()
    yield from_backend(con, source.scope)
    session.stop()


@pytest.mark.slow
def test_spark_gives_the_same_figures(spark_store: Store, tmp_path: Path) -> None:
    s = summary(spark_store, AS_OF)
    assert (s.revenue, s.orders, s.new_customers) == (Decimal("10900000"), 19, 6)
    r = pareto(spark_store, AS_OF)
    assert (r.top_share, r.gini) == (Decimal("0.7339"), Decimal("0.574"))
    [company] = dependency(spark_store, AS_OF)
    assert (company.largest_customer, company.band, company.herfindahl) == (
        "Alpha",
        "critical",
        3602,
    )
    segments = {c.name: c.segment for c in rfm_scores(spark_store, AS_OF).customers}
    assert segments["Zeta"] == "returning" and segments["Eta"] == "target"
    assert [x.name for x in lapsed(spark_store, AS_OF)] == ["Beta", "Epsilon"]
    spark_store.materialize(copy=False)  # a snapshot on Spark: same figures, plain expressions
    assert summary(spark_store, AS_OF).revenue == Decimal("10900000")
    assert [x.name for x in lapsed(spark_store, AS_OF)] == ["Beta", "Epsilon"]
