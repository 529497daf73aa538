package main

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU accounting from /proc, so that a result says not only how fast a scenario went but where
// the machine's CPU time went while it ran: the server under test, PostgreSQL's backends for
// the benchmark database, the load generator itself, and how much the hypervisor stole. On a
// small shared machine these explain the throughput numbers better than wall-clock alone.

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux
// architecture Go supports.
const clockTicks = 100

type procStat struct {
	state rune
	ticks uint64 // utime + stime
}

// parseStat reads the state and CPU ticks out of a /proc/<pid>/stat line. The command name
// (field 2) is in parentheses and may contain spaces, so fields are counted after the last ')'.
func parseStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return procStat{}, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+2:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return procStat{}, errors.New("short stat")
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return procStat{}, err
	}
	return procStat{state: rune(f[0][0]), ticks: ut + st}, nil
}

func pidTicks(pid int) (uint64, bool) {
	if pid <= 0 {
		return 0, false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	st, err := parseStat(b)
	if err != nil {
		return 0, false
	}
	return st.ticks, true
}

// postgresBackends returns the CPU ticks of every PostgreSQL backend serving database db,
// recognised by its process title ("postgres: crm_app crm_bench_123 127.0.0.1(5432) idle").
func postgresBackends(db string) map[int]uint64 {
	out := map[int]uint64{}
	if db == "" {
		return out
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	needle := " " + db + " "
	for _, d := range dirs {
		comm, err := os.ReadFile(d + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		cmd, err := os.ReadFile(d + "/cmdline")
		if err != nil || !strings.Contains(strings.ReplaceAll(string(cmd), "\x00", " "), needle) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		if t, ok := pidTicks(pid); ok {
			out[pid] = t
		}
	}
	return out
}

// machineStat is the first line of /proc/stat, in ticks.
type machineStat struct {
	total, idle, steal uint64
}

func readMachine() machineStat {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineStat{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return machineStat{}
	}
	var v [10]uint64
	for i := 1; i < len(f) && i <= 10; i++ {
		v[i-1], _ = strconv.ParseUint(f[i], 10, 64)
	}
	// user nice system idle iowait irq softirq steal guest guest_nice; guest time is
	// already counted in user, so it is not added again.
	m := machineStat{idle: v[3] + v[4], steal: v[7]}
	for i := 0; i < 8; i++ {
		m.total += v[i]
	}
	return m
}

func selfTicks() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	d := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return uint64(d / (time.Second / clockTicks))
}

// cpuSnapshot is a reading taken before and after a measured attack.
type cpuSnapshot struct {
	server   uint64
	serverOK bool
	pg       map[int]uint64
	self     uint64
	machine  machineStat
}

func snapshot(serverPID int, pgDB string) cpuSnapshot {
	s := cpuSnapshot{pg: postgresBackends(pgDB), self: selfTicks(), machine: readMachine()}
	s.server, s.serverOK = pidTicks(serverPID)
	return s
}

// CPU is where CPU time went during one measured scenario.
type CPU struct {
	// Milliseconds of CPU per request (all requests, successful or not).
	ServerMSPerReq   float64 `json:"server_ms_per_req"`
	PostgresMSPerReq float64 `json:"postgres_ms_per_req,omitempty"`
	LoadGenMSPerReq  float64 `json:"loadgen_ms_per_req"`
	// Shares of the whole machine's CPU capacity over the scenario, in percent.
	ServerPct      float64 `json:"server_pct"`
	PostgresPct    float64 `json:"postgres_pct,omitempty"`
	LoadGenPct     float64 `json:"loadgen_pct"`
	MachineBusyPct float64 `json:"machine_busy_pct"`
	// OtherPct is busy time not accounted for above: other processes on a shared machine
	// (and the kernel's work on their behalf).
	OtherPct float64 `json:"other_pct"`
	StealPct float64 `json:"steal_pct"`
}

func cpuBetween(a, b cpuSnapshot, requests uint64) CPU {
	var c CPU
	total := float64(b.machine.total - a.machine.total)
	pct := func(t uint64) float64 {
		if total <= 0 {
			return 0
		}
		return 100 * float64(t) / total
	}
	perReq := func(t uint64) float64 {
		if requests == 0 {
			return 0
		}
		return float64(t) * (1000.0 / clockTicks) / float64(requests)
	}
	var srv uint64
	if a.serverOK && b.serverOK && b.server >= a.server {
		srv = b.server - a.server
	}
	var pg uint64
	for pid, t := range b.pg {
		if t0, ok := a.pg[pid]; ok && t >= t0 {
			pg += t - t0
		} else if !ok {
			pg += t // a backend opened during the scenario
		}
	}
	self := b.self - a.self
	c.ServerMSPerReq, c.PostgresMSPerReq, c.LoadGenMSPerReq = perReq(srv), perReq(pg), perReq(self)
	c.ServerPct, c.PostgresPct, c.LoadGenPct = pct(srv), pct(pg), pct(self)
	if total > 0 {
		c.MachineBusyPct = 100 * (total - float64(b.machine.idle-a.machine.idle)) / total
		c.StealPct = pct(b.machine.steal - a.machine.steal)
		c.OtherPct = math.Max(0, c.MachineBusyPct-c.ServerPct-c.PostgresPct-c.LoadGenPct)
	}
	return c
}
