"""`ethidx export`'s files, read by pyarrow, polars and DuckDB.

Run by ../run (suite `export`), which sets ETHIDX_BIN to an ethidx binary
and ETHIDX_EXPORT_DSN to the running `ethidx serve` as the read-only user
(exporting only reads). The test exports every table in every
format, reads each file set with each reader and compares row counts, sums
and distinct counts with what `ethidx sql` says of the tables.
"""
import datetime
import glob
import json
import os
import subprocess

import duckdb
import polars as pl
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest

BIN = os.environ["ETHIDX_BIN"]
DSN = os.environ["ETHIDX_EXPORT_DSN"]
FORMATS = ["parquet", "csv", "jsonl"]
CHAIN = ["blocks", "transactions", "logs", "withdrawals"]
DAILY = ["daily_activity", "daily_fees"]


def ethidx(*args):
    env = dict(os.environ, ETHIDX_CLICKHOUSE=DSN)
    p = subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"ethidx {' '.join(args)}: exit {p.returncode}\n{p.stderr}"
    return p.stdout


def sql(query):
    """One row of `ethidx sql --format json`, as a dict."""
    rows = json.loads(ethidx("sql", "--format", "json", query))
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture(scope="module")
def span():
    """The stored, completed blocks (one range from 0) and their complete days."""
    r = sql("SELECT min(from_block) AS lo, max(to_block) AS hi, count() AS n FROM ranges_done FINAL")
    assert r["lo"] == 0, r
    c = sql("SELECT toString(min(day)) AS first, toString(max(day)) AS last, count() AS days "
            "FROM daily_coverage WHERE complete = 1")
    first = datetime.date.fromisoformat(c["first"])
    last = datetime.date.fromisoformat(c["last"])
    assert (last - first).days + 1 == c["days"], c
    return {"lo": 0, "hi": r["hi"], "first": first, "last": last}


@pytest.fixture(scope="module")
def exported(tmp_path_factory, span):
    out = {}
    for fmt in FORMATS:
        d = tmp_path_factory.mktemp(fmt)
        ethidx("export", "--table", ",".join(CHAIN), "--from", "0", "--to", str(span["hi"]),
               "--format", fmt, "--output", str(d))
        ethidx("export", "--table", ",".join(DAILY), "--from-date", span["first"].isoformat(),
               "--to-date", span["last"].isoformat(), "--format", fmt, "--output", str(d))
        # monthly_growth by whole months: those fully inside the complete days.
        m0 = span["first"].replace(day=1)
        if m0 < span["first"]:
            m0 = (m0 + datetime.timedelta(days=32)).replace(day=1)
        m1 = span["last"].replace(day=1) - datetime.timedelta(days=1)
        if (span["last"] + datetime.timedelta(days=1)).day == 1:
            m1 = span["last"]
        assert m0 < m1, (m0, m1)
        ethidx("export", "--table", "monthly_growth", "--from-date", m0.isoformat(), "--to-date", m1.isoformat(),
               "--format", fmt, "--output", str(d))
        out[fmt] = d
    out["months"] = (m0, m1)
    return out


# What `ethidx sql` says of each table, over the exported range, and the
# same figures as DuckDB computes them from the files. Wei columns are
# decimal strings, cast to 128 bits to add up.
@pytest.fixture(scope="module")
def want(span, exported):
    months = exported["months"]
    hi, f, l = span["hi"], span["first"].isoformat(), span["last"].isoformat()
    m0, m1 = months[0].isoformat(), months[1].isoformat()
    return {
        "blocks": sql(f"SELECT count() AS rows, sum(tx_count) AS txs, toString(sum(burned_wei)) AS burned, "
                      f"uniqExact(hash) AS hashes FROM blocks FINAL WHERE number <= {hi}"),
        "transactions": sql(f"SELECT count() AS rows, toString(sum(value)) AS value, sum(gas_used) AS gas, "
                            f"countIf(to IS NULL) AS no_to, uniqExact(hash) AS hashes "
                            f"FROM transactions FINAL WHERE block_number <= {hi}"),
        "logs": sql(f"SELECT count() AS rows, uniqExact(address) AS addresses, countIf(topic0 IS NULL) AS no_topic0, "
                    f"sum(length(data)) AS data_bytes FROM logs FINAL WHERE block_number <= {hi}"),
        "withdrawals": sql(f"SELECT count() AS rows, sum(amount_gwei) AS gwei FROM withdrawals FINAL WHERE block_number <= {hi}"),
        "daily_activity": sql(f"SELECT count() AS rows, sum(tx_count) AS txs, sum(active_addresses) AS active, "
                              f"sum(new_addresses) AS new FROM daily_activity_between(from = '{f}', to = '{l}')"),
        "daily_fees": sql(f"SELECT count() AS rows FROM daily_fees_between(from = '{f}', to = '{l}')"),
        "monthly_growth": sql(f"SELECT count() AS rows, sum(transactions) AS txs "
                              f"FROM monthly_growth_between(from = '{m0}', to = '{m1}')"),
    }


