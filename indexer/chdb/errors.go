package chdb

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Error is an exception reported by the engine. Code is ClickHouse's error
// code (e.g. 60 UNKNOWN_TABLE, 164 READONLY); Message is the engine's text,
// starting "Code: N. DB::Exception: ...", which clients such as clickhouse-go
// parse, so it is passed on unchanged.
type Error struct {
	Code    int
	Name    string // symbolic name, e.g. "UNKNOWN_TABLE", when the text has one
	Message string
}

func (e *Error) Error() string { return e.Message }

// Well-known ClickHouse error codes used by ethidx itself.
const (
	CodeCannotReadBody  = 23 // CANNOT_READ_FROM_ISTREAM
	codeBadArguments    = 36
	CodeSyntaxError     = 62
	CodeUnknownTable    = 60
	CodeUnknownFormat   = 73
	CodeUnknownDatabase = 81
	CodeUnknownEncoding = 89 // UNKNOWN_COMPRESSION_METHOD
	CodeUnknownSetting  = 115
	CodeTimeoutExceeded = 159
	// CodeTooManySimultaneousQueries is TOO_MANY_SIMULTANEOUS_QUERIES.
	CodeTooManySimultaneousQueries = 202
	CodeReadonly                   = 164
	CodeQueryTooLarge              = 229
	CodeMemoryLimitExceeded        = 241
	CodeQueryWasCancelled          = 394
	CodeAccessDenied               = 497
	CodeAuthenticationError        = 516 // AUTHENTICATION_FAILED
	CodeUnknownException           = 1002
)

// LockedError says another process owns the data directory. Endpoint is
// the SQL endpoint that process advertises (zero if it runs none), so a
// second ethidx can use the running engine instead of failing.
type LockedError struct {
	DataDir  string
	Endpoint Endpoint
}

func (e *LockedError) Error() string {
	if e.Endpoint.Addr == "" {
		return fmt.Sprintf("data directory %s is in use by another ethidx process (no SQL endpoint advertised)", e.DataDir)
	}
	return fmt.Sprintf("data directory %s is in use by another ethidx process; its SQL endpoint is http://%s", e.DataDir, e.Endpoint.Addr)
}

var (
	codeRe = regexp.MustCompile(`^Code: (\d+)\. `)
	nameRe = regexp.MustCompile(`\(([A-Z][A-Z0-9_]+)\)`)
)

// parseError turns engine error text into an *Error. Text without a code
// (the library's own messages) gets CodeUnknownException so callers and HTTP
// clients still see a typed exception.
func parseError(text string) *Error {
	text = strings.TrimSpace(text)
	e := &Error{Code: CodeUnknownException, Message: text}
	if m := codeRe.FindStringSubmatch(text); m != nil {
		if c, err := strconv.Atoi(m[1]); err == nil {
			e.Code = c
		}
	} else {
		e.Message = fmt.Sprintf("Code: %d. DB::Exception: %s", e.Code, text)
	}
	if ms := nameRe.FindAllStringSubmatch(text, -1); ms != nil {
		e.Name = ms[len(ms)-1][1]
	}
	return e
}

// NewError builds an *Error in the engine's own text layout, so callers
// (the HTTP endpoint) can report their own refusals like engine errors.
func NewError(code int, name, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: code, Name: name, Message: fmt.Sprintf("Code: %d. DB::Exception: %s. (%s)", code, msg, name)}
}
