// @clickhouse/client (the official Node.js client) against `ethidx serve`.
// Run by ../run (node --test), which sets ETHIDX_CH_{HOST,PORT,USER,PASSWORD,DATABASE}
// to a server holding a devnet chain indexed into database eth; the user is read-only.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createClient } from '@clickhouse/client'

const env = (name) => {
  const v = process.env[`ETHIDX_CH_${name}`]
  if (!v) throw new Error(`ETHIDX_CH_${name} is not set (run ../run)`)
  return v
}
const url = `http://${env('HOST')}:${env('PORT')}`
const DB = env('DATABASE')
const open = (password = env('PASSWORD'), database = DB) =>
  createClient({ url, username: env('USER'), password, database, request_timeout: 60_000, log: { level: 127 } })
// The database the fully qualified checks connect to: not ethidx's.
const OTHER_DATABASE = process.env.ETHIDX_CH_OTHER_DATABASE || 'default'
// Every saved view as a BI tool names it; the parameterized ones over all history.
const QUALIFIED_VIEWS = [
  'daily_activity', 'monthly_growth', 'daily_fees', 'daily_blobs', 'daily_coverage', 'top_contracts',
  "daily_activity_between(from = '2000-01-01', to = '2100-01-01')",
  "monthly_growth_between(from = '2000-01-01', to = '2100-01-01')",
  "daily_fees_between(from = '2000-01-01', to = '2100-01-01')",
  "daily_blobs_between(from = '2000-01-01', to = '2100-01-01')",
  "daily_coverage_between(from = '2000-01-01', to = '2100-01-01')",
  "top_contracts_between(from = '2000-01-01', to = '2100-01-01', limit = 10)",
  'blocks_hex', 'transactions_hex', 'logs_hex', 'withdrawals_hex',
]

let client
before(() => { client = open() })
after(async () => { await client.close() })

const rows = async (query, params) =>
  (await client.query({ query, format: 'JSONEachRow', query_params: params })).json()
const scalar = async (query) => Number(Object.values((await rows(query))[0])[0])
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/
const VIEWS = ['daily_activity', 'monthly_growth']

test('ping and server identity', async () => {
  assert.deepEqual(await client.ping(), { success: true })
  const [r] = await rows('SELECT version() AS v, currentDatabase() AS db, currentUser() AS u')
  assert.match(r.v, /^\d+\.\d+/)
  assert.equal(r.db, DB)
})

test('a wrong password is refused', async () => {
  const bad = open('not-the-password')
  try {
    await assert.rejects(bad.query({ query: 'SELECT 1', format: 'JSONEachRow' }), (e) => {
      assert.match(String(e.message), /Authentication failed|password/i)
      return true
    })
  } finally { await bad.close() }
})

test('SHOW TABLES lists the tables and the views', async () => {
  const names = new Set((await rows('SHOW TABLES')).map((r) => r.name))
  for (const t of ['blocks', 'transactions', 'logs', 'withdrawals', 'blocks_hex', 'transactions_hex',
    'logs_hex', 'withdrawals_hex', ...VIEWS]) {
    assert.ok(names.has(t), `${t} missing from ${[...names]}`)
  }
  const engines = Object.fromEntries((await rows(
    'SELECT name, engine FROM system.tables WHERE database = currentDatabase()')).map((r) => [r.name, r.engine]))
  for (const v of ['transactions_hex', ...VIEWS]) assert.equal(engines[v], 'View', v)
  assert.equal(engines.transactions, 'ReplacingMergeTree')
})

