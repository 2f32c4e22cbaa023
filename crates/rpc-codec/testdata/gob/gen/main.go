// Command gen writes rpc-codec's gob test corpus with Go's own encoding/gob and net/rpc, and
// checks gob streams that netrpc wrote against what Go reads from them.
//
//	go run ./gen [-out DIR]                 write the corpus (*.gob) into DIR (default ".")
//	go run ./gen -verify FILE -kind KIND    decode FILE as KIND; exit 0 if Go reads the expected
//	                                        values, 1 (with the difference on stderr) if not
//	go run ./gen -verify FILE -kind remote-type -want NAME
//	                                        decode FILE's one value into an int: exit 0 if Go
//	                                        refuses it naming the remote type NAME
//
// Kinds:
//
//	zoo            the values of zoo.gob, in order
//	dynamic        the values of the dynamic (JSON-typed) check, in order
//	hinted         the values of the hinted check (empty containers typed by their Rust type),
//	               in order
//	gotypes        the values of gotypes.gob, in order
//	remote-type    one value that is not an int: Go's error must name its type as -want
//	rpc-requests   a client's request stream for the canonical calls: Go's rpc server must
//	               answer each call as expected
//	rpc-responses  a server's response stream for the canonical calls: Go's rpc client must
//	               get the expected reply or error for each call
//
// Files written: zoo.gob (a type zoo, then single values), gotypes.gob (Go's types that serde
// does not have: time.Time, math/big, *url.URL and user marshalers, interface values, strings
// that are not UTF-8), rpc_client.gob and rpc_server.gob (the two directions of a net/rpc
// connection over which a Go client made the canonical calls to a Go server).
//
// Standard library only; builds with Go 1.19.
package main

import (
	"bytes"
	"encoding/gob"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"math"
	"math/big"
	"net"
	"net/rpc"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"time"
)

// Inner is a small struct.
type Inner struct {
	A int
	B string
}

// Node is a recursive type through a pointer.
type Node struct {
	Val  int
	Next *Node
}

// Tree is a recursive type through a slice.
type Tree struct {
	Name string
	Kids []Tree
}

// Empty has no fields.
type Empty struct{}

// Zoo has a field of every kind gob knows, and some extremes.
type Zoo struct {
	Bool      bool
	Int       int
	Int8      int8
	Int16     int16
	Int32     int32
	Int64     int64
	Uint      uint
	Uint8     uint8
	Uint16    uint16
	Uint32    uint32
	Uint64    uint64
	MinInt64  int64
	Float32   float32
	Float64   float64
	Nan       float64
	PosInf    float64
	NegInf    float64
	Tiny      float64
	Rune      rune
	String    string
	Unicode   string
	Bytes     []byte
	Strings   []string
	Ints      []int
	Matrix    [][]int
	Pair      [2]string
	ByteArray [4]byte
	Map       map[string]int
	Structs   map[int]Inner
	Inner     Inner
	InnerPtr  *Inner
	Inners    []Inner
	NoInners  []Inner
	List      *Node
	Tree      Tree
	Empty     Empty
	Zero      int
	ZeroInner Inner
	NilPtr    *Inner
	Blobs     [][]byte
}

