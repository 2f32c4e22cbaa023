// Command yamuxpeer is a hashicorp/yamux peer for netrpc's interop tests: it listens or dials
// (TCP or a Unix socket), runs a yamux session as the server (listening) or the client
// (dialing), and plays one scenario (-mode), printing what it saw and exiting 0 only when every
// check passed.
//
//	-mode echo          echo every accepted stream back (to its FIN), then close it; exits when
//	                    the session ends
//	-mode open          open -streams streams at once, send -size bytes on each, half-close, read
//	                    the echo back and check it
//	-mode order         accept -streams streams and check that the k-th accepted one carries
//	                    the text k (go-plugin relies on streams being accepted in the order they
//	                    were opened)
//	-mode hold          accept nothing (with -backlog 1, the second stream is refused with RST)
//	-mode goaway        on the first accepted stream send GoAway, then echo that stream
//	-mode expect-goaway open a stream, echo-check it, then expect OpenStream to fail with
//	                    ErrRemoteGoAway
//	-mode expect-reset  accept one stream and read until it fails with ErrConnectionReset
//	-mode idle          keep the session for -duration (keepalive pings going both ways), ping
//	                    once, then check a stream still echoes
//	-mode rpc-server    serve net/rpc (gob) on every accepted stream: HelloService.Hello
//	-mode rpc-client    call HelloService.Hello("world") over one stream with rpc.NewClient
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
)

var (
	listen    = flag.String("listen", "", "address to listen on (host:port, or a path with -net unix)")
	dial      = flag.String("dial", "", "address to dial")
	network   = flag.String("net", "tcp", "tcp or unix")
	mode      = flag.String("mode", "echo", "scenario")
	streams   = flag.Int("streams", 1, "streams to open (-mode open)")
	size      = flag.Int("size", 1024, "bytes per stream (-mode open)")
	keepalive = flag.Duration("keepalive", 30*time.Second, "keepalive interval (0: off)")
	backlog   = flag.Int("backlog", 256, "accept backlog")
	duration  = flag.Duration("duration", time.Second, "how long to stay idle (-mode idle)")
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "yamuxpeer: "+format+"\n", args...)
	os.Exit(1)
}

func config() *yamux.Config {
	c := yamux.DefaultConfig()
	c.AcceptBacklog = *backlog
	c.EnableKeepAlive = *keepalive > 0
	if *keepalive > 0 {
		c.KeepAliveInterval = *keepalive
	}
	c.LogOutput = os.Stderr
	return c
}

// pattern is the payload of stream i.
func pattern(i, n int) []byte {
	out := make([]byte, n)
	for j := range out {
		out[j] = byte(j*31 + i)
	}
	return out
}

func main() {
	flag.Parse()
	var session *yamux.Session
	switch {
	case *listen != "":
		l, err := net.Listen(*network, *listen)
		if err != nil {
			fail("listen: %v", err)
		}
		fmt.Printf("listening on %s\n", l.Addr())
		conn, err := l.Accept()
		if err != nil {
			fail("accept: %v", err)
		}
		l.Close()
		if session, err = yamux.Server(conn, config()); err != nil {
			fail("yamux server: %v", err)
		}
	case *dial != "":
		conn, err := net.Dial(*network, *dial)
		if err != nil {
			fail("dial: %v", err)
		}
		if session, err = yamux.Client(conn, config()); err != nil {
			fail("yamux client: %v", err)
		}
	default:
		fail("-listen or -dial")
	}
	switch *mode {
	case "echo":
		echo(session)
	case "open":
		open(session)
	case "order":
		order(session)
	case "hold":
		<-session.CloseChan()
		fmt.Println("session closed")
	case "goaway":
		goAway(session)
	case "expect-goaway":
		expectGoAway(session)
	case "expect-reset":
		expectReset(session)
	case "idle":
		idle(session)
	case "rpc-server":
		rpcServer(session)
	case "rpc-client":
		rpcClient(session)
	default:
		fail("unknown -mode %q", *mode)
	}
}

// echoStream copies a stream back to itself until its FIN, then closes it (FIN back).
func echoStream(s *yamux.Stream) (int64, error) {
	defer s.Close()
	return io.Copy(s, s)
}

func echo(session *yamux.Session) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var count, total int64
	for {
		s, err := session.AcceptStream()
		if err != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := echoStream(s)
			if err != nil {
				fmt.Fprintf(os.Stderr, "stream %d: %v\n", s.StreamID(), err)
			}
			mu.Lock()
			count++
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Printf("echoed %d streams, %d bytes\n", count, total)
}

