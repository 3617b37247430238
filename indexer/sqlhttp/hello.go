package sqlhttp

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/ethidx/ethidx/sqltext"
)

// clickhouse-go's HTTP transport opens every connection with this query,
// passing client_protocol_version in the URL, and decodes the reply as a
// server of that protocol revision writes Native: with block info and a
// custom-serialization flag per column. The engine writes plain Native and
// knows nothing of that parameter, so the endpoint answers the hello itself.
// It reports revision 0, which makes clickhouse-go decode every later reply
// as the plain Native the engine writes, and encode its inserts likewise.
const helloQuery = "SELECT displayName(), version(), revision(), timezone()"

// customSerializationRevision is the first protocol revision whose Native
// output carries a custom-serialization flag per column.
const customSerializationRevision = 54454

func isHello(sql string) bool {
	return sqltext.NormalizeSpace(sql) == helloQuery
}

// serverInfo is what the hello reports, read once from the engine.
type serverInfo struct {
	displayName, version, timezone string
}

func (s *Server) info(ctx context.Context) (serverInfo, error) {
	s.infoMu.Lock()
	defer s.infoMu.Unlock()
	if s.serverInfo != nil {
		return *s.serverInfo, nil
	}
	out, err := s.engine.Query(ctx, "SELECT displayName(), version(), timezone()", "TabSeparated", nil)
	if err != nil {
		return serverInfo{}, fmt.Errorf("reading server info: %w", err)
	}
	f := strings.Split(strings.TrimRight(string(out), "\n"), "\t")
	if len(f) != 3 {
		return serverInfo{}, fmt.Errorf("reading server info: unexpected %q", out)
	}
	s.serverInfo = &serverInfo{displayName: f[0], version: f[1], timezone: f[2]}
	return *s.serverInfo, nil
}

// encodeHello writes the hello reply as one Native block for protocol
// revision rev (0 = plain Native).
func encodeHello(info serverInfo, rev uint64) []byte {
	var b []byte
	if rev > 0 {
		// Block info: field 1 is_overflows=false, field 2 bucket_num=-1, end.
		b = binary.AppendUvarint(b, 1)
		b = append(b, 0)
		b = binary.AppendUvarint(b, 2)
		b = binary.LittleEndian.AppendUint32(b, 0xFFFFFFFF)
		b = binary.AppendUvarint(b, 0)
	}
	b = binary.AppendUvarint(b, 4) // columns
	b = binary.AppendUvarint(b, 1) // rows
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	col := func(name, typ string) {
		str(name)
		str(typ)
		if rev >= customSerializationRevision {
			b = append(b, 0)
		}
	}
	col("displayName()", "String")
	str(info.displayName)
	col("version()", "String")
	str(info.version)
	col("revision()", "UInt32")
	b = binary.LittleEndian.AppendUint32(b, 0)
	col("timezone()", "String")
	str(info.timezone)
	return b
}