func zoo() Zoo {
	return Zoo{
		Bool:      true,
		Int:       -1,
		Int8:      math.MinInt8,
		Int16:     math.MinInt16,
		Int32:     math.MinInt32,
		Int64:     math.MaxInt64,
		Uint:      1 << 40,
		Uint8:     math.MaxUint8,
		Uint16:    math.MaxUint16,
		Uint32:    math.MaxUint32,
		Uint64:    math.MaxUint64,
		MinInt64:  math.MinInt64,
		Float32:   1.5,
		Float64:   math.Pi,
		Nan:       math.NaN(),
		PosInf:    math.Inf(1),
		NegInf:    math.Inf(-1),
		Tiny:      math.SmallestNonzeroFloat64,
		Rune:      '世',
		String:    "hello",
		Unicode:   "Grüße, 世界 🦀 \u0000 \"quoted\"\n",
		Bytes:     []byte{0, 1, 2, 254, 255},
		Strings:   []string{"a", "", "c"},
		Ints:      []int{0, -1, 1 << 40},
		Matrix:    [][]int{{1, 2}, {}, {3}},
		Pair:      [2]string{"k", "v"},
		ByteArray: [4]byte{1, 2, 3, 255},
		Map:       map[string]int{"one": 1},
		Structs:   map[int]Inner{7: {A: 1, B: "x"}},
		Inner:     Inner{A: -5, B: "in"},
		InnerPtr:  &Inner{B: "ptr"},
		Inners:    []Inner{{A: 1, B: "a"}, {}, {A: 2}},
		List:      &Node{Val: 1, Next: &Node{Val: 2, Next: &Node{Val: 3}}},
		Tree:      Tree{Name: "root", Kids: []Tree{{Name: "a"}, {Name: "b", Kids: []Tree{{Name: "c"}}}}},
		Blobs:     [][]byte{{1}, {}, {2, 3}},
	}
}

// zooValues are the values of zoo.gob, in order. Maps have at most one entry so that the file
// is the same every time it is generated (Go sends map entries in random order).
func zooValues() []interface{} {
	return []interface{}{
		zoo(),
		int64(-129),
		uint64(math.MaxUint64),
		"héllo, 世界",
		[]byte("bytes"),
		[2]string{"key", "value"},
		map[string][]int{"k": {1, 2}},
		math.Inf(-1),
		Empty{},
		struct{}{},
		Node{Val: 10, Next: &Node{Val: 20}},
		0,
		"",
		true,
		[]Tree{{Name: "x", Kids: []Tree{{Name: "y"}}}},
		map[int]string{-1: "minus one"},
		[]float32{0.5, -2},
		uint8(200),
	}
}

// DynamicArgs are the Go types of the dynamic check's values.
type DynamicArgs struct {
	Name  string
	Tags  []string
	Limit *int32
	Flags map[string]bool
}

func dynamicValues() []interface{} {
	limit := int32(10)
	return []interface{}{
		[]int{},
		map[int]string{},
		[]Inner{},
		Inner{A: 1, B: "x"},
		map[string][]int{"k": {1}},
		DynamicArgs{Name: "n", Limit: &limit},
		[3]float64{1, 2.5, -3},
		[]byte{1, 2, 3},
		[][]int{{}, {}},
	}
}

// Holder has fields that are empty containers.
type Holder struct {
	Name   string
	Grid   [][]int
	ByName map[string][]Inner
}

// hintedValues are empty containers (and values holding some), which show nothing of their
// element types: netrpc sends them with the types of its Rust types (gob::Hinted).
func hintedValues() []interface{} {
	return []interface{}{
		[]int64{},
		[]byte{},
		map[string][]int64{},
		[]Inner{},
		[]Tree{},
		map[int64]string{},
		map[string]Inner{},
		[][]int{{}, {}},
		[2][]float64{{}, {}},
		Holder{Name: "h", Grid: [][]int{{}}, ByName: map[string][]Inner{"k": {}}},
		[]*Node{},
		Tree{Name: "t"},
	}
}

// WithAny has an interface field.
type WithAny struct {
	Name string
	Any  interface{}
}

// Stamped has a GobEncoder field.
type Stamped struct {
	Name string
	When time.Time
}

// Times has time.Time fields (a GobEncoder whose bytes are MarshalBinary's): UTC, a zone
// offset in whole minutes (version 1), an offset with seconds (version 2), a time before 1970,
// and the zero time, which gob leaves out of the struct like any zero field.
type Times struct {
	UTC     time.Time
	Zone    time.Time
	ZoneSec time.Time
	Old     time.Time
	Zero    time.Time
}

// Bigs has math/big fields (GobEncoders; a nil pointer is left out).
type Bigs struct {
	Zero  *big.Int
	Neg   *big.Int
	Huge  *big.Int
	Nil   *big.Int
	Rat   *big.Rat
	Float *big.Float
	Third *big.Float
}

// Money is a user GobEncoder: its gob form is its GobEncode bytes.
type Money struct {
	Cents    int64
	Currency string
}

