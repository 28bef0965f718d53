package models

import (
	"fmt"
	"strings"

	"github.com/idemsim/idemsim/sim/api"
)

// All lists every strategy, in the order `idemsim list` prints them.
func All() []api.Strategy {
	return []api.Strategy{
		Naive, LocalCache, CheckThenInsert, ReplicaCheck, TxnCheckInsert, TxnCheckInsertNoRetry, Unique409,
		SelectForUpdate, SelectForUpdateNowait, ForUpdateMissingRow,
		RedisPresence, RedisLock,
		StripeReplay, IETFDraft, AtomicPhases,
		Early409, BlockUntilDone, BlockUntilDoneLocal,
		Async202, Async202DualWrite, ETag412, ClientID, ContentHash, GatewayThenPersist, PersistThenGateway,
	}
}

// Names lists the strategies' names.
func Names() []string {
	var names []string
	for _, s := range All() {
		names = append(names, s.Name)
	}
	return names
}

// Lookup finds a strategy by name.
func Lookup(name string) (api.Strategy, error) {
	for _, s := range All() {
		if s.Name == name {
			return s, nil
		}
	}
	return api.Strategy{}, fmt.Errorf("unknown strategy %q (accepted: %s)", name, strings.Join(Names(), ", "))
}
