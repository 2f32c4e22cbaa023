// Command benchpeer is Go's net/rpc in netrpc's benchmark (the bench crate, netrpc-bench): a
// server, and a closed-loop client that drives Go's server and netrpc's alike, so that both are
// measured with the same client.
//
//	benchpeer -serve -listen 127.0.0.1:0 [-codec gob|json]
//	benchpeer -connect 127.0.0.1:PORT [-codec gob|json] [-conns N] [-inflight M]
//	          [-payload BYTES] [-warmup SECS] (-seconds SECS | -calls K)
//
// With -serve it prints "listening on HOST:PORT" on stdout and serves HelloService.Hello
// (reply "hello:" + request, as in the Go chapter) over every connection with the codec given.
//
// As a client it dials N connections and runs M goroutines per connection, each calling
// HelloService.Hello with a string of BYTES bytes, waiting for the reply, and calling again
// (closed loop: N x M calls in flight). With -seconds it warms up for -warmup seconds, prints
// the line "measuring" on stdout when the measured window starts, and stops after SECS seconds;
// with -calls each goroutine makes K calls, all measured. It then prints one JSON object on
// stdout: calls, errors, elapsed seconds, calls per second, latency percentiles (nanoseconds),
// and its own CPU time and peak RSS (getrusage), so that the caller can separate client CPU from
// server CPU. The first error is printed on stderr.
//
// Standard library only; builds with Go 1.19 and later.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// HelloService is the Go chapter's HelloService.
type HelloService struct{}

// Hello replies "hello:" + request.
func (p *HelloService) Hello(request string, reply *string) error {
	*reply = "hello:" + request
	return nil
}

