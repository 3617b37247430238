package indexer

import "time"

// SetFinishWithin sets how long a begun write may run on after its
// context ended, for a test, and returns the restore. The tests of this
// package do not run in parallel.
func SetFinishWithin(d time.Duration) (restore func()) {
	old := finishWithin
	finishWithin = d
	return func() { finishWithin = old }
}