test('daily_activity: types, and figures equal to the raw transactions', async () => {
  const rs = await client.query({
    query: 'SELECT day, tx_count, tx_success, active_addresses, active_senders, new_addresses FROM daily_activity ORDER BY day',
    format: 'JSONCompactEachRowWithNamesAndTypes',
  })
  const [names, types, ...data] = await rs.json()
  assert.deepEqual(names, ['day', 'tx_count', 'tx_success', 'active_addresses', 'active_senders', 'new_addresses'])
  assert.deepEqual(types, ['Date', 'UInt64', 'UInt64', 'UInt64', 'UInt64', 'UInt64'])
  assert.ok(data.length >= 60, `62 days of devnet history expected, got ${data.length}`)

  const truth = new Map((await rows(
    'SELECT toDate(block_timestamp) AS d, count() AS n, countIf(status = 1) AS ok, uniqExact(from) AS s ' +
    'FROM transactions FINAL GROUP BY d')).map((r) => [r.d, [Number(r.n), Number(r.ok), Number(r.s)]]))
  assert.equal(truth.size, data.length)
  let total = 0
  for (const [day, ...nums] of data) {
    assert.match(day, ISO_DAY)
    // 64-bit integers: numbers by default since ClickHouse 25.8, strings when quoted.
    for (const n of nums) assert.ok(typeof n === 'number' || typeof n === 'string', typeof n)
    const [tx, ok, active, senders, fresh] = nums.map(Number)
    assert.ok(tx > 0 && ok <= tx && senders > 0 && senders <= active && fresh <= active, day)
    assert.deepEqual([tx, ok, senders], truth.get(day), day)
    total += tx
  }
  assert.equal(total, await scalar('SELECT count() FROM transactions FINAL'))
})

test('daily_activity_between with bound query parameters', async () => {
  const days = (await rows('SELECT day FROM daily_activity ORDER BY day')).map((r) => r.day)
  const got = await rows(
    'SELECT day, tx_count FROM daily_activity_between(from = {lo:Date}, to = {hi:Date}) ORDER BY day',
    { lo: days[10], hi: days[16] })
  assert.deepEqual(got.map((r) => r.day), days.slice(10, 17))
})

test('monthly_growth: types, totals, growth and NULL for the first month', async () => {
  const daily = await rows('SELECT day, complete, tx_count FROM daily_activity')
  const months = await rows('SELECT * FROM monthly_growth ORDER BY month')
  assert.ok(months.length >= 3, `62 days span three calendar months, got ${months.length}`)
  let whole = 0
  months.forEach((m, i) => {
    assert.match(m.month, ISO_DAY)
    assert.ok(m.month.endsWith('-01'), m.month)
    const complete = daily.filter((d) => Number(d.complete) === 1 && d.day.slice(0, 7) === m.month.slice(0, 7))
    assert.equal(Number(m.days_covered), complete.length, m.month)
    assert.equal(Number(m.transactions), complete.reduce((s, d) => s + Number(d.tx_count), 0), m.month)
    assert.equal(Number(m.partial), Number(m.days_covered) < Number(m.days_in_month) ? 1 : 0, m.month)
    assert.equal(typeof m.active_addresses_mean, 'number')
    assert.equal(typeof m.transactions_per_day, 'number')
    for (const col of ['active_addresses_growth_pct', 'new_addresses_growth_pct', 'transactions_growth_pct']) {
      if (i === 0) assert.equal(m[col], null, `first month ${col}`)
      else assert.ok(m[col] === null || typeof m[col] === 'number', `${col} ${m[col]}`)
    }
    const prev = months[i - 1]
    if (prev && Number(prev.transactions) > 0) {
      const want = 100 * (Number(m.transactions) / Number(prev.transactions) - 1)
      assert.ok(Math.abs(m.transactions_growth_pct - want) <= 0.051, `${m.month}: ${m.transactions_growth_pct} vs ${want}`)
    }
    if (Number(m.partial) === 0) {
      whole++
      assert.ok(Number(m.transactions) > 0 && m.active_addresses_mean > 0)
    }
  })
  assert.ok(whole >= 1, '62 days hold a whole month')
})

