package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/rpcsource"
	"github.com/ethidx/ethidx/store"
	"github.com/ethidx/ethidx/store/inspect"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "what is indexed, where the gaps are, how far behind the node, how big",
		UsageText: "ethidx status                                # what the store knows, no node needed\n" +
			"ethidx status --rpc http://node:8545          # and how far behind the node's head it is\n" +
			"ethidx status --rpc http://node:8545 --format json",
		Description: "Prints the store's completed block ranges and the gaps between them, the stored\n" +
			"tip and its age, rows and compressed bytes per table (from the parts' metadata),\n" +
			"how many days the day cache holds and how many of them still apply, the last\n" +
			"`ethidx verify` run, and any lost data the damage check finds. With --rpc it\n" +
			"also reads the node's latest, safe and finalized blocks and the lag of the\n" +
			"stored tip behind the latest, in blocks and seconds. It opens a damaged store\n" +
			"(that is when it is needed most) and exits 0 whenever it could read the store;\n" +
			"a node that does not answer is reported, not fatal.",
		Flags: append(own(&cli.StringFlag{Name: "format", Usage: "text or json", Value: "text"}),
			groups(catStorage, catNode, catLogging)...),
		Action: runStatus,
	}
}

// nodeTimeout bounds the node calls of status: an unreachable node makes
// status slower by this much at most, never stuck.
const nodeTimeout = 20 * time.Second

func runStatus(c *cli.Context) error {
	format := c.String("format")
	if format != "text" && format != "json" {
		return badInput("--format %q: want text or json", format)
	}
	st, err := openInspectStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	ss, err := inspect.ReadStatus(c.Context, st.Conn, inspect.StatusOptions{Validity: true})
	if err != nil {
		return err
	}
	opts, err := nodeOptions(c)
	if err != nil {
		return err
	}
	var node *nodeStatus
	if len(opts.URLs) > 0 {
		node = readNode(c.Context, opts, ss.ChainID)
	}
	rep := newStatusReport(st.Database, ss, st.Damage, node, time.Now())
	if format == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.writeText(os.Stdout)
	return nil
}

// openInspectStore opens storage for a command that inspects it (status)
// or records what it checked (verify): it keeps the schema current when
// the user may, so the verify_runs table exists, and otherwise reads what
// is there. A damaged store is opened, as these commands are how a user
// finds out what is wrong.
func openInspectStore(c *cli.Context) (*store.Store, error) {
	ep := endpointConfig{allowDamage: true, mustExist: true}
	st, err := openStore(c, false, ep)
	var ex *clickhouse.Exception
	if err != nil && errors.As(err, &ex) && (ex.Code == codeReadonly || ex.Code == codeAccessDenied) {
		slog.Debug("read-only user: not migrating", "err", err)
		return openStore(c, true, ep)
	}
	return st, err
}

// nodeStatus is what the node says of its head.
type nodeStatus struct {
	Latest, Safe, Finalized *indexer.Header
	Err                     error // the first failure, if any tag could not be read
}

// readNode reads the node's latest, safe and finalized blocks. A tag the
// node does not know (a chain without a beacon chain has no safe or
// finalized block) is left out, with its error. A node of another chain
// than the store's is refused (its head says nothing about this store's
// lag), unless --chain-id names the chain to expect.
func readNode(ctx context.Context, opts rpcsource.Options, storedChain uint64) *nodeStatus {
	ctx, cancel := context.WithTimeout(ctx, nodeTimeout)
	defer cancel()
	if opts.ChainID == 0 {
		opts.ChainID = storedChain
	}
	src, err := openSource(ctx, opts)
	if err != nil {
		return &nodeStatus{Err: err}
	}
	defer src.Close()
	return nodeHeads(ctx, src)
}

// refreshStatus reads the cheap part of status (the parts' metadata,
// ranges_done, the day cache table; not the per-day cache validity nor the
// block scan of the damage check) and the node's tags through the
// follower's own source, and sets the store gauges. A failure is logged
// and leaves the gauges as they were: metrics never stop the follower.
func (m *followMetrics) refreshStatus(ctx context.Context, st *store.Store, src indexer.Source) {
	ss, err := inspect.ReadStatus(ctx, st.Conn, inspect.StatusOptions{})
	if err != nil {
		if ctx.Err() == nil {
			slog.Warn("reading the store's status for metrics", "err", err)
		}
		return
	}
	nctx, cancel := context.WithTimeout(ctx, nodeTimeout)
	node := nodeHeads(nctx, src)
	cancel()
	m.observeStatus(newStatusReport(st.Database, ss, nil, node, time.Now()), ss.DetachedParts)
}

