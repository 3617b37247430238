"""clickhouse-connect (Superset's driver) against `ethidx serve`.

Run by ../run, which sets ETHIDX_CH_{HOST,PORT,USER,PASSWORD,DATABASE} to a
server holding a devnet chain indexed into database `eth`, the user being
read-only.
"""
import datetime
import os

import clickhouse_connect
import pytest
import sqlalchemy as sa
from clickhouse_connect.driver.exceptions import ClickHouseError

ENV = {k: os.environ[f"ETHIDX_CH_{k.upper()}"] for k in ("host", "port", "user", "password", "database")}
VIEWS = ["daily_activity", "monthly_growth"]

DAILY_COLUMNS = ["day", "tx_count", "tx_success", "active_addresses", "active_senders", "new_addresses"]
MONTHLY_COLUMNS = ["month", "days_covered", "days_in_month", "partial", "active_addresses_mean",
                   "new_addresses", "transactions", "new_addresses_per_day", "transactions_per_day",
                   "active_addresses_growth_pct", "new_addresses_growth_pct", "transactions_growth_pct"]


# The database the fully qualified checks connect to: not ethidx's.
OTHER_DATABASE = os.environ.get("ETHIDX_CH_OTHER_DATABASE", "default")
# Every saved view as a BI tool names it; the parameterized ones over all history.
QUALIFIED_VIEWS = [
    "daily_activity", "monthly_growth", "daily_fees", "daily_blobs", "daily_coverage", "top_contracts",
    "daily_activity_between(from = '2000-01-01', to = '2100-01-01')",
    "monthly_growth_between(from = '2000-01-01', to = '2100-01-01')",
    "daily_fees_between(from = '2000-01-01', to = '2100-01-01')",
    "daily_blobs_between(from = '2000-01-01', to = '2100-01-01')",
    "daily_coverage_between(from = '2000-01-01', to = '2100-01-01')",
    "top_contracts_between(from = '2000-01-01', to = '2100-01-01', limit = 10)",
    "blocks_hex", "transactions_hex", "logs_hex", "withdrawals_hex",
]


def connect(password=None, database=None, **kw):
    return clickhouse_connect.get_client(
        host=ENV["host"], port=int(ENV["port"]), username=ENV["user"],
        password=ENV["password"] if password is None else password,
        database=database or ENV["database"], connect_timeout=10, send_receive_timeout=60, **kw)


@pytest.fixture(scope="module")
def client():
    c = connect()
    yield c
    c.close()


def rows_as_dicts(result):
    return [dict(zip(result.column_names, r)) for r in result.result_rows]


def test_server_identity(client):
    assert client.server_version.split(".")[0].isdigit(), client.server_version
    assert client.command("SELECT 1") == 1
    assert client.command("SELECT currentDatabase()") == ENV["database"]


def test_wrong_password_is_refused():
    with pytest.raises(ClickHouseError):
        connect(password="not-the-password").command("SELECT 1")


def test_show_tables_lists_tables_and_views(client):
    tables = set(client.command("SHOW TABLES").split("\n"))
    for name in ["blocks", "transactions", "logs", "withdrawals",
                 "blocks_hex", "transactions_hex", "logs_hex", "withdrawals_hex"] + VIEWS:
        assert name in tables, f"{name} missing from SHOW TABLES: {sorted(tables)}"
    kinds = dict(client.query(
        "SELECT name, engine FROM system.tables WHERE database = currentDatabase()").result_rows)
    for name in ["transactions_hex"] + VIEWS:
        assert kinds[name] == "View", kinds
    assert kinds["transactions"] == "ReplacingMergeTree", kinds


def test_sqlalchemy_inspector_as_superset(client):
    """Superset lists schemas, tables, views and columns through the dialect."""
    engine = sa.create_engine(
        f"clickhousedb://{ENV['user']}:{ENV['password']}@{ENV['host']}:{ENV['port']}/{ENV['database']}")
    try:
        insp = sa.inspect(engine)
        assert ENV["database"] in insp.get_schema_names()
        tables = insp.get_table_names(schema=ENV["database"])
        views = insp.get_view_names(schema=ENV["database"])
        for name in ["blocks", "transactions", "logs", "withdrawals"]:
            assert name in tables, tables
        for name in ["transactions_hex"] + VIEWS:
            assert name in views, views
        cols = {c["name"]: (str(c["type"]), c["nullable"]) for c in insp.get_columns("transactions", schema=ENV["database"])}
        assert cols["block_timestamp"][0].startswith("DateTime"), cols
        assert cols["to"] == ("Nullable(FixedString(20))", True), cols
        cols = {c["name"]: (str(c["type"]), c["nullable"]) for c in insp.get_columns("monthly_growth", schema=ENV["database"])}
        assert cols["month"] == ("Date", False), cols
        assert cols["transactions"] == ("UInt64", False), cols
        assert cols["transactions_growth_pct"] == ("Nullable(Float64)", True), cols
        # A query built the way Superset's explore view builds one.
        with engine.connect() as conn:
            t = sa.Table("daily_activity", sa.MetaData(), autoload_with=conn, schema=ENV["database"])
            month = sa.func.toStartOfMonth(t.c.day).label("m")
            rows = conn.execute(sa.select(month, sa.func.sum(t.c.tx_count).label("tx"))
                                .group_by(sa.text("m")).order_by(sa.text("m"))).fetchall()
        assert len(rows) >= 3 and all(type(m) is datetime.date and tx > 0 for m, tx in rows), rows
        assert sum(tx for _, tx in rows) == client.command("SELECT count() FROM transactions FINAL")
    finally:
        engine.dispose()


