// Command seedserver serves the Go chapter's services (section 4.3) with Go's own net/rpc, over
// gob (Go's default codec, rpc.ServeConn), net/rpc/jsonrpc, or Go's HTTP transport
// (rpc.HandleHTTP), so that netrpc's client can be checked against the real thing.
//
//	seedserver -listen 127.0.0.1:0 [-codec json|gob] [-http] [-login user:password]
//	seedserver -dial 127.0.0.1:PORT [-codec json|gob] [-login user:password]
//
// With -listen it prints "listening on HOST:PORT" on stdout and serves every connection. With
// -dial it is the service side of reverse RPC (seed 4.3.3): it dials the calling side, serves
// over that link, and dials again whenever the link drops, until killed.
//
// -codec picks the wire format of raw connections: json (the default, net/rpc/jsonrpc) or gob
// (net/rpc's own, rpc.ServeConn). -http (with -listen) serves Go's HTTP transport instead, as
// the seed does: rpc.RegisterName on the default server, rpc.HandleHTTP, http.Serve; clients
// CONNECT /_goRPC_ (rpc.DialHTTP) and then speak gob, and GET /debug/rpc shows Go's status page.
// With -http and -login each CONNECT gets its own rpc.Server (HelloService must know its
// connection), so /debug/rpc is not served then.
//
// The services are the seed's: HelloService (with -login, the per-connection HelloService of
// seed 4.3.4 with Login) and KVStoreService (Get/Set/Watch of seed 4.3.2, with its leaks fixed),
// plus KVStoreService.Revision and KVStoreService.WatchFrom, the revisioned watch netrpc adds.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/rpc"
	"net/rpc/jsonrpc"
	"os"
	"strings"
	"sync"
	"time"
)

// HelloService is the seed's HelloService.
type HelloService struct{}

func (p *HelloService) Hello(request string, reply *string) error {
	*reply = "hello:" + request
	return nil
}

// LoginHelloService is the per-connection HelloService of seed 4.3.4.
type LoginHelloService struct {
	remoteAddr  string // the connection's remote address
	credentials string // "user:password"
	isLogin     bool
}

func (p *LoginHelloService) Login(request string, reply *string) error {
	if request != p.credentials {
		return fmt.Errorf("auth failed")
	}
	log.Println("login ok")
	p.isLogin = true
	return nil
}

func (p *LoginHelloService) Hello(request string, reply *string) error {
	if !p.isLogin {
		return fmt.Errorf("please login")
	}
	*reply = "hello:" + request + ", from " + p.remoteAddr
	return nil
}

// KVStoreService is the seed's in-memory KV store whose Watch waits for a change.
type KVStoreService struct {
	m      map[string]string
	filter map[int]func(key string)
	nextID int
	mu     sync.Mutex

	// Beyond the seed: every change, numbered from 1 (its revision), and a channel closed
	// (and replaced) on every change to wake WatchFrom calls.
	history []Change
	changed chan struct{}
}

// Change is one change to a key, as KVStoreService.WatchFrom reports it.
type Change struct {
	Revision uint64
	Key      string
	Value    string
}

// WatchFromArgs is the argument of KVStoreService.WatchFrom.
type WatchFromArgs struct {
	Revision       uint64
	Prefix         string
	TimeoutSeconds int
}

// WatchFromReply is the reply of KVStoreService.WatchFrom.
type WatchFromReply struct {
	Revision uint64
	Changes  []Change
}

func NewKVStoreService() *KVStoreService {
	return &KVStoreService{
		m:       make(map[string]string),
		filter:  make(map[int]func(key string)),
		changed: make(chan struct{}),
	}
}

func (p *KVStoreService) Get(key string, value *string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.m[key]; ok {
		*value = v
		return nil
	}
	return fmt.Errorf("not found")
}

func (p *KVStoreService) Set(kv [2]string, reply *struct{}) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	key, value := kv[0], kv[1]
	// Fixed: the first set of a key is a change even when its value is "".
	if oldValue, ok := p.m[key]; !ok || oldValue != value {
		for _, fn := range p.filter {
			fn(key)
		}
		p.history = append(p.history, Change{Revision: uint64(len(p.history)) + 1, Key: key, Value: value})
		close(p.changed)
		p.changed = make(chan struct{})
	}
	p.m[key] = value
	return nil
}

