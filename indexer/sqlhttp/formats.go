package sqlhttp

import "strings"

// knownFormats maps lower-cased ClickHouse format names (and the common
// aliases) to their canonical spelling. Only these are recognised in a
// FORMAT clause for response headers; the engine accepts more.
var knownFormats = func() map[string]string {
	m := map[string]string{}
	for _, f := range []string{
		"TabSeparated", "TabSeparatedRaw", "TabSeparatedWithNames", "TabSeparatedWithNamesAndTypes",
		"TabSeparatedRawWithNames", "TabSeparatedRawWithNamesAndTypes",
		"TSV", "TSVRaw", "TSVWithNames", "TSVWithNamesAndTypes", "TSVRawWithNames", "TSVRawWithNamesAndTypes",
		"CSV", "CSVWithNames", "CSVWithNamesAndTypes", "CustomSeparated", "Values", "Vertical",
		"JSON", "JSONStrings", "JSONCompact", "JSONCompactStrings", "JSONColumns", "JSONColumnsWithMetadata",
		"JSONCompactColumns", "JSONEachRow", "JSONStringsEachRow", "JSONCompactEachRow", "JSONLines", "NDJSON",
		"JSONCompactEachRowWithNames", "JSONCompactEachRowWithNamesAndTypes", "JSONCompactStringsEachRow",
		"JSONEachRowWithProgress", "JSONObjectEachRow", "TSKV", "Pretty", "PrettyCompact", "PrettyCompactMonoBlock",
		"PrettyNoEscapes", "PrettySpace", "PrettyMonoBlock", "Markdown", "XML", "Null", "Native",
		"RowBinary", "RowBinaryWithNames", "RowBinaryWithNamesAndTypes", "Parquet", "Arrow", "ArrowStream",
		"ORC", "Avro", "MsgPack", "Protobuf", "CapnProto", "LineAsString", "RawBLOB", "SQLInsert", "Template",
		"Prometheus", "BSONEachRow",
	} {
		m[strings.ToLower(f)] = f
	}
	return m
}()

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
