package sqlhttp

import "strings"

// contentType is the Content-Type ClickHouse sends for a format.
func contentType(format string) string {
	f := strings.ToLower(format)
	switch {
	case strings.HasPrefix(f, "tabseparated") || strings.HasPrefix(f, "tsv"):
		return "text/tab-separated-values; charset=UTF-8"
	case strings.HasPrefix(f, "csv"):
		return "text/csv; charset=UTF-8; header=absent"
	case f == "json" || f == "jsonstrings" || f == "jsoncompact" || f == "jsoncompactstrings" || strings.HasPrefix(f, "jsoncolumns") || f == "jsoncompactcolumns" || f == "jsonobjecteachrow":
		return "application/json; charset=UTF-8"
	case strings.HasPrefix(f, "json") || f == "ndjson":
		return "application/x-ndjson; charset=UTF-8"
	case f == "xml":
		return "application/xml; charset=UTF-8"
	case f == "native" || strings.HasPrefix(f, "rowbinary") || f == "parquet" || f == "arrow" || f == "arrowstream" ||
		f == "orc" || f == "avro" || f == "msgpack" || f == "protobuf" || f == "capnproto" || f == "rawblob" || f == "bsoneachrow":
		return "application/octet-stream"
	default:
		return "text/plain; charset=UTF-8"
	}
}
