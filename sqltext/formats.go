package sqltext

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