func main() {
	serve := flag.Bool("serve", false, "serve HelloService (with -listen)")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on, with -serve")
	connect := flag.String("connect", "", "server address to drive (HOST:PORT)")
	codec := flag.String("codec", "gob", "gob (net/rpc) or json (net/rpc/jsonrpc)")
	conns := flag.Int("conns", 1, "connections")
	inflight := flag.Int("inflight", 1, "calls in flight per connection")
	payload := flag.Int("payload", 64, "request string length in bytes")
	warmup := flag.Float64("warmup", 0.5, "seconds of unmeasured calls before the window, with -seconds")
	seconds := flag.Float64("seconds", 0, "length of the measured window")
	calls := flag.Int("calls", 0, "calls per goroutine (instead of -seconds)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("benchpeer: ")

	if *codec != "gob" && *codec != "json" {
		log.Fatalf("unknown -codec %q (gob or json)", *codec)
	}
	switch {
	case *serve:
		runServer(*listen, *codec)
	case *connect != "":
		if (*seconds > 0) == (*calls > 0) {
			log.Fatal("give exactly one of -seconds and -calls")
		}
		if *conns < 1 || *inflight < 1 || *payload < 0 {
			log.Fatal("-conns and -inflight must be at least 1, -payload at least 0")
		}
		runClient(clientConfig{
			addr: *connect, codec: *codec, conns: *conns, inflight: *inflight,
			payload: *payload, warmup: *warmup, seconds: *seconds, calls: *calls,
		})
	default:
		log.Fatal("give -serve or -connect ADDR")
	}
}

func runServer(listen, codec string) {
	server := rpc.NewServer()
	if err := server.RegisterName("HelloService", new(HelloService)); err != nil {
		log.Fatal(err)
	}
	listener, err := net.Listen("tcp", listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", listener.Addr())
	os.Stdout.Sync()
	for {
		conn, err := listener.Accept()
		if err != nil {
			log.Fatal(err)
		}
		if codec == "json" {
			go server.ServeCodec(jsonrpc.NewServerCodec(conn))
		} else {
			go server.ServeConn(conn)
		}
	}
}

type clientConfig struct {
	addr     string
	codec    string
	conns    int
	inflight int
	payload  int
	warmup   float64
	seconds  float64
	calls    int
}

// Phases of a timed run: calls are counted and timed only while measuring.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// result is what the client prints.
type result struct {
	Calls       int64   `json:"calls"`
	Errors      int64   `json:"errors"`
	Elapsed     float64 `json:"elapsed_s"`
	CallsPerSec float64 `json:"calls_per_sec"`
	P50         int64   `json:"p50_ns"`
	P99         int64   `json:"p99_ns"`
	P999        int64   `json:"p999_ns"`
	Max         int64   `json:"max_ns"`
	CPUUser     float64 `json:"cpu_user_s"`
	CPUSys      float64 `json:"cpu_sys_s"`
	MaxRSSKiB   int64   `json:"max_rss_kib"`
}

func dial(addr, codec string) (*rpc.Client, error) {
	if codec == "json" {
		return jsonrpc.Dial("tcp", addr)
	}
	return rpc.Dial("tcp", addr)
}

func runClient(cfg clientConfig) {
	clients := make([]*rpc.Client, cfg.conns)
	for i := range clients {
		client, err := dial(cfg.addr, cfg.codec)
		if err != nil {
			log.Fatalf("dial %s: %v", cfg.addr, err)
		}
		clients[i] = client
	}
	request := strings.Repeat("x", cfg.payload)
	want := "hello:" + request

	phase := phaseWarmup
	if cfg.calls > 0 {
		phase = phaseMeasure
	}
	var errors int64
	var firstError sync.Once
	workers := cfg.conns * cfg.inflight
	samples := make([][]int64, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int, client *rpc.Client) {
			defer wg.Done()
			var mine []int64
			for n := 0; cfg.calls == 0 || n < cfg.calls; n++ {
				p := atomic.LoadInt32(&phase)
				if p == phaseStop {
					break
				}
				var reply string
				t0 := time.Now()
				err := client.Call("HelloService.Hello", request, &reply)
				took := time.Since(t0)
				if err == nil && reply != want {
					err = fmt.Errorf("reply of %d bytes, want %d", len(reply), len(want))
				}
				if err != nil {
					atomic.AddInt64(&errors, 1)
					firstError.Do(func() { log.Printf("call: %v", err) })
					if err == rpc.ErrShutdown {
						break
					}
					continue
				}
				if atomic.LoadInt32(&phase) == phaseMeasure {
					mine = append(mine, int64(took))
				}
			}
			samples[w] = mine
		}(w, clients[w%cfg.conns])
	}

	var cpu0 syscall.Rusage
	if cfg.seconds > 0 {
		time.Sleep(time.Duration(cfg.warmup * float64(time.Second)))
		fmt.Println("measuring")
		os.Stdout.Sync()
		syscall.Getrusage(syscall.RUSAGE_SELF, &cpu0)
		start = time.Now()
		atomic.StoreInt32(&phase, phaseMeasure)
		time.Sleep(time.Duration(cfg.seconds * float64(time.Second)))
		atomic.StoreInt32(&phase, phaseStop)
	}
	var elapsed time.Duration
	if cfg.seconds > 0 {
		elapsed = time.Since(start)
		wg.Wait()
	} else {
		wg.Wait()
		elapsed = time.Since(start)
	}
	var cpu1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &cpu1)
	for _, client := range clients {
		client.Close()
	}

	var all []int64
	for _, s := range samples {
		all = append(all, s...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	res := result{
		Calls:     int64(len(all)),
		Errors:    atomic.LoadInt64(&errors),
		Elapsed:   elapsed.Seconds(),
		P50:       percentile(all, 0.50),
		P99:       percentile(all, 0.99),
		P999:      percentile(all, 0.999),
		CPUUser:   seconds(cpu1.Utime) - seconds(cpu0.Utime),
		CPUSys:    seconds(cpu1.Stime) - seconds(cpu0.Stime),
		MaxRSSKiB: cpu1.Maxrss,
	}
	if len(all) > 0 {
		res.Max = all[len(all)-1]
	}
	if res.Elapsed > 0 {
		res.CallsPerSec = float64(res.Calls) / res.Elapsed
	}
	out, err := json.Marshal(res)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))
}

// percentile is the smallest sample at or above fraction q of the sorted samples.
func percentile(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)) + 0.5)
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func seconds(t syscall.Timeval) float64 {
	return float64(t.Sec) + float64(t.Usec)/1e6
}