test('streams every row of transactions_hex', async () => {
  const rs = await client.query({
    query: 'SELECT hash, from, value_wei FROM transactions_hex ORDER BY block_number, tx_index',
    format: 'JSONEachRow',
  })
  let n = 0
  for await (const batch of rs.stream()) {
    for (const row of batch) {
      const r = row.json()
      assert.match(r.hash, /^0x[0-9a-f]{64}$/)
      assert.match(r.from, /^0x[0-9a-f]{40}$/)
      assert.ok(['number', 'string'].includes(typeof r.value_wei))
      n++
    }
  }
  assert.equal(n, await scalar('SELECT count() FROM transactions FINAL'))
})

test('the read-only user cannot write', async () => {
  const blocks = await scalar('SELECT count() FROM blocks')
  for (const query of [
    'INSERT INTO ranges_done (from_block, to_block) VALUES (1000000, 1000001)',
    'CREATE TABLE driver_test_probe (a UInt8) ENGINE = Memory',
    'DROP TABLE IF EXISTS driver_test_probe',
    'ALTER TABLE ranges_done DELETE WHERE from_block = 1000000',
  ]) {
    await assert.rejects(client.command({ query }), (e) => {
      assert.equal(e.type, 'READONLY', `${query}: ${e.message}`)
      return true
    })
  }
  await assert.rejects(client.insert({
    table: 'ranges_done', format: 'JSONEachRow', values: [{ from_block: 1000000, to_block: 1000001 }],
  }), (e) => e.type === 'READONLY')
  assert.equal(await scalar('SELECT count() FROM blocks'), blocks)
  assert.equal(await scalar('SELECT count() FROM ranges_done WHERE from_block = 1000000'), 0)
})

// Grafana's ClickHouse plugin runs every query through clickhouse-go with a
// context deadline, and clickhouse-go then sends max_execution_time; a
// read-only user that may not set it could not run any Grafana panel.
test('a read-only user may set max_execution_time (Grafana)', async () => {
  const rs = await client.query({
    query: 'SELECT count() AS n FROM transactions_hex', format: 'JSONEachRow',
    clickhouse_settings: { max_execution_time: 65 },
  })
  assert.ok(Number((await rs.json())[0].n) > 0)
})

test('every view, fully qualified, from a connection to another database', async () => {
  const other = open(env('PASSWORD'), OTHER_DATABASE)
  try {
    const q = async (c, query, params) => (await c.query({ query, format: 'JSONEachRow', query_params: params })).json()
    const fingerprint = async (c, source) => {
      const [r] = await q(c, `SELECT count() AS n, toString(sum(cityHash64(toString(tuple(*))))) AS h FROM (SELECT * FROM ${source})`)
      return [Number(r.n), r.h]
    }
    const [cur] = await q(other, 'SELECT currentDatabase() AS db')
    // The endpoint runs a connection to database default in its empty
    // sandbox database (default maps table names to files).
    assert.equal(cur.db, OTHER_DATABASE === 'default' ? '_ethidx_sandbox' : OTHER_DATABASE)
    assert.notEqual(OTHER_DATABASE, DB)
    for (const view of QUALIFIED_VIEWS) {
      const want = await fingerprint(client, view)
      assert.deepEqual(await fingerprint(other, `${DB}.${view}`), want, view)
      assert.ok(want[0] > 0 || view === 'withdrawals_hex', `${view} is empty: the comparison proves nothing`)
    }
    const readme = await q(other, `SELECT * FROM ${DB}.daily_activity ORDER BY day DESC LIMIT 7`)
    assert.equal(readme.length, 7)
    assert.match(readme[0].day, ISO_DAY)
    const days = (await q(other, `SELECT day FROM ${DB}.daily_activity ORDER BY day`)).map((r) => r.day)
    const got = await q(other, `SELECT day FROM ${DB}.daily_activity_between(from = {lo:Date}, to = {hi:Date}) ORDER BY day`,
      { lo: days[10], hi: days[16] })
    assert.deepEqual(got.map((r) => r.day), days.slice(10, 17))
  } finally { await other.close() }
})