func (m Money) GobEncode() ([]byte, error) {
	return []byte(fmt.Sprintf("%s %d", m.Currency, m.Cents)), nil
}

func (m *Money) GobDecode(b []byte) error {
	_, err := fmt.Sscanf(string(b), "%s %d", &m.Currency, &m.Cents)
	return err
}

// Level is a user TextMarshaler. Go's gob does not use TextMarshaler (golang.org/issue/6760):
// a Level goes as the int it is.
type Level int

func (l Level) MarshalText() ([]byte, error) {
	return []byte(fmt.Sprintf("level-%d", int(l))), nil
}

func (l *Level) UnmarshalText(b []byte) error {
	_, err := fmt.Sscanf(string(b), "level-%d", (*int)(l))
	return err
}

// Custom has a BinaryMarshaler, a user GobEncoder, a user TextMarshaler and a string that is
// not UTF-8.
type Custom struct {
	Link  *url.URL
	Price Money
	Level Level
	Note  string
}

// Point is registered (gob.Register) as main.Point, for interface values.
type Point struct {
	X, Y int
}

// Envelope has interface fields: a registered struct, a nil interface (left out), a slice of
// interface values and a map of them.
type Envelope struct {
	Name    string
	Payload interface{}
	Nil     interface{}
	Items   []interface{}
	Attrs   map[string]interface{}
}

func init() {
	gob.Register(Point{})
	// Go registers int, string, []string and the other basic types itself, but not these.
	gob.Register([]interface{}{})
	gob.Register(map[string]interface{}{})
}

func mustBig(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 0)
	if !ok {
		panic("bad big.Int " + s)
	}
	return n
}

// iface is a pointer to an interface value holding v: encoded, a top-level interface value
// (type id 8), as a net/rpc reply of type interface{} goes.
func iface(v interface{}) *interface{} {
	return &v
}

// gotypesValues are the values of gotypes.gob, in order: Go's types that serde does not have
// (interface values, marshalers, strings of any bytes).
func gotypesValues() []interface{} {
	when := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	return []interface{}{
		WithAny{Name: "any", Any: 42},
		WithAny{Name: "nil"},
		when, // a GobEncoder
		&url.URL{Scheme: "https", Host: "example.com"}, // a BinaryMarshaler
		net.IPv4(192, 0, 2, 1),                         // a TextMarshaler, which gob ignores: []byte
		Stamped{Name: "stamped", When: when},
		Times{
			UTC:     time.Date(2024, 2, 29, 12, 30, 45, 123456789, time.UTC),
			Zone:    time.Date(2024, 3, 15, 6, 0, 0, 0, time.FixedZone("", -7*3600)),
			ZoneSec: time.Date(1900, 1, 1, 0, 0, 0, 0, time.FixedZone("", 19*60+32)),
			Old:     time.Date(1969, 7, 20, 20, 17, 40, 500, time.UTC),
		},
		Bigs{
			Zero:  big.NewInt(0),
			Neg:   big.NewInt(-12345),
			Huge:  mustBig("-0x1_0000_0000_0000_0000_0001"), // -(2^80 + 1)
			Rat:   big.NewRat(-22, 7),
			Float: big.NewFloat(-2.75),
			Third: new(big.Float).SetPrec(100).Quo(big.NewFloat(1), big.NewFloat(3)),
		},
		Custom{
			Link:  &url.URL{Scheme: "https", User: url.User("gopher"), Host: "go.dev", Path: "/doc", RawQuery: "q=1"},
			Price: Money{Cents: 1234, Currency: "EUR"},
			Level: 3,
			Note:  "caf\xe9 \xff",
		},
		Envelope{
			Name:    "env",
			Payload: Point{X: 3, Y: -4},
			Items:   []interface{}{7, "two", []string{"a", "b"}, Point{X: 5}, []interface{}{-1, "x"}},
			Attrs:   map[string]interface{}{"k": Point{Y: 9}},
		},
		time.Time{}, // the zero time, sent at the top level
		[]time.Time{when, time.Date(1, 1, 1, 0, 0, 1, 0, time.FixedZone("", 3600+1))},
		mustBig("0x10_0000_0000_0000_0000_0000_0000"), // 2^100
		big.NewRat(1, 3),
		Money{Cents: -5, Currency: "USD"},
		Level(-2),
		"\xff\xfe not UTF-8 \xc0",
		[]interface{}{1, "s", []string{"x"}, Point{X: 1, Y: 2}, []interface{}{Point{}}, map[string]interface{}{"n": 2}},
		map[string]interface{}{"p": Point{X: 6, Y: 7}},
		iface(Point{X: 8, Y: 9}),
		iface(-3),
		iface("str"),
		new(interface{}), // a nil interface value
	}
}

