package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// rssMonitor samples the peak resident set (VmHWM) of every running process
// whose executable is exe, from /proc, until stopped.
type rssMonitor struct {
	exe   string
	quit  chan struct{}
	done  chan struct{}
	peak  int64
	procs map[int]bool
}

func startRSS(exe string, every time.Duration) *rssMonitor {
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	m := &rssMonitor{exe: exe, quit: make(chan struct{}), done: make(chan struct{}), procs: map[int]bool{}}
	go func() {
		defer close(m.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			m.sample()
			select {
			case <-m.quit:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// stop ends sampling and returns the peak in bytes and the number of
// provider processes seen.
func (m *rssMonitor) stop() (int64, int) {
	close(m.quit)
	<-m.done
	return m.peak, len(m.procs)
}

func (m *rssMonitor) sample() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		if exe, err := os.Readlink(filepath.Join(dir, "exe")); err != nil || exe != m.exe {
			continue
		}
		status, err := os.ReadFile(filepath.Join(dir, "status"))
		if err != nil {
			continue
		}
		if hwm, ok := parseVmHWM(string(status)); ok {
			m.procs[pid] = true
			m.peak = max(m.peak, hwm)
		}
	}
}

// parseVmHWM reads the "VmHWM:  1234 kB" line of /proc/<pid>/status, in
// bytes.
func parseVmHWM(status string) (int64, bool) {
	for _, line := range strings.Split(status, "\n") {
		rest, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 {
			return 0, false
		}
		return kb << 10, true
	}
	return 0, false
}
