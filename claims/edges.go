package claims

// EdgeCase is one of the standard situations every strategy is run in; the
// README's table of strategies against edge cases is generated from them
// (`idemsim table`).
type EdgeCase struct {
	Name  string   // the table's column
	About string   // what happens, in a sentence
	Args  []string // flags over EdgeWorld's
}

// edgeWorld is the world every edge case starts from: one client with one
// payment, fixed latencies, so that each case is the one fault it names.
var edgeWorld = []string{"--servers", "1", "--clients", "1", "--ops", "1", "--think", "const:0",
	"--delay", "const:5ms", "--service-time", "const:1ms"}

// EdgeCases lists the edge cases in the table's order.
func EdgeCases() []EdgeCase {
	cases := []EdgeCase{
		{Name: "retry after success", About: "the first response is lost after the server finished; the client retries with the key",
			Args: []string{"--fault", "drop-response c1/o1.1/a1"}},
		{Name: "network duplicate", About: "the network delivers the first request twice",
			Args: []string{"--fault", "duplicate-request c1/o1.1/a1"}},
		{Name: "retry after failure", About: "the database is unreachable for the first 50ms, so the first attempt fails before doing anything; the client retries",
			Args: []string{"--partition", "servers|db@0s..50ms"}},
		{Name: "retry while in progress", About: "the first request's server freezes mid-request for 2s; the client times out and retries on the other server",
			Args: []string{"--servers", "2", "--pause", "s1@6500us+2s"}},
		{Name: "in progress, then it fails", About: "the first request's server crashes mid-request (down 3s); the client's retry lands on the other server",
			Args: []string{"--servers", "2", "--crash", "s1@6500us+3s"}},
		{Name: "two first requests", About: "two workers send the same payment at once to two servers",
			Args: []string{"--servers", "2", "--clients", "2", "--workers-per-op", "2"}},
		{Name: "crash after the charge", About: "the server charges the card and crashes before recording anything; the client retries",
			Args: []string{"--work", "charge", "--crash-at", "s1:after-charge"}},
		{Name: "lease shorter than the work", About: "the first request's server freezes for 100s, longer than a 90s lease; the client keeps retrying on the other server",
			Args: []string{"--servers", "2", "--pause", "s1@6500us+100s", "--attempts", "40", "--backoff-cap", "10s", "--deadline", "1h"}},
		{Name: "store loses its data", About: "the first response is lost, and the store restarts empty before the retry",
			Args: []string{"--fault", "drop-response c1/o1.1/a1", "--crash", "kv@500ms+100ms"}},
		{Name: "retry after the window", About: "the first response is lost and the client retries 30 hours later, past a 24-hour retention and its reaper's next sweep",
			Args: []string{"--fault", "drop-response c1/o1.1/a1", "--timeout", "30h", "--deadline", "100h"}},
	}
	for _, mode := range []string{"idempotent", "window:30s", "none"} {
		cases = append(cases, EdgeCase{Name: "gateway timeout, " + mode,
			About: "the gateway charges and its answer is lost (gateway mode " + mode + "); the client retries",
			Args:  []string{"--work", "charge", "--gateway", mode, "--fault", "gateway-timeout c1/o1.1/a1/gateway1"}})
	}
	return cases
}

// EdgeWorld is the world every edge case starts from; a case's flags
// change it.
func EdgeWorld() []string { return append([]string{}, edgeWorld...) }
