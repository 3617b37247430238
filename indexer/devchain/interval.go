package devchain

import "time"

// SetBlockInterval changes the timestamp step for the blocks mined from now
// on; zero follows the wall clock. A demo lays back-dated history with a
// large step, then switches to the wall clock for live blocks.
func (c *Chain) SetBlockInterval(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg.BlockInterval = d
}