// The services of the canonical calls.

type HelloService struct{}

func (HelloService) Hello(request string, reply *string) error {
	*reply = "hello:" + request
	return nil
}

type KVStoreService struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *KVStoreService) Set(kv [2]string, reply *struct{}) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[kv[0]] = kv[1]
	return nil
}

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

// Args is Arith's argument.
type Args struct {
	A, B int
}

type Arith struct{}

func (Arith) Multiply(args Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

// call is one of the canonical calls and what it should give.
type call struct {
	method string
	arg    interface{}
	reply  func() interface{} // a new reply value
	want   interface{}        // the reply expected (dereferenced)
	err    string             // or the error expected
}

func calls() []call {
	str := func() interface{} { return new(string) }
	return []call{
		{"HelloService.Hello", "world", str, "hello:world", ""},
		{"KVStoreService.Set", [2]string{"k", "v"}, func() interface{} { return &struct{}{} }, struct{}{}, ""},
		{"KVStoreService.Get", "k", str, "v", ""},
		{"KVStoreService.Get", "missing", str, nil, "not found"},
		{"Arith.Multiply", Args{A: 7, B: 8}, func() interface{} { return new(int) }, 56, ""},
		{"HelloService.Hello", "", str, "hello:", ""},
		{"NoSuch.Method", "x", str, nil, "rpc: can't find service NoSuch.Method"},
		{"Arith.Multiply", Args{B: -3}, func() interface{} { return new(int) }, 0, ""},
	}
}

func newServer() *rpc.Server {
	server := rpc.NewServer()
	must(server.Register(HelloService{}))
	// "k" is there from the start: Go's server runs calls concurrently, so a Get may not wait
	// for the Set before it when a whole request stream is read at once.
	must(server.Register(&KVStoreService{m: map[string]string{"k": "v"}}))
	must(server.Register(Arith{}))
	return server
}

// recorder keeps a copy of everything written to a connection.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.buf.Write(p)
	r.mu.Unlock()
	return r.Conn.Write(p)
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.buf.Bytes()...)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(2)
	}
}

func encodeAll(values []interface{}) []byte {
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for _, v := range values {
		must(enc.Encode(v))
	}
	return buf.Bytes()
}

// rpcStreams runs the canonical calls from a Go client to a Go server over a pipe and returns
// the bytes each side wrote.
func rpcStreams() (client, server []byte) {
	c1, c2 := net.Pipe()
	clientConn := &recorder{Conn: c1}
	serverConn := &recorder{Conn: c2}
	done := make(chan struct{})
	go func() {
		newServer().ServeConn(serverConn)
		close(done)
	}()
	rpcClient := rpc.NewClient(clientConn)
	for _, c := range calls() {
		err := rpcClient.Call(c.method, c.arg, c.reply())
		if (err == nil) != (c.err == "") {
			must(fmt.Errorf("%s: error %v, want %q", c.method, err, c.err))
		}
	}
	rpcClient.Close()
	<-done
	return clientConn.bytes(), serverConn.bytes()
}

func generate(dir string) {
	// In this order, because Go's type ids are process-wide: a stream's ids depend on the types
	// encoded before it. New files go last, so that the others stay as they were.
	files := map[string][]byte{"zoo.gob": encodeAll(zooValues())}
	files["rpc_client.gob"], files["rpc_server.gob"] = rpcStreams()
	files["gotypes.gob"] = encodeAll(gotypesValues())
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		must(ioutil.WriteFile(filepath.Join(dir, name), files[name], 0o644))
		fmt.Printf("%s: %d bytes\n", name, len(files[name]))
	}
}