// nodeHeads reads the three tags from src, keeping what it could read.
func nodeHeads(ctx context.Context, src indexer.Source) *nodeStatus {
	n := &nodeStatus{}
	for _, tag := range []struct {
		f   indexer.Finality
		out **indexer.Header
	}{{indexer.Latest, &n.Latest}, {indexer.Safe, &n.Safe}, {indexer.Finalized, &n.Finalized}} {
		h, err := src.Head(ctx, tag.f)
		if err != nil {
			if n.Err == nil {
				n.Err = err
			}
			continue
		}
		*tag.out = &h
	}
	return n
}

// statusReport is status's answer; the JSON form is its fields as tagged.
type statusReport struct {
	Database   string         `json:"database"`
	ChainID    uint64         `json:"chain_id,omitempty"`
	Genesis    string         `json:"genesis_hash,omitempty"`
	Node       *nodeReport    `json:"node,omitempty"`
	Stored     storedReport   `json:"stored"`
	Lag        *lagReport     `json:"lag,omitempty"`
	Tables     []tableReport  `json:"tables"`
	DayCache   dayCacheReport `json:"day_cache"`
	LastVerify *verifyReport  `json:"last_verify"`
	// Problems is the damage check's answer (inspect.CheckStore): lost
	// data, each with the command that repairs it. Empty when whole.
	Problems []string `json:"problems"`
	// LeftOut names the parts that could not be read (see
	// inspect.Status.LeftOut); their fields above are empty.
	LeftOut []string `json:"left_out,omitempty"`
}

type nodeReport struct {
	Latest    *uint64 `json:"latest,omitempty"`
	Safe      *uint64 `json:"safe,omitempty"`
	Finalized *uint64 `json:"finalized,omitempty"`
	// LatestTime is the latest block's timestamp.
	LatestTime *time.Time `json:"latest_time,omitempty"`
	Error      string     `json:"error,omitempty"`
}

type blockRange struct {
	From   uint64 `json:"from"`
	To     uint64 `json:"to"`
	Blocks uint64 `json:"blocks"`
}

type storedReport struct {
	// Tip is the last block of the newest completed range (nil: nothing
	// is stored); TipTime its timestamp, and TipAgeSeconds now minus it.
	Tip           *uint64      `json:"tip"`
	TipTime       *time.Time   `json:"tip_time,omitempty"`
	TipAgeSeconds *int64       `json:"tip_age_seconds,omitempty"`
	Blocks        uint64       `json:"blocks"`
	Ranges        []blockRange `json:"ranges"`
	Gaps          []blockRange `json:"gaps"`
	GapBlocks     uint64       `json:"gap_blocks"`
}

// lagReport is how far the stored tip is behind the node's latest block
// (and its finalized block, which a follower at the default finality
// tracks instead).
type lagReport struct {
	Blocks          uint64  `json:"blocks"`
	Seconds         *int64  `json:"seconds,omitempty"`
	FinalizedBlocks *uint64 `json:"finalized_blocks,omitempty"`
}

type tableReport struct {
	Table             string `json:"table"`
	Rows              uint64 `json:"rows"`
	CompressedBytes   uint64 `json:"compressed_bytes"`
	UncompressedBytes uint64 `json:"uncompressed_bytes"`
	Parts             uint64 `json:"parts"`
}

type dayCacheReport struct {
	Installed    bool    `json:"installed"`
	CachedDays   uint64  `json:"cached_days"`
	First        *string `json:"first,omitempty"`
	Last         *string `json:"last,omitempty"`
	StoredDays   uint64  `json:"stored_days"`
	CompleteDays uint64  `json:"complete_days"`
	// ValidDays are the cached days whose row still matches the stored
	// blocks, so the views read them from the cache.
	ValidDays uint64 `json:"valid_days"`
}

