package faults

import (
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// Has reports whether node (c1, s2, db) is in the set, by its name, its
// group (clients, servers, services) or "*", as the simulated network
// resolves a set against its nodes (sim/network/network.go). Live mode
// asks it of each message, having no table of nodes.
func (s NodeSet) Has(node string) bool {
	group := ""
	switch {
	case validClient(node):
		group = "clients"
	case validServer(node):
		group = "servers"
	case validNode(node):
		group = "services"
	}
	for _, name := range s {
		if name == "*" || name == node || name == group {
			return true
		}
	}
	return false
}

// Cuts reports whether the partition separates nodes a and b at time at:
// one on each side, during [From, To).
func (p Partition) Cuts(a, b string, at sim.Time) bool {
	return at >= p.From && at < p.To && (p.A.Has(a) && p.B.Has(b) || p.A.Has(b) && p.B.Has(a))
}

// LinkBetween is the link between nodes a and b, as the simulated network
// resolves it (sim/network's Network.Link): the plan's Link between a
// client and a server, its ServiceLink when either is a service, then
// every rule that names both ends, in order.
func (p *Plan) LinkBetween(a, b string) Link {
	l := p.Link
	if _, ok := api.ParseService(a); ok {
		l = p.ServiceLink
	} else if _, ok := api.ParseService(b); ok {
		l = p.ServiceLink
	}
	for _, r := range p.Links {
		if r.A.Has(a) && r.B.Has(b) || r.A.Has(b) && r.B.Has(a) {
			r.Apply(&l)
		}
	}
	return l
}
