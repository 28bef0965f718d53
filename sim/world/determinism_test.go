package world_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// determinismSeeds is 200, or IDEMSIM_DETERMINISM_SEEDS (make verify runs
// 2000): the seeds of the strategy that calls every service; each of the
// thread's strategies, which differ only in the calls they make, gets a
// tenth of them (at least 20).
var determinismSeeds = func() int {
	if n, err := strconv.Atoi(os.Getenv("IDEMSIM_DETERMINISM_SEEDS")); err == nil && n > 0 {
		return n
	}
	return 200
}()

// stormy is a small world where every fault fires often: the harshest test
// of determinism, because every fault path draws and reorders.
func stormy(s api.Strategy, seed uint64) world.Config {
	cfg := world.Defaults()
	cfg.Strategy, cfg.Seed = s, seed
	cfg.Servers, cfg.Clients, cfg.OpsPerClient, cfg.WorkersPerOp = 3, 6, 8, 2
	cfg.Balancer = world.Random
	cfg.Client.Think = sim.Exp(50 * time.Millisecond)
	cfg.Client.TimeoutPerAttempt = 200 * time.Millisecond
	cfg.Client.KeyOnRestart = world.KeyRegenerate
	cfg.Faults.Link = faults.Link{
		Delay:            sim.LogNormal(5*time.Millisecond, 1),
		DropRequestRate:  0.1,
		DropResponseRate: 0.1,
		DuplicateRate:    0.05,
		ResetRate:        0.02,
	}
	cfg.Faults.CrashEvery = 500 * time.Millisecond
	cfg.Faults.ClientCrashEvery = time.Second
	cfg.Faults.Downtime = 100 * time.Millisecond
	cfg.Faults.Partitions = []faults.Partition{
		{A: faults.NodeSet{"clients"}, B: faults.NodeSet{"s1"}, From: sim.Time(200 * time.Millisecond), To: sim.Time(700 * time.Millisecond)},
		{A: faults.NodeSet{"s2"}, B: faults.NodeSet{"db"}, From: sim.Time(900 * time.Millisecond), To: sim.Time(1100 * time.Millisecond)},
	}
	// Every service's faults, and the faults that hit whole processes.
	cfg.Faults.ServiceLink.DropRequestRate, cfg.Faults.ServiceLink.DropResponseRate = 0.01, 0.01
	cfg.Faults.DBDropConnectionRate, cfg.Faults.DBLostCommitAckRate = 0.05, 0.05
	cfg.Faults.GatewayTimeoutRate, cfg.Faults.Gateway500Rate = 0.05, 0.05
	cfg.Faults.Crashes = []faults.Crash{{Node: "kv", At: sim.Time(600 * time.Millisecond), Downtime: 50 * time.Millisecond}}
	cfg.Faults.Failovers = []sim.Time{sim.Time(1500 * time.Millisecond)}
	cfg.Faults.Pauses = []faults.Crash{{Node: "s3", At: sim.Time(300 * time.Millisecond), Downtime: 400 * time.Millisecond}}
	if len(s.CrashPoints) > 0 {
		cfg.Faults.CrashPoints = []faults.CrashPoint{{Node: "any", Point: s.CrashPoints[len(s.CrashPoints)-1], Prob: 0.05, Downtime: 100 * time.Millisecond}}
	}
	cfg.Services.KV.ReplicaLag = 20 * time.Millisecond
	cfg.Services.GatewayTime = sim.LogNormal(20*time.Millisecond, 0.5)
	cfg.Services.Queue.VisibilityTimeout = 300 * time.Millisecond
	cfg.Clocks = []world.Clock{{Node: "s2", Offset: 3 * time.Second, Drift: 1.001}, {Node: "kv", Offset: -time.Second, Drift: 1}}
	cfg.Settle = 2 * time.Second
	cfg.DB.ReplicaLag = 50 * time.Millisecond
	if s.Deletes() {
		cfg.Client.DeleteRate = 0.3 // deletes, their retries and late creates
	}
	return cfg
}

// strategies are those determinism is proved for: every registered one,
// and one that calls every service.
func strategies() []api.Strategy { return append(models.All(), everything) }

// seedsFor is how many seeds s's determinism is checked over.
func seedsFor(s api.Strategy) int {
	if s.Name == everything.Name {
		return determinismSeeds
	}
	return max(determinismSeeds/10, 20)
}

func hashes(t *testing.T, s api.Strategy) []uint64 {
	out := make([]uint64, seedsFor(s))
	for seed := range out {
		res, err := world.Run(stormy(s, uint64(seed)))
		require.NoError(t, err)
		out[seed] = res.TraceHash
	}
	return out
}

