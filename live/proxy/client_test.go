package proxy_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/live/proxy"
	"github.com/idemsim/idemsim/live/wire"
)

// flaky is a raw HTTP/1.1 server on loopback that breaks its keep-alive
// connections, counting every request it reads by Idempotency-Key. It
// answers a connection's first request with a keep-alive response (no
// "Connection: close"), then either closes the connection at once
// (closeAfter) or reads the next request and closes without answering it,
// the case in which Go's transport re-sends a replayable request on a new
// connection (golang/go#19943).
type flaky struct {
	ln         net.Listener
	closeAfter bool
	mu         sync.Mutex
	reads      map[string]int
	conns      []net.Conn // closed at the end, so that no serve waits on an idle client
	wg         sync.WaitGroup
	panics     []*crash.Panic
}

func newFlaky(t *testing.T, closeAfter bool) *flaky {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, rerun(t))
	f := &flaky{ln: ln, closeAfter: closeAfter, reads: map[string]int{}}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.keep(crash.Catch(f.accept))
	}()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
		if len(f.panics) > 0 {
			panic(f.panics[0])
		}
	})
	return f
}

func (f *flaky) keep(p *crash.Panic) {
	if p != nil {
		f.mu.Lock()
		f.panics = append(f.panics, p)
		f.mu.Unlock()
	}
}

func (f *flaky) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.keep(crash.Catch(func() { f.serve(c) }))
		}()
	}
}

func (f *flaky) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for i := 0; ; i++ {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		f.mu.Lock()
		f.reads[req.Header.Get("Idempotency-Key")]++
		f.mu.Unlock()
		if i == 1 {
			return // the second request on a connection: read, never answered
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		if f.closeAfter {
			return
		}
	}
}

func (f *flaky) url() string { return "http://" + f.ln.Addr().String() }

func (f *flaky) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads[key]
}

// sendKeys POSTs keys k1..kn one after another, with a body or none, and
// reports which got an answer.
func sendKeys(c *http.Client, url string, n int, empty bool) []bool {
	answered := make([]bool, n+1)
	for i := 1; i <= n; i++ {
		ref, key := "c1/o1."+strconv.Itoa(i)+"/a1", "k"+strconv.Itoa(i)
		var r result
		if empty {
			r = postEmpty(c, url, ref, key)
		} else {
			r = post(c, url, ref, key)
		}
		answered[i] = r.err == nil && r.status == http.StatusOK
	}
	return answered
}

func postEmpty(c *http.Client, url, ref, key string) result {
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		return result{err: err}
	}
	req.Header.Set(proxy.RefHeader, ref)
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.Do(req)
	if err != nil {
		return result{err: err}
	}
	resp.Body.Close()
	return result{status: resp.StatusCode}
}

// TestNoRequestIsSentTwice checks that neither a live client nor the proxy
// sends a request a second time by itself when a keep-alive connection
// breaks: each of 100 POSTs with an Idempotency-Key (30 under -short)
// reaches the server at most once, and exactly once when it was answered.
// Method: the flaky server in both of its ways of breaking connections,
// reached directly with NewClient and through the proxy, with bodies and
// without; and, to show the server does provoke the re-send, Go's default
// transport on the second way, which must read some key twice.
func TestNoRequestIsSentTwice(t *testing.T) {
	n := 100
	if testing.Short() {
		n = 30 // through the proxy, each unanswered request waits for its client's timeout
	}
	cases := []struct {
		name       string
		closeAfter bool
		viaProxy   bool
		empty      bool // POSTs without a body, which net/http deems replayable without GetBody
	}{
		{name: "closes after each response", closeAfter: true},
		{name: "reads the next request, then closes"},
		{name: "reads the next request, then closes, empty bodies", empty: true},
		{name: "proxy, closes after each response", closeAfter: true, viaProxy: true},
		{name: "proxy, reads the next request, then closes", viaProxy: true},
		{name: "proxy, reads the next request, then closes, empty bodies", viaProxy: true, empty: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFlaky(t, tc.closeAfter)
			url, c := f.url(), wire.NewClient(5*time.Second)
			if tc.viaProxy {
				_, url = start(t, proxy.Plan{}, f.url())
				// A request the server read and never answered is held
				// until the client gives up: keep that short.
				c = wire.NewClient(50 * time.Millisecond)
			}
			answered := sendKeys(c, url, n, tc.empty)
			got := 0
			for i := 1; i <= n; i++ {
				k := "k" + strconv.Itoa(i)
				assert.LessOrEqual(t, f.count(k), 1, "%s reached the server more than once; %s", k, rerun(t))
				if answered[i] {
					got++
					assert.Equal(t, 1, f.count(k), "%s was answered; %s", k, rerun(t))
				}
			}
			assert.Positive(t, got, "some requests are answered; %s", rerun(t))
		})
	}
	t.Run("control: Go's transport re-sends", func(t *testing.T) {
		t.Parallel()
		f := newFlaky(t, false)
		c := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
		defer c.CloseIdleConnections()
		sendKeys(c, f.url(), 10, false)
		twice := 0
		for i := 1; i <= 10; i++ {
			if f.count("k"+strconv.Itoa(i)) > 1 {
				twice++
			}
		}
		assert.Positive(t, twice, "the flaky server no longer provokes net/http's re-send, so the cases above test nothing; %s", rerun(t))
	})
}

// TestClientSendsEmptyBodies checks that the transport's stand-in for an
// empty body reaches the server as no body at all, for a GET and a POST.
// Method: a server that records each request's method, length and body.
func TestClientSendsEmptyBodies(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+strconv.Quote(string(b))+" chunked="+strconv.FormatBool(len(r.TransferEncoding) > 0))
		mu.Unlock()
	}))
	defer srv.Close()
	c := wire.NewClient(5 * time.Second)
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		req, err := http.NewRequest(m, srv.URL, nil)
		require.NoError(t, err, rerun(t))
		req.Header.Set("Idempotency-Key", "k")
		resp, err := c.Do(req)
		require.NoError(t, err, rerun(t))
		resp.Body.Close()
	}
	assert.Equal(t, []string{`GET "" chunked=false`, `POST "" chunked=true`}, got, rerun(t))
}

// TestClientRefusesOtherHosts checks that a live client connects to
// loopback only, and does not follow redirects. Method: a request to a
// documentation address (192.0.2.1), and a server that redirects.
func TestClientRefusesOtherHosts(t *testing.T) {
	c := wire.NewClient(5 * time.Second)
	_, err := c.Get("http://192.0.2.1:80/")
	require.Error(t, err, rerun(t))
	assert.Contains(t, err.Error(), "not on loopback", rerun(t))

	srv := httptest.NewServer(http.RedirectHandler("/elsewhere", http.StatusTemporaryRedirect))
	defer srv.Close()
	resp, err := c.Post(srv.URL, "text/plain", strings.NewReader("x"))
	require.NoError(t, err, rerun(t))
	resp.Body.Close()
	assert.Equal(t, http.StatusTemporaryRedirect, resp.StatusCode, rerun(t))
}
