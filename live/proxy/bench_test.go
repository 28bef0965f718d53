package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/live/proxy"
	"github.com/idemsim/idemsim/live/wire"
)

// BenchmarkThroughput measures requests per second through the proxy with
// 8 concurrent clients on loopback, against three upstreams that answer at
// once (and, for comparison, the same clients straight to one upstream).
// No fault is planned: this is the proxy's own cost. Run it with
// go test -run '^$' -bench Throughput ./live/proxy.
func BenchmarkThroughput(b *testing.B) {
	var ups []string
	for range 3 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"status":"created"}`)
		}))
		defer srv.Close()
		ups = append(ups, srv.URL)
	}
	p := proxy.New(ups, proxy.Plan{})
	front := httptest.NewServer(p)
	defer func() {
		front.Close()
		p.Close()
	}()
	b.Run("proxy", func(b *testing.B) { throughput(b, front.URL) })
	b.Run("direct", func(b *testing.B) { throughput(b, ups[0]) })
}

func throughput(b *testing.B, url string) {
	const clients = 8
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	panics := make([]*crash.Panic, clients)
	b.ResetTimer()
	began := time.Now()
	for w := range clients {
		wg.Go(func() {
			panics[w] = crash.Catch(func() {
				c := wire.NewClient(10 * time.Second)
				for {
					i := next.Add(1)
					if i > int64(b.N) {
						return
					}
					req, _ := http.NewRequest(http.MethodPost, url+"/payments", strings.NewReader(`{"amount":100}`))
					req.Header.Set(proxy.RefHeader, "c"+strconv.Itoa(w+1)+"/o1."+strconv.FormatInt(i, 10)+"/a1")
					req.Header.Set("Idempotency-Key", strconv.FormatInt(i, 10))
					resp, err := c.Do(req)
					if err != nil {
						failed.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						failed.Add(1)
					}
				}
			})
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	for _, pn := range panics {
		if pn != nil {
			panic(pn)
		}
	}
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed; reproduce: go test -run '^$' -bench Throughput ./live/proxy", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}
