package world_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: a live driver plays the workload a simulated run plays. Method:
// draw the workload of a world with deletes, key reuse and several
// workers per operation, run the same world, and compare client by
// client: the operations, in order, with the keys they started with;
// and the money asked.
func TestDrawWorkloadIsTheRunsWorkload(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	cfg := world.Defaults()
	s, err := models.Lookup("client-id")
	require.NoError(t, err, rerun)
	cfg.Strategy = s
	cfg.Clients, cfg.OpsPerClient, cfg.WorkersPerOp = 6, 12, 2
	cfg.Client.DeleteRate, cfg.Client.ReuseKeyRate = 0.3, 0.2
	cfg.Seed = 7
	wl, err := world.DrawWorkload(cfg)
	require.NoError(t, err, rerun)
	res, err := world.Run(cfg)
	require.NoError(t, err, rerun)
	assert.Equal(t, res.Asked, wl.Asked, rerun)
	require.Len(t, wl.Clients, cfg.Clients, rerun)
	byClient := map[string][]world.Outcome{}
	for _, o := range res.Outcomes {
		byClient[o.Client] = append(byClient[o.Client], o)
	}
	deletes := 0
	for _, c := range wl.Clients {
		outs := byClient[c.Name]
		require.Len(t, c.Ops, len(outs), "%s; %s", c.Name, rerun)
		for i, o := range c.Ops {
			assert.Equal(t, outs[i].Op, o.ID, "%s op %d; %s", c.Name, i, rerun)
			if o.Kind == api.Delete {
				deletes++
				continue // a delete's key is the create's, which may have changed
			}
			require.NotEmpty(t, outs[i].Keys, "%s %s; %s", c.Name, o.ID, rerun)
			assert.Equal(t, outs[i].Keys[0], o.Key, "%s %s; %s", c.Name, o.ID, rerun)
		}
	}
	assert.Positive(t, deletes, "the workload has deletes; %s", rerun)
}

// Goal: the exported protocol is the simulated client's step. Method: a
// create answered 500, then nothing, then 201; the waits are the backoff
// with the jitter given, and the conclusion is done with the 201.
func TestProtocolFollowsTheStep(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	cfg := world.Defaults().Client
	p := world.BeginCreate(&cfg, api.ContractReplay)
	req := p.Request(api.Request{Client: "c1"}, "k-1")
	assert.Equal(t, api.Request{Kind: api.Create, Key: "k-1", Client: "c1"}, req, rerun)
	draws := 0
	half := func() float64 { draws++; return 0.5 }
	st := p.Next(&api.Response{Status: 500}, 0, half)
	assert.Equal(t, world.Step{Heard: world.Retry, Wait: cfg.BackoffBase / 2}, st, rerun)
	st = p.Next(nil, 0, half)
	assert.Equal(t, world.Step{Wait: cfg.BackoffBase}, st, rerun) // 2nd retry: base·2, half of it
	ok := &api.Response{Status: 201, Resource: "pay_1"}
	st = p.Next(ok, 0, half)
	assert.Equal(t, world.Step{Heard: world.Done, Conclude: true, Belief: world.BelievedDone, From: ok}, st, rerun)
	assert.Equal(t, 2, draws, "a conclusion draws nothing; %s", rerun)
}