def test_daily_activity_types_and_values(client):
    res = client.query("SELECT * FROM daily_activity ORDER BY day")
    for col in DAILY_COLUMNS:
        assert col in res.column_names, res.column_names
    rows = rows_as_dicts(res)
    assert len(rows) >= 60, f"62 days of devnet history expected, got {len(rows)} days"
    for r in rows:
        assert type(r["day"]) is datetime.date, r
        for col in DAILY_COLUMNS[1:]:
            assert type(r[col]) is int, (col, r)
        assert r["tx_count"] > 0, r
        assert r["tx_success"] <= r["tx_count"], r
        assert 0 < r["active_senders"] <= r["active_addresses"], r
        assert r["new_addresses"] <= r["active_addresses"], r
    days = [r["day"] for r in rows]
    assert days == sorted(set(days))

    # The same figures straight from the raw table.
    truth = {d: (n, ok, senders) for d, n, ok, senders in client.query(
        "SELECT toDate(block_timestamp) AS d, count(), countIf(status = 1), uniqExact(from) "
        "FROM transactions FINAL GROUP BY d").result_rows}
    assert set(truth) == set(days)
    for r in rows:
        assert (r["tx_count"], r["tx_success"], r["active_senders"]) == truth[r["day"]], r
    total = client.command("SELECT count() FROM transactions FINAL")
    assert sum(r["tx_count"] for r in rows) == total


def test_daily_activity_with_bound_parameters(client):
    days = [r[0] for r in client.query("SELECT day FROM daily_activity ORDER BY day").result_rows]
    lo, hi = days[10], days[16]
    res = client.query(
        "SELECT day, tx_count FROM daily_activity_between(from = {lo:Date}, to = {hi:Date}) ORDER BY day",
        parameters={"lo": lo, "hi": hi})
    assert [r[0] for r in res.result_rows] == days[10:17]
    # client-side binding (%(name)s) too, as Superset's SQL Lab does
    n = client.command("SELECT count() FROM daily_activity WHERE day BETWEEN %(lo)s AND %(hi)s",
                       parameters={"lo": lo, "hi": hi})
    assert n == 7


def test_monthly_growth_types_and_values(client):
    res = client.query("SELECT * FROM monthly_growth ORDER BY month")
    for col in MONTHLY_COLUMNS:
        assert col in res.column_names, res.column_names
    months = rows_as_dicts(res)
    assert len(months) >= 3, months  # 62 days span at least three calendar months
    daily = rows_as_dicts(client.query("SELECT day, complete, tx_count, new_addresses FROM daily_activity"))
    for i, m in enumerate(months):
        assert type(m["month"]) is datetime.date and m["month"].day == 1, m
        for col in ("days_covered", "days_in_month", "partial", "new_addresses", "transactions"):
            assert type(m[col]) is int, (col, m)
        for col in ("active_addresses_mean", "transactions_per_day", "new_addresses_per_day"):
            assert type(m[col]) is float, (col, m)
        complete = [d for d in daily if d["complete"] == 1 and d["day"].replace(day=1) == m["month"]]
        assert m["days_covered"] == len(complete), m
        assert m["partial"] == (1 if m["days_covered"] < m["days_in_month"] else 0), m
        assert m["transactions"] == sum(d["tx_count"] for d in complete), m
        assert m["new_addresses"] == sum(d["new_addresses"] for d in complete), m
        if m["days_covered"]:
            assert m["transactions_per_day"] == pytest.approx(m["transactions"] / m["days_covered"])
        for col in ("active_addresses_growth_pct", "new_addresses_growth_pct", "transactions_growth_pct"):
            g = m[col]
            if i == 0:
                assert g is None, f"first month {col} should be NULL, got {g!r}"
            else:
                assert g is None or type(g) is float, (col, g)
        if i > 0 and months[i - 1]["transactions"] > 0:
            want = 100 * (m["transactions"] / months[i - 1]["transactions"] - 1)
            assert m["transactions_growth_pct"] == pytest.approx(want, abs=0.051), m
    full = [m for m in months if m["partial"] == 0]
    assert full, "a 62-day history holds at least one whole month"
    assert all(m["transactions"] > 0 and m["active_addresses_mean"] > 0 for m in full)


