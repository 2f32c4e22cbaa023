// Command protopeer speaks netrpc's protobuf framing with Go's net/rpc and the goproto codec,
// so that netrpc can be checked against an independent implementation.
//
//	protopeer -listen 127.0.0.1:0
//	protopeer -connect 127.0.0.1:PORT [-extended]
//
// With -listen it prints "listening on HOST:PORT" on stdout and serves every connection:
// HelloService.Hello (the seed's), KVStoreService.Get/Set (the seed's, "not found" for a
// missing key) and MappingService.Echo (returns its Sample argument).
//
// With -connect it calls HelloService.Hello, KVStoreService.Set and Get (and a Get of a missing
// key) on a netrpc server and exits 0 when every reply is what the seed's services answer, 1
// otherwise. -extended also calls MappingService.Echo with a Sample that exercises the body
// mapping, sends a cancellation, and makes a call with a timeout.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/rpc"
	"os"
	"reflect"
	"sync"
	"time"

	"netrpc.dev/goproto"
)

// HelloService is the seed's HelloService.
type HelloService struct{}

// Hello returns "hello:" + request.
func (HelloService) Hello(request string, reply *string) error {
	*reply = "hello:" + request
	return nil
}

// KVStoreService is the seed's key-value store, Get and Set.
type KVStoreService struct {
	mu sync.Mutex
	m  map[string]string
}

// Get returns the value of key, or the error "not found".
func (s *KVStoreService) Get(key string, value *string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return errors.New("not found")
	}
	*value = v
	return nil
}

// Set sets kv[0] to kv[1].
func (s *KVStoreService) Set(kv [2]string, reply *struct{}) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[kv[0]] = kv[1]
	return nil
}

// Inner is a message embedded in Sample.
type Inner struct {
	ID    uint32
	Label string
}

// Sample exercises the body mapping; netrpc's test declares the same fields in the same order.
type Sample struct {
	Flag     bool
	Count    int64
	Negative int32
	Unsigned uint64
	Ratio    float64
	Small    float32
	Name     string
	Data     []byte
	Tags     []string
	Numbers  []int64
	Inner    Inner
	Items    []Inner
	Counts   map[string]int64
	Maybe    *int64
	Pair     [2]string
	Color    int32
	Nested   [][]string
	Missing  *Inner
}

// MappingService echoes a Sample.
type MappingService struct{}

// Echo returns its argument.
func (MappingService) Echo(s Sample, reply *Sample) error {
	*reply = s
	return nil
}

// ExampleSample is what -extended sends.
func ExampleSample() Sample {
	zero := int64(0)
	return Sample{
		Flag:     true,
		Count:    1 << 40,
		Negative: -7,
		Unsigned: 1<<64 - 1,
		Ratio:    0.25,
		Small:    -1.5,
		Name:     "Grüße, 世界",
		Data:     []byte{0, 1, 200, 255},
		Tags:     []string{"a", "", "c"},
		Numbers:  []int64{-1, 0, 300},
		Inner:    Inner{ID: 9, Label: "inner"},
		Items:    []Inner{{ID: 1}, {Label: "two"}},
		Counts:   map[string]int64{"x": 1, "zero": 0},
		Maybe:    &zero,
		Pair:     [2]string{"k", ""},
		Color:    2,
		Nested:   [][]string{{"p", "q"}, {}},
	}
}

func serve(addr string) error {
	server := rpc.NewServer()
	if err := server.RegisterName("HelloService", HelloService{}); err != nil {
		return err
	}
	if err := server.RegisterName("KVStoreService", &KVStoreService{m: map[string]string{}}); err != nil {
		return err
	}
	if err := server.RegisterName("MappingService", MappingService{}); err != nil {
		return err
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", listener.Addr())
	os.Stdout.Sync()
	for {
		conn, err := listener.Accept()
		if err != nil {
			return err
		}
		go server.ServeCodec(goproto.NewServerCodec(conn))
	}
}

func check(what string, got, want interface{}) error {
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("%s: got %#v, want %#v", what, got, want)
	}
	fmt.Printf("ok %s\n", what)
	return nil
}

func connect(addr string, extended bool) error {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	codec := goproto.NewClientCodec(conn)
	client := rpc.NewClientWithCodec(codec)
	defer client.Close()

	var hello string
	if err := client.Call("HelloService.Hello", "go", &hello); err != nil {
		return fmt.Errorf("HelloService.Hello: %w", err)
	}
	if err := check("HelloService.Hello", hello, "hello:go"); err != nil {
		return err
	}
	if err := client.Call("KVStoreService.Set", [2]string{"go-key", "go-value"}, &struct{}{}); err != nil {
		return fmt.Errorf("KVStoreService.Set: %w", err)
	}
	var value string
	if err := client.Call("KVStoreService.Get", "go-key", &value); err != nil {
		return fmt.Errorf("KVStoreService.Get: %w", err)
	}
	if err := check("KVStoreService.Get", value, "go-value"); err != nil {
		return err
	}
	err = client.Call("KVStoreService.Get", "no such key", &value)
	if err := check("KVStoreService.Get of a missing key", err, error(rpc.ServerError("not found"))); err != nil {
		return err
	}
	if !extended {
		return nil
	}

	sample := ExampleSample()
	var echoed Sample
	if err := client.Call("MappingService.Echo", sample, &echoed); err != nil {
		return fmt.Errorf("MappingService.Echo: %w", err)
	}
	// Nested's empty list comes back empty rather than nil.
	sample.Nested[1] = nil
	if len(echoed.Nested) == 2 && len(echoed.Nested[1]) == 0 {
		echoed.Nested[1] = nil
	}
	if err := check("MappingService.Echo", echoed, sample); err != nil {
		return err
	}
	if err := codec.Cancel(1 << 40); err != nil {
		return err
	}
	codec.SetTimeout(1500 * time.Millisecond)
	if err := client.Call("HelloService.Hello", "after a cancel", &hello); err != nil {
		return fmt.Errorf("HelloService.Hello: %w", err)
	}
	return check("HelloService.Hello with a timeout", hello, "hello:after a cancel")
}

func main() {
	listen := flag.String("listen", "", "serve on this address")
	connectTo := flag.String("connect", "", "call a netrpc server at this address")
	extended := flag.Bool("extended", false, "with -connect: also MappingService.Echo, a cancel and a timeout")
	flag.Parse()
	log.SetFlags(0)
	switch {
	case *listen != "":
		log.Fatal(serve(*listen))
	case *connectTo != "":
		if err := connect(*connectTo, *extended); err != nil {
			log.Fatalf("protopeer: %v", err)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
}