// roundTrip sends data on a new stream, half-closes it and checks the echo.
func roundTrip(session *yamux.Session, i int, data []byte) error {
	s, err := session.OpenStream()
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	writeErr := make(chan error, 1)
	go func() {
		_, err := s.Write(data)
		if err == nil {
			err = s.Close() // FIN: a half-close, reads go on
		}
		writeErr <- err
	}()
	back, err := io.ReadAll(s)
	if err != nil {
		return fmt.Errorf("stream %d: read: %w", s.StreamID(), err)
	}
	if err := <-writeErr; err != nil {
		return fmt.Errorf("stream %d: write: %w", s.StreamID(), err)
	}
	if !bytes.Equal(back, data) {
		return fmt.Errorf("stream %d: echoed %d bytes, not the %d sent", s.StreamID(), len(back), len(data))
	}
	return nil
}

func open(session *yamux.Session) {
	var wg sync.WaitGroup
	errs := make(chan error, *streams)
	for i := 0; i < *streams; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- roundTrip(session, i, pattern(i, *size))
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			fail("%v", err)
		}
	}
	fmt.Printf("ok %d streams of %d bytes\n", *streams, *size)
	session.Close()
}

func order(session *yamux.Session) {
	for k := 0; k < *streams; k++ {
		s, err := session.AcceptStream()
		if err != nil {
			fail("accept %d: %v", k, err)
		}
		text, err := io.ReadAll(s)
		if err != nil {
			fail("stream %d: %v", s.StreamID(), err)
		}
		if want := fmt.Sprint(k); string(text) != want {
			fail("accepted stream %d (id %d) carries %q, want %q", k, s.StreamID(), text, want)
		}
		s.Close()
	}
	fmt.Printf("in order %d\n", *streams)
	<-session.CloseChan()
}

func goAway(session *yamux.Session) {
	s, err := session.AcceptStream()
	if err != nil {
		fail("accept: %v", err)
	}
	if err := session.GoAway(); err != nil {
		fail("go away: %v", err)
	}
	fmt.Println("go away sent")
	if _, err := echoStream(s); err != nil {
		fail("echo after go away: %v", err)
	}
	// Streams opened after the GoAway are refused (RST); wait for the peer to close.
	<-session.CloseChan()
	fmt.Println("session closed")
}

func expectGoAway(session *yamux.Session) {
	if err := roundTrip(session, 0, []byte("before the go away")); err != nil {
		fail("%v", err)
	}
	_, err := session.OpenStream()
	if !errors.Is(err, yamux.ErrRemoteGoAway) {
		fail("open after go away: %v, want %v", err, yamux.ErrRemoteGoAway)
	}
	fmt.Println("open refused: " + err.Error())
	session.Close()
}

func expectReset(session *yamux.Session) {
	s, err := session.AcceptStream()
	if err != nil {
		fail("accept: %v", err)
	}
	n, err := io.Copy(io.Discard, s)
	if !errors.Is(err, yamux.ErrConnectionReset) {
		fail("read %d bytes then %v, want %v", n, err, yamux.ErrConnectionReset)
	}
	fmt.Printf("reset after %d bytes\n", n)
	session.Close()
}

func idle(session *yamux.Session) {
	select {
	case <-session.CloseChan():
		fail("session closed while idle")
	case <-time.After(*duration):
	}
	rtt, err := session.Ping()
	if err != nil {
		fail("ping: %v", err)
	}
	if err := roundTrip(session, 0, []byte("after the pings")); err != nil {
		fail("%v", err)
	}
	fmt.Printf("alive after %v; ping answered in %v\n", *duration, rtt)
	session.Close()
}

// HelloService is the seed's service.
type HelloService struct{}

// Hello answers "hello:" + request.
func (HelloService) Hello(request string, reply *string) error {
	*reply = "hello:" + request
	return nil
}

func rpcServer(session *yamux.Session) {
	server := rpc.NewServer()
	if err := server.RegisterName("HelloService", HelloService{}); err != nil {
		fail("register: %v", err)
	}
	var wg sync.WaitGroup
	count := 0
	for {
		s, err := session.AcceptStream()
		if err != nil {
			break
		}
		count++
		wg.Add(1)
		go func() {
			defer wg.Done()
			server.ServeConn(s)
		}()
	}
	wg.Wait()
	fmt.Printf("served %d streams\n", count)
}

func rpcClient(session *yamux.Session) {
	s, err := session.OpenStream()
	if err != nil {
		fail("open: %v", err)
	}
	client := rpc.NewClient(s)
	var reply string
	if err := client.Call("HelloService.Hello", "world", &reply); err != nil {
		fail("call: %v", err)
	}
	if reply != "hello:world" {
		fail("reply %q", reply)
	}
	fmt.Println("reply " + reply)
	client.Close()
	session.Close()
}