def test_hex_view_and_uint256(client):
    res = client.query("SELECT hash, from, value_wei FROM transactions_hex ORDER BY block_number, tx_index LIMIT 20")
    assert len(res.result_rows) == 20
    for h, sender, wei in res.result_rows:
        assert isinstance(h, str) and h.startswith("0x") and len(h) == 66, h
        assert isinstance(sender, str) and len(sender) == 42, sender
        assert isinstance(wei, int) and wei >= 0, wei
    raw = client.query("SELECT hash FROM transactions FINAL ORDER BY block_number, tx_index LIMIT 1").result_rows[0][0]
    assert isinstance(raw, bytes) and len(raw) == 32 and "0x" + raw.hex() == res.result_rows[0][0]


def test_readonly_user_cannot_write(client):
    before = client.command("SELECT count() FROM blocks")
    for sql in [
        "INSERT INTO ranges_done (from_block, to_block) VALUES (1000000, 1000001)",
        "CREATE TABLE driver_test_probe (a UInt8) ENGINE = Memory",
        "DROP TABLE IF EXISTS driver_test_probe",
        "ALTER TABLE ranges_done DELETE WHERE from_block = 1000000",
    ]:
        with pytest.raises(ClickHouseError) as exc:
            client.command(sql)
        assert "readonly" in str(exc.value).lower() or "READONLY" in str(exc.value), str(exc.value)
    # the driver's own (Native, compressed) insert path
    with pytest.raises(ClickHouseError):
        client.insert("ranges_done", [[1000000, 1000001]], column_names=["from_block", "to_block"])
    assert client.command("SELECT count() FROM blocks") == before
    assert client.command("SELECT count() FROM ranges_done WHERE from_block = 1000000") == 0
    assert "driver_test_probe" not in client.command("SHOW TABLES")


def test_grafana_dashboard_queries(client):
    """deploy/grafana/ethidx-dashboard.json: every panel's SQL, with the macros
    expanded as the ClickHouse plugin expands them, runs as the read-only user."""
    import json
    import pathlib
    import re
    import time

    path = pathlib.Path(__file__).resolve().parents[5] / "deploy" / "grafana" / "ethidx-dashboard.json"
    dash = json.loads(path.read_text())
    assert {v["name"]: v["type"] for v in dash["templating"]["list"]}["datasource"] == "datasource"
    now = int(time.time())
    macros = {"$__fromTime": f"toDateTime({now - 90 * 86400})", "$__toTime": f"toDateTime({now})",
              "${database}": ENV["database"]}
    seen = 0
    for panel in dash["panels"]:
        for target in panel["targets"]:
            assert target["datasource"]["type"] == "grafana-clickhouse-datasource"
            sql = target["rawSql"]
            for k, v in macros.items():
                sql = sql.replace(k, v)
            assert not re.search(r"\$\{?\w", sql), f"unexpanded macro in {panel['title']}: {sql}"
            res = client.query(sql)
            assert res.result_rows, f"{panel['title']}: no rows"
            # The panels name ${database}, so a data source whose default
            # database is another one gets the same answer.
            other = connect(database=OTHER_DATABASE)
            try:
                assert other.query(sql).result_rows == res.result_rows, panel["title"]
            finally:
                other.close()
            if panel["type"] == "timeseries":
                assert res.column_names[0] == "time" and type(res.result_rows[0][0]) is datetime.datetime
                assert all(type(v) is int for row in res.result_rows for v in row[1:]), panel["title"]
            seen += 1
    assert seen == 4


def fingerprint(client, source):
    """A result's row count and an order-free hash of its rows."""
    n, h = client.query(
        f"SELECT count(), toString(sum(cityHash64(toString(tuple(*))))) FROM (SELECT * FROM {source})").result_rows[0]
    return n, h


def test_views_fully_qualified_from_another_database(client):
    """Every saved view, named <database>.<view> from a connection whose
    database is not ethidx's, answers what it answers in its own database;
    so does the README's example."""
    db = ENV["database"]
    other = connect(database=OTHER_DATABASE)
    try:
        # The endpoint runs a connection to database default in its empty
        # sandbox database (default maps table names to files).
        want = "_ethidx_sandbox" if OTHER_DATABASE == "default" else OTHER_DATABASE
        assert other.command("SELECT currentDatabase()") == want != db
        for view in QUALIFIED_VIEWS:
            want = fingerprint(client, view)
            assert fingerprint(other, f"{db}.{view}") == want, view
            assert want[0] > 0 or view == "withdrawals_hex", f"{view} is empty: the comparison proves nothing"
        rows = other.query(f"SELECT * FROM {db}.daily_activity ORDER BY day DESC LIMIT 7").result_rows
        assert len(rows) == 7 and type(rows[0][0]) is datetime.date
        # bound parameters into a qualified parameterized view
        days = [r[0] for r in other.query(f"SELECT day FROM {db}.daily_activity ORDER BY day").result_rows]
        res = other.query(
            f"SELECT day FROM {db}.daily_activity_between(from = {{lo:Date}}, to = {{hi:Date}}) ORDER BY day",
            parameters={"lo": days[10], "hi": days[16]})
        assert [r[0] for r in res.result_rows] == days[10:17]
    finally:
        other.close()