DUCK = {
    "blocks": "SELECT count(*) AS rows, sum(tx_count::HUGEINT) AS txs, sum(burned_wei::HUGEINT)::VARCHAR AS burned, "
              "count(DISTINCT hash) AS hashes FROM t",
    "transactions": "SELECT count(*) AS rows, sum(value::HUGEINT)::VARCHAR AS value, sum(gas_used::HUGEINT) AS gas, "
                    "count(*) - count(\"to\") AS no_to, count(DISTINCT hash) AS hashes FROM t",
    "logs": "SELECT count(*) AS rows, count(DISTINCT address) AS addresses, count(*) - count(topic0) AS no_topic0, "
            "sum((length(data) - 2) // 2) AS data_bytes FROM t",
    "withdrawals": "SELECT count(*) AS rows, sum(amount_gwei::HUGEINT) AS gwei FROM t",
    "daily_activity": "SELECT count(*) AS rows, sum(tx_count::HUGEINT) AS txs, sum(active_addresses::HUGEINT) AS active, "
                      "sum(new_addresses::HUGEINT) AS new FROM t",
    "daily_fees": "SELECT count(*) AS rows FROM t",
    "monthly_growth": "SELECT count(*) AS rows, sum(transactions::HUGEINT) AS txs FROM t",
}


def files(exported, fmt, table):
    paths = sorted(glob.glob(os.path.join(exported[fmt], f"{table}__*.{fmt}")))
    assert paths, f"no {fmt} files for {table} in {exported[fmt]}"
    assert not glob.glob(os.path.join(exported[fmt], "*.tmp"))
    return paths


def norm(d):
    """Figures as ints (sums come back as int, float or decimal string)."""
    return {k: int(v) if not isinstance(v, str) else int(v) for k, v in d.items()}


TABLES = CHAIN + DAILY + ["monthly_growth"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", TABLES)
def test_duckdb(exported, want, fmt, table):
    want = norm(want[table])
    # CSV as text, cast where added up: a sniffer could take a wei column
    # for a float.
    reader = {"parquet": "read_parquet({})", "csv": "read_csv({}, all_varchar = true)", "jsonl": "read_json({})"}[fmt]
    con = duckdb.connect()
    paths = files(exported, fmt, table)
    con.execute("CREATE VIEW t AS SELECT * FROM " + reader.format(repr(paths)))
    cur = con.execute(DUCK[table])
    got = norm(dict(zip([c[0] for c in cur.description], cur.fetchone())))
    assert got == want, (table, fmt)


def pyarrow_table(paths, fmt):
    import pyarrow as pa
    if fmt == "parquet":
        return pa.concat_tables([pq.read_table(p) for p in paths])
    if fmt == "csv":
        # Everything as text: the checks below cast what they add up.
        tabs = []
        for p in paths:
            names = pacsv.read_csv(p, read_options=pacsv.ReadOptions(skip_rows_after_names=1 << 30)).column_names
            tabs.append(pacsv.read_csv(p, convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True)))
        return pa.concat_tables(tabs)
    return pa.concat_tables([pajson.read_json(p) for p in paths], promote_options="permissive")


@pytest.mark.parametrize("fmt", FORMATS)
def test_pyarrow_transactions(exported, want, fmt):
    """pyarrow: the exact wei total, via Python ints from the decimal strings."""
    want = want["transactions"]
    t = pyarrow_table(files(exported, fmt, "transactions"), fmt)
    assert t.num_rows == want["rows"]
    assert sum(int(v) for v in t.column("value").to_pylist()) == int(want["value"])
    assert t.column("to").null_count == want["no_to"]
    assert len(pc.unique(t.column("hash"))) == want["hashes"]
    assert all(h.startswith("0x") and len(h) == 66 for h in t.column("hash").to_pylist()[:100])
    if fmt == "parquet":
        assert str(t.schema.field("block_timestamp").type) == "timestamp[ms, tz=UTC]"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", ["blocks", "logs", "withdrawals", "daily_activity"])
def test_pyarrow_counts(exported, want, fmt, table):
    want = want[table]
    t = pyarrow_table(files(exported, fmt, table), fmt)
    assert t.num_rows == want["rows"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_polars(exported, want, fmt):
    for table in ["transactions", "logs", "daily_activity"]:
        paths = files(exported, fmt, table)
        if fmt == "parquet":
            df = pl.read_parquet(paths)
        elif fmt == "csv":
            df = pl.concat([pl.read_csv(p, infer_schema=False) for p in paths])
        else:
            df = pl.concat([pl.read_ndjson(p, infer_schema_length=None) for p in paths], how="diagonal_relaxed")
        assert df.height == want[table]["rows"], (table, fmt)
        if table == "transactions":
            assert df["hash"].n_unique() == want[table]["hashes"]
            assert df["to"].null_count() == want[table]["no_to"]
            assert sum(int(v) for v in df["value"].to_list()) == int(want[table]["value"])
        if table == "daily_activity":
            assert df["tx_count"].cast(pl.Int64).sum() == want[table]["txs"]