var (
	timeType     = reflect.TypeOf(time.Time{})
	bigIntType   = reflect.TypeOf(big.Int{})
	bigRatType   = reflect.TypeOf(big.Rat{})
	bigFloatType = reflect.TypeOf(big.Float{})
)

// sameValue compares two values as reflect.DeepEqual does, except that NaN equals NaN, times
// are the same instant in zones of the same offset (Go reads a zone back as Local when Local
// has its offset), and math/big numbers are equal numbers (big.Float: of the same precision
// and rounding mode).
func sameValue(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	if a.CanAddr() && b.CanAddr() {
		switch a.Type() {
		case bigIntType:
			return a.Addr().Interface().(*big.Int).Cmp(b.Addr().Interface().(*big.Int)) == 0
		case bigRatType:
			return a.Addr().Interface().(*big.Rat).Cmp(b.Addr().Interface().(*big.Rat)) == 0
		case bigFloatType:
			x, y := a.Addr().Interface().(*big.Float), b.Addr().Interface().(*big.Float)
			return x.Cmp(y) == 0 && x.Prec() == y.Prec() && x.Mode() == y.Mode()
		}
	}
	if a.Type() == timeType && a.CanInterface() && b.CanInterface() {
		x, y := a.Interface().(time.Time), b.Interface().(time.Time)
		_, xoff := x.Zone()
		_, yoff := y.Zone()
		return x.Equal(y) && xoff == yoff
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y || (math.IsNaN(x) && math.IsNaN(y))
	case reflect.Ptr, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !sameValue(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.String:
		return a.String() == b.String()
	case reflect.Complex64, reflect.Complex128:
		return a.Complex() == b.Complex()
	default:
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
}

// verifyValues decodes the values of data into new values of the types of want, in order.
func verifyValues(data []byte, want []interface{}) error {
	dec := gob.NewDecoder(bytes.NewReader(data))
	for i, w := range want {
		got := reflect.New(reflect.TypeOf(w))
		if err := dec.DecodeValue(got); err != nil {
			return fmt.Errorf("value %d (%T): %v", i, w, err)
		}
		if !sameValue(got.Elem(), reflect.ValueOf(w)) {
			return fmt.Errorf("value %d (%T):\n got  %#v\n want %#v", i, w, got.Elem().Interface(), w)
		}
	}
	var extra interface{}
	if err := dec.Decode(&extra); err != io.EOF {
		return fmt.Errorf("after %d values: expected the end of the stream, got %v", len(want), err)
	}
	return nil
}

// verifyRemoteType decodes the one value of data into an int, which Go must refuse with its
// error naming the remote type as want: the name the stream's type definition gave it (a type
// id that this process has defined for a type of its own would show that type instead, but
// this process defines none before decoding).
func verifyRemoteType(data []byte, want string) error {
	var n int
	err := gob.NewDecoder(bytes.NewReader(data)).Decode(&n)
	wantErr := "gob: decoding into local type *int, received remote type " + want
	if err == nil || err.Error() != wantErr {
		return fmt.Errorf("decoding into an int: got error %v, want %q", err, wantErr)
	}
	return nil
}

// fakeConn reads from a fixed stream (once start is closed) and keeps what is written.
type fakeConn struct {
	r      io.Reader
	start  chan struct{}
	mu     sync.Mutex
	w      bytes.Buffer
	closed bool
}

func (c *fakeConn) Read(p []byte) (int, error) {
	<-c.start
	return c.r.Read(p)
}

func (c *fakeConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Write(p)
}

func (c *fakeConn) Close() error { return nil }

// verifyRequests serves the request stream with Go's rpc server and checks its answers.
func verifyRequests(data []byte) error {
	conn := &fakeConn{r: bytes.NewReader(data), start: make(chan struct{})}
	close(conn.start)
	newServer().ServeConn(conn)
	dec := gob.NewDecoder(bytes.NewReader(conn.w.Bytes()))
	want := calls()
	seen := map[uint64]bool{}
	for range want {
		var resp rpc.Response
		if err := dec.Decode(&resp); err != nil {
			return fmt.Errorf("Go's server answered %d calls, then: %v", len(seen), err)
		}
		if resp.Seq >= uint64(len(want)) || seen[resp.Seq] {
			return fmt.Errorf("unexpected response seq %d", resp.Seq)
		}
		seen[resp.Seq] = true
		c := want[resp.Seq]
		if resp.ServiceMethod != c.method {
			return fmt.Errorf("call %d: response for %q, want %q", resp.Seq, resp.ServiceMethod, c.method)
		}
		if resp.Error != c.err {
			return fmt.Errorf("call %d (%s): error %q, want %q", resp.Seq, c.method, resp.Error, c.err)
		}
		if c.err != "" {
			if err := dec.DecodeValue(reflect.Value{}); err != nil {
				return fmt.Errorf("call %d: error body: %v", resp.Seq, err)
			}
			continue
		}
		reply := c.reply()
		if err := dec.Decode(reply); err != nil {
			return fmt.Errorf("call %d (%s): reply: %v", resp.Seq, c.method, err)
		}
		if got := reflect.ValueOf(reply).Elem().Interface(); !reflect.DeepEqual(got, c.want) {
			return fmt.Errorf("call %d (%s): reply %#v, want %#v", resp.Seq, c.method, got, c.want)
		}
	}
	return nil
}

// verifyResponses makes the canonical calls with Go's rpc client reading the response stream.
func verifyResponses(data []byte) error {
	conn := &fakeConn{r: bytes.NewReader(data), start: make(chan struct{})}
	client := rpc.NewClient(conn)
	var pending []*rpc.Call
	for _, c := range calls() {
		pending = append(pending, client.Go(c.method, c.arg, c.reply(), nil))
	}
	// Every call is registered (Go registers before writing): let the responses in.
	close(conn.start)
	for i, c := range calls() {
		var done *rpc.Call
		select {
		case done = <-pending[i].Done:
		case <-time.After(10 * time.Second):
			return fmt.Errorf("call %d (%s): no response", i, c.method)
		}
		if c.err != "" {
			if done.Error == nil || done.Error.Error() != c.err {
				return fmt.Errorf("call %d (%s): error %v, want %q", i, c.method, done.Error, c.err)
			}
			continue
		}
		if done.Error != nil {
			return fmt.Errorf("call %d (%s): %v", i, c.method, done.Error)
		}
		if got := reflect.ValueOf(done.Reply).Elem().Interface(); !reflect.DeepEqual(got, c.want) {
			return fmt.Errorf("call %d (%s): reply %#v, want %#v", i, c.method, got, c.want)
		}
	}
	return nil
}

func main() {
	out := flag.String("out", ".", "directory to write the corpus into")
	verify := flag.String("verify", "", "gob stream to check instead of writing the corpus")
	kind := flag.String("kind", "", "what -verify's stream holds: zoo, dynamic, hinted, gotypes, remote-type, rpc-requests or rpc-responses")
	want := flag.String("want", "", "for -kind remote-type: the name Go's error must give the value's type")
	flag.Parse()
	if *verify == "" {
		generate(*out)
		return
	}
	data, err := ioutil.ReadFile(*verify)
	must(err)
	switch *kind {
	case "zoo":
		err = verifyValues(data, zooValues())
	case "dynamic":
		err = verifyValues(data, dynamicValues())
	case "hinted":
		err = verifyValues(data, hintedValues())
	case "gotypes":
		err = verifyValues(data, gotypesValues())
	case "remote-type":
		err = verifyRemoteType(data, *want)
	case "rpc-requests":
		err = verifyRequests(data)
	case "rpc-responses":
		err = verifyResponses(data)
	default:
		err = fmt.Errorf("unknown -kind %q", *kind)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "verify %s (%s): %v\n", *verify, *kind, err)
		os.Exit(1)
	}
	fmt.Printf("ok: %s reads as %s\n", *verify, *kind)
}
