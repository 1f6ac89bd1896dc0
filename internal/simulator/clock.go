package simulator

import (
	"sync"
	"time"
)

// Clock is the simulator's notion of now: the wall clock plus an offset
// that tests move forward (expiry, renewal windows) or set outright.
type Clock struct {
	mu      sync.Mutex
	offset  time.Duration
	fixed   *time.Time
	changed func() // called after every change (the simulator persists it)
}

func (c *Clock) notify() {
	if c.changed != nil {
		c.changed()
	}
}

// Now returns the simulated time (UTC, second precision).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fixed != nil {
		return c.fixed.UTC()
	}
	return time.Now().Add(c.offset).UTC().Truncate(time.Second)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	defer c.notify()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fixed != nil {
		t := c.fixed.Add(d)
		c.fixed = &t
		return
	}
	c.offset += d
}

// Set makes the clock read t (and keep running from there).
func (c *Clock) Set(t time.Time) {
	defer c.notify()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fixed = nil
	c.offset = time.Until(t)
}

// Freeze stops the clock at t (Advance still moves it).
func (c *Clock) Freeze(t time.Time) {
	defer c.notify()
	c.mu.Lock()
	defer c.mu.Unlock()
	t = t.UTC()
	c.fixed = &t
}

// Offset returns the offset from the wall clock.
func (c *Clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fixed != nil {
		return time.Until(*c.fixed)
	}
	return c.offset
}
