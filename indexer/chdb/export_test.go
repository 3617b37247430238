package chdb

// ReadCatalogue exposes the engine's catalogue to the tests of catalogue.tsv.
func ReadCatalogue(e *Engine) ([][2]string, error) {
	c, err := e.dial("", Statement{}, true)
	if err != nil {
		return nil, err
	}
	defer e.closeConn(c)
	return e.readCatalogue(c)
}

// Classified exposes catalogue.tsv's engine version, (kind, name) pairs
// and verdicts.
func Classified() (string, map[[2]string]string, error) {
	version, cls, err := parseCatalogue(catalogueTSV)
	if err != nil {
		return "", nil, err
	}
	m := map[[2]string]string{}
	for _, c := range cls {
		m[[2]string{c.kind, c.name}] = c.verdict
	}
	return version, m, nil
}
