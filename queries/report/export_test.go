package report

// Golden is golden, for the engine's test in package report_test.
var Golden = golden