type verifyReport struct {
	From     uint64    `json:"from"`
	To       uint64    `json:"to"`
	Problems uint64    `json:"problems"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
}

func ranges(rs []indexer.Range) []blockRange {
	out := make([]blockRange, 0, len(rs))
	for _, r := range rs {
		out = append(out, blockRange{From: r.From, To: r.To, Blocks: r.Len()})
	}
	return out
}

func newStatusReport(database string, ss inspect.Status, damage inspect.Damage, node *nodeStatus, now time.Time) statusReport {
	rep := statusReport{
		Database: database, ChainID: ss.ChainID,
		Stored: storedReport{
			Blocks: ss.DoneBlocks(), Ranges: ranges(ss.Done), Gaps: ranges(ss.Gaps), GapBlocks: ss.GapBlocks(),
		},
		Tables:   []tableReport{},
		Problems: []string{},
		LeftOut:  ss.LeftOut,
	}
	if ss.Genesis != (common.Hash{}) {
		rep.Genesis = ss.Genesis.Hex()
	}
	if ss.HasTip {
		tip := ss.Tip
		rep.Stored.Tip = &tip
		if !ss.TipTime.IsZero() {
			// A node's clock may run a little ahead of this machine's.
			t, age := ss.TipTime, max(0, int64(now.Sub(ss.TipTime).Seconds()))
			rep.Stored.TipTime, rep.Stored.TipAgeSeconds = &t, &age
		}
	}
	for _, t := range ss.Tables {
		rep.Tables = append(rep.Tables, tableReport(t))
	}
	c := ss.Cache
	rep.DayCache = dayCacheReport{Installed: !c.Missing, CachedDays: c.CachedDays,
		StoredDays: c.StoredDays, CompleteDays: c.CompleteDays, ValidDays: c.ValidDays}
	if c.CachedDays > 0 {
		f, l := c.First.Format(time.DateOnly), c.Last.Format(time.DateOnly)
		rep.DayCache.First, rep.DayCache.Last = &f, &l
	}
	if v := ss.LastVerify; v != nil {
		rep.LastVerify = &verifyReport{From: v.Blocks.From, To: v.Blocks.To, Problems: v.Problems,
			Started: v.Started.UTC(), Finished: v.Finished.UTC()}
	}
	for _, p := range damage {
		rep.Problems = append(rep.Problems, p.String())
	}
	if node == nil {
		return rep
	}
	rep.Node = &nodeReport{}
	num := func(h *indexer.Header) *uint64 {
		if h == nil {
			return nil
		}
		n := h.Number
		return &n
	}
	rep.Node.Latest, rep.Node.Safe, rep.Node.Finalized = num(node.Latest), num(node.Safe), num(node.Finalized)
	if node.Latest != nil {
		t := time.Unix(int64(node.Latest.Timestamp), 0).UTC()
		rep.Node.LatestTime = &t
	}
	if node.Err != nil {
		rep.Node.Error = node.Err.Error()
	}
	if node.Latest != nil && ss.HasTip {
		rep.Lag = &lagReport{Blocks: behind(node.Latest.Number, ss.Tip)}
		if !ss.TipTime.IsZero() {
			s := int64(node.Latest.Timestamp) - ss.TipTime.Unix()
			if s < 0 {
				s = 0
			}
			rep.Lag.Seconds = &s
		}
		if node.Finalized != nil {
			f := behind(node.Finalized.Number, ss.Tip)
			rep.Lag.FinalizedBlocks = &f
		}
	}
	return rep
}

// behind is how many blocks tip is behind head; a store ahead of the tag
// (a follower at latest is ahead of finalized) is 0 behind.
func behind(head, tip uint64) uint64 {
	if head > tip {
		return head - tip
	}
	return 0
}

// maxListed bounds the ranges and gaps the text form lists; the JSON form
// has them all.
const maxListed = 20

func (r statusReport) writeText(out io.Writer) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	line := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%s\t%s\n", label, fmt.Sprintf(format, args...))
	}
	db := r.Database
	if r.ChainID != 0 {
		db += fmt.Sprintf(" (chain %d)", r.ChainID)
	}
	if r.Genesis != "" {
		db = strings.TrimSuffix(db, ")") + ", genesis " + r.Genesis + ")"
	}
	line("database", "%s", db)
	switch n := r.Node; {
	case n == nil:
		line("node", "not asked (give --rpc to compare with the node's head)")
	default:
		var parts []string
		for _, t := range []struct {
			name string
			n    *uint64
		}{{"latest", n.Latest}, {"safe", n.Safe}, {"finalized", n.Finalized}} {
			if t.n != nil {
				parts = append(parts, fmt.Sprintf("%s %d", t.name, *t.n))
			} else {
				parts = append(parts, t.name+" unknown")
			}
		}
		line("node", "%s", strings.Join(parts, ", "))
		if n.Error != "" {
			line("", "node error: %s", n.Error)
		}
	}
	s := r.Stored
	if s.Tip == nil {
		line("stored", "nothing yet")
	} else {
		tip := fmt.Sprintf("tip %d", *s.Tip)
		if s.TipTime != nil {
			tip += fmt.Sprintf(" (%s, %s ago)", s.TipTime.Format("2006-01-02 15:04:05 UTC"), ageText(*s.TipAgeSeconds))
		} else {
			tip += " (its block row is missing: see problems)"
		}
		line("stored", "%s; %d blocks in %s", tip, s.Blocks, plural(len(s.Ranges), "completed range"))
	}
	if l := r.Lag; l != nil {
		text := fmt.Sprintf("%d blocks", l.Blocks)
		if l.Seconds != nil {
			text += fmt.Sprintf(", %d s", *l.Seconds)
		}
		text += " behind the node's latest block"
		if l.FinalizedBlocks != nil {
			text += fmt.Sprintf(" (%d behind finalized)", *l.FinalizedBlocks)
		}
		line("lag", "%s", text)
	}
	if len(s.Ranges) > 0 {
		line("ranges", "%s", listRanges(s.Ranges))
	}
	switch len(s.Gaps) {
	case 0:
		line("gaps", "none")
	default:
		line("gaps", "%d blocks in %s: %s (ethidx backfill --from N --to M fills one)", s.GapBlocks, plural(len(s.Gaps), "gap"), listRanges(s.Gaps))
	}
	if len(r.Tables) == 0 {
		line("tables", "none listed (see left out)")
	}
	for i, t := range r.Tables {
		label := ""
		if i == 0 {
			label = "tables"
		}
		fmt.Fprintf(w, "%s\t%s\t%d rows\t%s\t%s\n", label, t.Table, t.Rows, bytesText(t.CompressedBytes), plural(int(t.Parts), "part"))
	}
	c := r.DayCache
	switch {
	case !c.Installed:
		line("day cache", "not installed (no saved query has run against this database)")
	case c.CachedDays == 0:
		line("day cache", "empty; %d stored days, %d complete", c.StoredDays, c.CompleteDays)
	default:
		line("day cache", "%d days cached (%s to %s); %d stored days, %d complete, %d read from the cache",
			c.CachedDays, *c.First, *c.Last, c.StoredDays, c.CompleteDays, c.ValidDays)
	}
	if v := r.LastVerify; v != nil {
		line("verify", "last run %s: blocks %d-%d, %d problems", v.Finished.Format("2006-01-02 15:04:05 UTC"), v.From, v.To, v.Problems)
	} else {
		line("verify", "never run (ethidx verify --rpc URL --from N --to M)")
	}
	if len(r.Problems) == 0 {
		line("problems", "none found")
	}
	for i, p := range r.Problems {
		label := ""
		if i == 0 {
			label = "problems"
		}
		line(label, "%s", p)
	}
	if len(r.LeftOut) > 0 {
		line("left out", "%s: not readable by this user (a server user without access to the system tables), or not in this schema yet", strings.Join(r.LeftOut, ", "))
	}
	w.Flush()
}

// ageText is a duration in seconds the way an operator reads it: exact
// while short, in days once the hours stop mattering.
func ageText(secs int64) string {
	d := time.Duration(secs) * time.Second
	if d < 48*time.Hour {
		return d.String()
	}
	return fmt.Sprintf("%d days", d/(24*time.Hour))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func listRanges(rs []blockRange) string {
	var parts []string
	for i, r := range rs {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("and %d more (--format json lists all)", len(rs)-maxListed))
			break
		}
		parts = append(parts, fmt.Sprintf("%d-%d", r.From, r.To))
	}
	return strings.Join(parts, ", ")
}

// bytesText is n in binary units, as ClickHouse's formatReadableSize.
func bytesText(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.2f %ciB", v, "KMGTP"[i])
}