// Goal: the same seed gives the same run — across two runs in one process
// and across GOMAXPROCS=1 and 2 — for 200 seeds and both strategies.
// Method: compare trace hashes of stormy runs; also check the hashes differ
// across seeds, so the comparison is not vacuous.
func TestSameSeedSameTrace(t *testing.T) {
	for _, s := range strategies() {
		t.Run(s.Name, func(t *testing.T) {
			cmd := "go test ./sim/world -run TestSameSeedSameTrace/" + s.Name
			prev := runtime.GOMAXPROCS(1)
			one := hashes(t, s)
			runtime.GOMAXPROCS(2)
			two := hashes(t, s)
			again := hashes(t, s)
			runtime.GOMAXPROCS(prev)
			distinct := map[uint64]bool{}
			for seed := range one {
				assert.Equal(t, one[seed], two[seed], "seed %d differs across GOMAXPROCS; %s", seed, cmd)
				assert.Equal(t, two[seed], again[seed], "seed %d differs across runs; %s", seed, cmd)
				distinct[one[seed]] = true
			}
			assert.Greater(t, len(distinct), seedsFor(s)*9/10, cmd)
		})
	}
}

// Goal: the same seed gives the same run in another process. Method: the
// test re-executes its own binary, which prints the hashes of every seed;
// they must equal this process's.
func TestSameSeedSameTraceAcrossProcesses(t *testing.T) {
	if os.Getenv("IDEMSIM_DETERMINISM_CHILD") == "1" {
		for _, s := range strategies() {
			for seed, h := range hashes(t, s) {
				fmt.Printf("hash %s %d %016x\n", s.Name, seed, h)
			}
		}
		return
	}
	const cmd = "go test ./sim/world -run TestSameSeedSameTraceAcrossProcesses"
	child := exec.Command(os.Args[0], "-test.run=^TestSameSeedSameTraceAcrossProcesses$", "-test.count=1")
	child.Env = append(os.Environ(), "IDEMSIM_DETERMINISM_CHILD=1", "GOMAXPROCS=1")
	out, err := child.Output()
	require.NoError(t, err, cmd)
	theirs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 4 && f[0] == "hash" {
			theirs[f[1]+"/"+f[2]] = f[3]
		}
	}
	total := 0
	for _, s := range strategies() {
		total += seedsFor(s)
	}
	require.Len(t, theirs, total, "child printed every hash; %s", cmd)
	for _, s := range strategies() {
		for seed, h := range hashes(t, s) {
			key := s.Name + "/" + strconv.Itoa(seed)
			assert.Equal(t, fmt.Sprintf("%016x", h), theirs[key], "%s differs across processes; %s", key, cmd)
		}
	}
}

// Goal: a sweep's results do not depend on how many workers run it.
// Method: the same 50 seeds with 1 and 4 workers.
func TestSweepIndependentOfWorkers(t *testing.T) {
	seeds := make([]uint64, 50)
	for i := range seeds {
		seeds[i] = uint64(i)
	}
	cfg := stormy(everything, 0)
	a, err := experiments.RunSeeds(cfg, seeds, 1)
	require.NoError(t, err)
	b, err := experiments.RunSeeds(cfg, seeds, 4)
	require.NoError(t, err)
	for i := range seeds {
		assert.Equal(t, a[i].TraceHash, b[i].TraceHash, "seed %d; go test ./sim/world -run TestSweepIndependentOfWorkers", i)
	}
}

// Goal: the fault list a run records replays it exactly. Method: run a
// stormy config, then rerun it with every random fault switched off and the
// recorded list as the replay; the trace hash must be identical.
func TestRecordedFaultsReplayTheRun(t *testing.T) {
	fired := map[faults.Kind]bool{}
	defer func() {
		for _, k := range faults.Kinds() {
			assert.True(t, fired[k], "no run fired a %s fault, so its replay is untested; go test ./sim/world -run TestRecordedFaultsReplayTheRun", k)
		}
	}()
	for _, s := range strategies() {
		for seed := uint64(0); seed < 20; seed++ {
			cmd := fmt.Sprintf("go test ./sim/world -run TestRecordedFaultsReplayTheRun (strategy %s seed %d)", s.Name, seed)
			cfg := stormy(s, seed)
			first, err := world.Run(cfg)
			require.NoError(t, err, cmd)
			require.NotEmpty(t, first.Faults, cmd)
			for _, f := range first.Faults {
				fired[f.Kind] = true
			}
			replay := cfg
			replay.Faults = faults.Plan{
				Link:        faults.Link{Delay: cfg.Faults.Link.Delay},
				ServiceLink: faults.Link{Delay: cfg.Faults.ServiceLink.Delay},
				Downtime:    cfg.Faults.Downtime,
			}
			replay.Faults.Replay = append([]faults.Fault{}, first.Faults...)
			second, err := world.Run(replay)
			require.NoError(t, err, cmd)
			assert.Equal(t, first.TraceHash, second.TraceHash, cmd)
			assert.Equal(t, len(first.Faults), len(second.Faults), cmd)
		}
	}
}