func (p *KVStoreService) Watch(timeoutSecond int, keyChanged *string) error {
	ch := make(chan string, 1)
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	p.filter[id] = func(key string) {
		// Fixed: never block Set (which holds the lock); the first key is the answer.
		select {
		case ch <- key:
		default:
		}
	}
	p.mu.Unlock()
	// Fixed: the filter is removed however Watch returns.
	defer func() {
		p.mu.Lock()
		delete(p.filter, id)
		p.mu.Unlock()
	}()

	select {
	case <-time.After(time.Duration(timeoutSecond) * time.Second):
		return fmt.Errorf("timeout")
	case key := <-ch:
		*keyChanged = key
		return nil
	}
}

// Revision is the number of changes so far.
func (p *KVStoreService) Revision(_ struct{}, revision *uint64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	*revision = uint64(len(p.history))
	return nil
}

// WatchFrom returns the changes after args.Revision whose key starts with args.Prefix, waiting
// up to args.TimeoutSeconds for the first one. Resuming from the reply's Revision misses nothing.
func (p *KVStoreService) WatchFrom(args WatchFromArgs, reply *WatchFromReply) error {
	timeout := time.After(time.Duration(args.TimeoutSeconds) * time.Second)
	for {
		p.mu.Lock()
		reply.Revision = uint64(len(p.history))
		reply.Changes = nil
		if args.Revision < reply.Revision {
			for _, change := range p.history[args.Revision:] {
				if strings.HasPrefix(change.Key, args.Prefix) {
					reply.Changes = append(reply.Changes, change)
				}
			}
		} else {
			reply.Revision = args.Revision
		}
		changed := p.changed
		p.mu.Unlock()

		if len(reply.Changes) > 0 || args.TimeoutSeconds <= 0 {
			return nil
		}
		select {
		case <-changed:
		case <-timeout:
			return nil
		}
	}
}

func main() {
	listen := flag.String("listen", "", "listen on this address (e.g. 127.0.0.1:0) and serve")
	dial := flag.String("dial", "", "dial this address and serve over the link (reverse RPC)")
	login := flag.String("login", "", "require HelloService.Login with these credentials (user:password)")
	codec := flag.String("codec", "json", "wire format of raw connections: json or gob")
	overHTTP := flag.Bool("http", false, "serve Go's HTTP transport (rpc.HandleHTTP) on -listen")
	flag.Parse()
	if (*listen == "") == (*dial == "") {
		fmt.Fprintln(os.Stderr, "seedserver: give exactly one of -listen and -dial")
		os.Exit(2)
	}
	if *codec != "json" && *codec != "gob" {
		fmt.Fprintln(os.Stderr, "seedserver: -codec must be json or gob")
		os.Exit(2)
	}
	if *overHTTP && *dial != "" {
		fmt.Fprintln(os.Stderr, "seedserver: -http needs -listen")
		os.Exit(2)
	}

	kv := NewKVStoreService()
	// A server for one connection (seed 4.3.4), so that HelloService can know its connection;
	// the KV store is shared.
	newServer := func(remoteAddr string) *rpc.Server {
		p := rpc.NewServer()
		if *login == "" {
			p.RegisterName("HelloService", new(HelloService))
		} else {
			p.RegisterName("HelloService", &LoginHelloService{remoteAddr: remoteAddr, credentials: *login})
		}
		p.RegisterName("KVStoreService", kv)
		return p
	}
	serve := func(conn net.Conn) {
		defer conn.Close()
		p := newServer(conn.RemoteAddr().String())
		if *codec == "gob" {
			p.ServeConn(conn)
		} else {
			p.ServeCodec(jsonrpc.NewServerCodec(conn))
		}
	}

	if *dial != "" {
		addr := strings.TrimPrefix(*dial, "tcp://")
		for {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				time.Sleep(100 * time.Millisecond) // the calling side is not up yet: retry
				continue
			}
			serve(conn)
		}
	}

	addr := strings.TrimPrefix(strings.TrimPrefix(*listen, "tcp://"), "http://")
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal("ListenTCP error:", err)
	}
	fmt.Println("listening on", listener.Addr())

	if *overHTTP {
		if *login == "" {
			// As the seed does: the default server, rpc.HandleHTTP, http.Serve.
			rpc.RegisterName("HelloService", new(HelloService))
			rpc.RegisterName("KVStoreService", kv)
			rpc.HandleHTTP()
		} else {
			// A server per CONNECT: rpc.Server.ServeHTTP hijacks the connection and serves it.
			http.HandleFunc(rpc.DefaultRPCPath, func(w http.ResponseWriter, req *http.Request) {
				newServer(req.RemoteAddr).ServeHTTP(w, req)
			})
		}
		log.Fatal(http.Serve(listener, nil))
	}

	for {
		conn, err := listener.Accept()
		if err != nil {
			log.Fatal("Accept error:", err)
		}
		go serve(conn)
	}
}
