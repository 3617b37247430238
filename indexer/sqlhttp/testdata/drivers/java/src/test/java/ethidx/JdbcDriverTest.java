package ethidx;

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigInteger;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ClickHouse JDBC driver (com.clickhouse:clickhouse-jdbc, Metabase's) against {@code ethidx serve}.
 * Run by ../run, which sets ETHIDX_CH_{HOST,PORT,USER,PASSWORD,DATABASE} to a server holding a
 * devnet chain indexed into database eth; the user is read-only.
 */
class JdbcDriverTest {
    static String env(String name) {
        String v = System.getenv("ETHIDX_CH_" + name);
        if (v == null || v.isEmpty()) throw new IllegalStateException("ETHIDX_CH_" + name + " is not set (run ../run)");
        return v;
    }

    static final String DB = env("DATABASE");
    static final String URL = "jdbc:clickhouse://" + env("HOST") + ":" + env("PORT") + "/" + DB;
    /** The database the fully qualified checks connect to: not ethidx's. */
    static final String OTHER_DB = System.getenv().getOrDefault("ETHIDX_CH_OTHER_DATABASE", "default");
    /** Every saved view as a BI tool names it; the parameterized ones over all history. */
    static final List<String> QUALIFIED_VIEWS = List.of(
            "daily_activity", "monthly_growth", "daily_fees", "daily_blobs", "daily_coverage", "top_contracts",
            "daily_activity_between(from = '2000-01-01', to = '2100-01-01')",
            "monthly_growth_between(from = '2000-01-01', to = '2100-01-01')",
            "daily_fees_between(from = '2000-01-01', to = '2100-01-01')",
            "daily_blobs_between(from = '2000-01-01', to = '2100-01-01')",
            "daily_coverage_between(from = '2000-01-01', to = '2100-01-01')",
            "top_contracts_between(from = '2000-01-01', to = '2100-01-01', limit = 10)",
            "blocks_hex", "transactions_hex", "logs_hex", "withdrawals_hex");
    static Connection conn;

    @BeforeAll
    static void connect() throws SQLException {
        conn = DriverManager.getConnection(URL, env("USER"), env("PASSWORD"));
    }

    @AfterAll
    static void close() throws SQLException {
        if (conn != null) conn.close();
    }

    static long count(String sql) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getLong(1);
        }
    }

    @Test
    void connectsOverHttpAndReportsTheServer() throws SQLException {
        DatabaseMetaData md = conn.getMetaData();
        assertEquals("ClickHouse", md.getDatabaseProductName());
        assertTrue(md.getDatabaseProductVersion().matches("\\d+\\.\\d+.*"), md.getDatabaseProductVersion());
        assertEquals(DB, conn.getSchema());
        assertEquals(1, count("SELECT 1"));
        assertTrue(conn.isValid(5));
    }

    @Test
    void wrongPasswordIsRefused() {
        assertThrows(SQLException.class, () -> {
            try (Connection c = DriverManager.getConnection(URL, env("USER"), "not-the-password");
                 Statement st = c.createStatement()) {
                st.executeQuery("SELECT 1").close();
            }
        });
    }

    @Test
    void metadataListsTablesAndViews() throws SQLException {
        Map<String, String> types = new HashMap<>();
        try (ResultSet rs = conn.getMetaData().getTables(null, DB, "%", new String[] {"TABLE", "VIEW"})) {
            while (rs.next()) {
                assertEquals(DB, rs.getString("TABLE_SCHEM"));
                types.put(rs.getString("TABLE_NAME"), rs.getString("TABLE_TYPE"));
            }
        }
        for (String t : List.of("blocks", "transactions", "logs", "withdrawals")) assertEquals("TABLE", types.get(t), t + " in " + types);
        for (String v : List.of("blocks_hex", "transactions_hex", "logs_hex", "withdrawals_hex"))
            assertEquals("VIEW", types.get(v), v + " in " + types);

        // Metabase syncs columns through getColumns.
        Map<String, String> cols = new HashMap<>();
        try (ResultSet rs = conn.getMetaData().getColumns(null, DB, "transactions_hex", "%")) {
            while (rs.next()) cols.put(rs.getString("COLUMN_NAME"), rs.getString("TYPE_NAME"));
        }
        assertEquals("Date", cols.get("day"), cols.toString());
        assertEquals("String", cols.get("hash"), cols.toString());
        assertEquals("UInt256", cols.get("value_wei"), cols.toString());

        for (String v : List.of("daily_activity", "monthly_growth"))
            assertEquals("VIEW", types.get(v), v + " in " + types);
        cols.clear();
        try (ResultSet rs = conn.getMetaData().getColumns(null, DB, "daily_activity", "%")) {
            while (rs.next()) cols.put(rs.getString("COLUMN_NAME"), rs.getString("TYPE_NAME"));
        }
        assertEquals("Date", cols.get("day"), cols.toString());
        for (String c : List.of("tx_count", "tx_success", "active_addresses", "active_senders", "new_addresses"))
            assertEquals("UInt64", cols.get(c), c + " in " + cols);
    }

    @Test
    void dailyActivity() throws SQLException {
        Map<LocalDate, long[]> truth = new HashMap<>();
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT toDate(block_timestamp) AS d, count(), countIf(status = 1), uniqExact(from) "
                     + "FROM transactions FINAL GROUP BY d")) {
            while (rs.next()) truth.put(rs.getObject(1, LocalDate.class), new long[] {rs.getLong(2), rs.getLong(3), rs.getLong(4)});
        }
        long total = 0;
        List<LocalDate> days = new ArrayList<>();
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT day, tx_count, tx_success, active_addresses, active_senders, new_addresses "
                     + "FROM daily_activity ORDER BY day")) {
            ResultSetMetaData md = rs.getMetaData();
            assertEquals(Types.DATE, md.getColumnType(1));
            assertEquals("Date", md.getColumnTypeName(1));
            for (int i = 2; i <= 6; i++) {
                assertEquals("UInt64", md.getColumnTypeName(i), md.getColumnName(i));
                assertEquals(ResultSetMetaData.columnNoNulls, md.isNullable(i), md.getColumnName(i));
            }
            while (rs.next()) {
                LocalDate day = rs.getObject("day", LocalDate.class);
                assertEquals(day, rs.getDate("day").toLocalDate());
                assertInstanceOf(BigInteger.class, rs.getObject("tx_count"));
                long tx = rs.getLong("tx_count"), ok = rs.getLong("tx_success");
                long active = rs.getLong("active_addresses"), senders = rs.getLong("active_senders"), fresh = rs.getLong("new_addresses");
                assertTrue(tx > 0 && ok <= tx && senders > 0 && senders <= active && fresh <= active, "day " + day);
                long[] t = truth.get(day);
                assertNotNull(t, "day " + day + " not in transactions");
                assertArrayEquals(t, new long[] {tx, ok, senders}, "day " + day);
                days.add(day);
                total += tx;
            }
        }
        assertTrue(days.size() >= 60, "62 days of devnet history expected, got " + days.size());
        assertEquals(truth.size(), days.size());
        assertEquals(count("SELECT count() FROM transactions FINAL"), total);

        // A prepared statement with a Date parameter, as BI filters send.
        try (PreparedStatement ps = conn.prepareStatement("SELECT count(), sum(tx_count) FROM daily_activity WHERE day BETWEEN ? AND ?")) {
            ps.setDate(1, java.sql.Date.valueOf(days.get(10)));
            ps.setObject(2, days.get(16));
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(7, rs.getLong(1));
            }
        }
    }

    @Test
    void monthlyGrowth() throws SQLException {
        Map<LocalDate, long[]> fromDays = new HashMap<>(); // month -> complete days, transactions
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT day, complete, tx_count FROM daily_activity")) {
            while (rs.next()) {
                if (rs.getInt("complete") != 1) continue;
                long[] m = fromDays.computeIfAbsent(rs.getObject("day", LocalDate.class).withDayOfMonth(1), k -> new long[2]);
                m[0]++;
                m[1] += rs.getLong("tx_count");
            }
        }
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT month, days_covered, days_in_month, partial, active_addresses_mean, "
                     + "transactions, transactions_per_day, transactions_growth_pct, active_addresses_growth_pct, "
                     + "new_addresses_growth_pct FROM monthly_growth ORDER BY month")) {
            ResultSetMetaData md = rs.getMetaData();
            assertEquals(Types.DATE, md.getColumnType(1));
            assertEquals("Float64", md.getColumnTypeName(5));
            assertEquals(Types.DOUBLE, md.getColumnType(5));
            for (int i = 8; i <= 10; i++) {
                assertEquals("Nullable(Float64)", md.getColumnTypeName(i), md.getColumnName(i));
                assertEquals(Types.DOUBLE, md.getColumnType(i), md.getColumnName(i));
                assertEquals(ResultSetMetaData.columnNullable, md.isNullable(i), md.getColumnName(i));
            }
            int n = 0, whole = 0;
            long prevTx = 0;
            while (rs.next()) {
                LocalDate month = rs.getObject("month", LocalDate.class);
                assertEquals(1, month.getDayOfMonth());
                long covered = rs.getLong("days_covered"), tx = rs.getLong("transactions");
                long[] want = fromDays.getOrDefault(month, new long[2]);
                assertEquals(want[0], covered, "days_covered " + month);
                assertEquals(want[1], tx, "transactions " + month);
                assertEquals(covered < rs.getLong("days_in_month") ? 1 : 0, rs.getInt("partial"), "partial " + month);
                if (covered > 0) assertEquals((double) tx / covered, rs.getDouble("transactions_per_day"), 1e-9);
                double growth = rs.getDouble("transactions_growth_pct");
                boolean isNull = rs.wasNull();
                if (n == 0) {
                    assertTrue(isNull, "first month has no growth");
                    assertNull(rs.getObject("active_addresses_growth_pct"));
                    assertNull(rs.getObject("new_addresses_growth_pct"));
                } else if (prevTx > 0) {
                    assertFalse(isNull, "growth of " + month);
                    assertEquals(100.0 * ((double) tx / prevTx - 1), growth, 0.051, "growth of " + month);
                    assertInstanceOf(Double.class, rs.getObject("transactions_growth_pct"));
                }
                if (rs.getInt("partial") == 0) {
                    whole++;
                    assertTrue(tx > 0 && rs.getDouble("active_addresses_mean") > 0, "whole month " + month);
                }
                prevTx = tx;
                n++;
            }
            assertTrue(n >= 3, "62 days span three calendar months, got " + n);
            assertTrue(whole >= 1, "62 days hold a whole month");
        }
    }

    @Test
    void hexViewAndUInt256() throws SQLException {
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT hash, from, value_wei FROM transactions_hex ORDER BY block_number, tx_index LIMIT 20")) {
            int n = 0;
            while (rs.next()) {
                assertTrue(rs.getString(1).matches("0x[0-9a-f]{64}"), rs.getString(1));
                assertTrue(rs.getString(2).matches("0x[0-9a-f]{40}"), rs.getString(2));
                Object wei = rs.getObject(3);
                assertInstanceOf(BigInteger.class, wei);
                assertTrue(((BigInteger) wei).signum() >= 0);
                n++;
            }
            assertEquals(20, n);
        }
    }

    @Test
    void readOnlyUserCannotWrite() throws SQLException {
        long blocks = count("SELECT count() FROM blocks");
        for (String sql : List.of(
                "INSERT INTO ranges_done (from_block, to_block) VALUES (1000000, 1000001)",
                "CREATE TABLE driver_test_probe (a UInt8) ENGINE = Memory",
                "DROP TABLE IF EXISTS driver_test_probe",
                "ALTER TABLE ranges_done DELETE WHERE from_block = 1000000")) {
            try (Statement st = conn.createStatement()) {
                SQLException e = assertThrows(SQLException.class, () -> st.execute(sql), sql);
                assertTrue(e.getMessage().contains("READONLY") || e.getMessage().toLowerCase().contains("readonly"), e.getMessage());
            }
        }
        // The driver's batch insert path.
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO ranges_done (from_block, to_block) VALUES (?, ?)")) {
            ps.setLong(1, 1000000);
            ps.setLong(2, 1000001);
            ps.addBatch();
            assertThrows(SQLException.class, ps::executeBatch);
        }
        assertEquals(blocks, count("SELECT count() FROM blocks"));
        assertEquals(0, count("SELECT count() FROM ranges_done WHERE from_block = 1000000"));
        // The connection is still usable after the refusals.
        assertEquals(1, count("SELECT 1"));
    }

    /** A result's row count and an order-free hash of its rows. */
    static String fingerprint(Connection c, String source) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(), toString(sum(cityHash64(toString(tuple(*))))) FROM (SELECT * FROM " + source + ")")) {
            assertTrue(rs.next(), source);
            return rs.getLong(1) + "/" + rs.getString(2);
        }
    }

    @Test
    void viewsFullyQualifiedFromAnotherDatabase() throws SQLException {
        String url = "jdbc:clickhouse://" + env("HOST") + ":" + env("PORT") + "/" + OTHER_DB;
        try (Connection other = DriverManager.getConnection(url, env("USER"), env("PASSWORD"))) {
            assertEquals(OTHER_DB, other.getSchema());
            assertNotEquals(DB, OTHER_DB);
            for (String view : QUALIFIED_VIEWS) {
                String want = fingerprint(conn, view);
                assertEquals(want, fingerprint(other, DB + "." + view), view);
                assertTrue(!want.startsWith("0/") || view.equals("withdrawals_hex"), view + " is empty: the comparison proves nothing");
            }
            // The README's example, as written.
            try (Statement st = other.createStatement();
                 ResultSet rs = st.executeQuery("SELECT * FROM " + DB + ".daily_activity ORDER BY day DESC LIMIT 7")) {
                int n = 0;
                while (rs.next()) {
                    assertNotNull(rs.getObject("day", LocalDate.class));
                    n++;
                }
                assertEquals(7, n);
            }
            // A prepared statement against a qualified view.
            try (PreparedStatement ps = other.prepareStatement("SELECT count() FROM " + DB + ".daily_activity WHERE day >= ?")) {
                ps.setDate(1, java.sql.Date.valueOf("2000-01-01"));
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(count("SELECT count() FROM daily_activity"), rs.getLong(1));
                }
            }
        }
    }
}
