package faults_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/network"
)

// Goal: a partition read without a table of nodes (live mode's) cuts
// exactly the pairs the simulated network's resolution cuts: names,
// groups and "*", on either side, during [From, To) only. Method: a table
// of partitions, node pairs and moments.
func TestPartitionCuts(t *testing.T) {
	ms := func(n int) sim.Time { return sim.Time(time.Duration(n) * time.Millisecond) }
	for _, tc := range []struct {
		partition string
		a, b      string
		at        sim.Time
		cut       bool
	}{
		{"servers|db@0s..50ms", "s1", "db", 0, true},
		{"servers|db@0s..50ms", "db", "s2", ms(49), true},
		{"servers|db@0s..50ms", "s1", "db", ms(50), false},
		{"servers|db@0s..50ms", "s1", "kv", ms(10), false},
		{"servers|db@0s..50ms", "c1", "s1", ms(10), false},
		{"servers|services@10ms..20ms", "s3", "queue", ms(10), true},
		{"servers|services@10ms..20ms", "s3", "gateway", ms(9), false},
		{"clients|s1,s2@1s..2s", "c7", "s2", ms(1500), true},
		{"clients|s1,s2@1s..2s", "c7", "s3", ms(1500), false},
		{"c1|*@0s..1s", "s9", "c1", ms(1), true},
		{"c1|*@0s..1s", "c2", "s1", ms(1), false},
		{"s1|s10@0s..1s", "s1", "s10", ms(1), true},
		{"s1|s10@0s..1s", "s1", "s11", ms(1), false},
	} {
		t.Run(tc.partition+" "+tc.a+"-"+tc.b, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./faults")
			p, err := faults.ParsePartition(tc.partition)
			require.NoError(t, err, rerun)
			assert.Equal(t, tc.cut, p.Cuts(tc.a, tc.b, tc.at), rerun)
		})
	}
}

// Goal: LinkBetween resolves the link between two nodes exactly as the
// simulated network does, rules and all. Method: one plan with rules on
// names, groups and "*", later rules overriding earlier ones; every pair
// of a small network's nodes compared with network.Link.
func TestLinkBetweenIsTheNetworks(t *testing.T) {
	rerun := testcmd.Rerun(t, "./faults")
	plan := faults.Plan{
		Link:        faults.Link{DropRequestRate: 0.1, Delay: sim.Const(5 * time.Millisecond)},
		ServiceLink: faults.Link{ResetRate: 0.2, Delay: sim.Const(time.Millisecond)},
	}
	for _, rule := range []string{"servers-db:drop-request=0.5", "s2-*:reset=0.3;delay=const:2ms", "clients-s1:drop-response=0.4", "s2-kv:reset=0"} {
		r, err := faults.ParseLinkRule(rule)
		require.NoError(t, err, rerun)
		plan.Links = append(plan.Links, r)
	}
	k := sim.New(sim.NewSeeded(1))
	defer k.Close()
	n := network.New(k, sim.NewTrace(false), &faults.Log{}, plan)
	names := []string{"c1", "c2", "s1", "s2"}
	ids := []network.NodeID{n.AddNode("c1", network.GroupClients, nil), n.AddNode("c2", network.GroupClients, nil),
		n.AddNode("s1", network.GroupServers, nil), n.AddNode("s2", network.GroupServers, nil)}
	for _, s := range api.Services() {
		names = append(names, s.String())
		ids = append(ids, n.AddService(s, nil))
	}
	require.NoError(t, n.Start(), rerun)
	for i := range names {
		for j := range names {
			if i != j {
				assert.Equal(t, n.Link(ids[i], ids[j]), plan.LinkBetween(names[i], names[j]), "%s-%s; %s", names[i], names[j], rerun)
			}
		}
	}
}
