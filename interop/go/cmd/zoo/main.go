// Command zoo checks that values of many Go types cross gob (Go's default net/rpc codec) both
// ways exactly: nested structs, maps, slices, arrays, pointers, recursive types, the extreme
// integers, NaN and the infinities, byte slices and unicode, and (GoZoo) time.Time,
// time.Duration, *big.Int, *big.Rat, *big.Float, *url.URL, interface values of
// registered types and a string that is not UTF-8.
//
//	zoo -listen 127.0.0.1:0       serve ZooService (rpc.RegisterName, rpc.ServeConn)
//	zoo -connect 127.0.0.1:PORT [-cases all|empty|skip]   call a ZooService and check every reply
//
// ZooService's methods are of several kinds, so that a bug cannot hide by cancelling itself out
// on the way there and back:
//
//   - Canonical(struct{}) Zoo returns canonicalZoo(): the caller checks it decoded the value it
//     expects (netrpc's interop tests define the same value in Rust);
//   - Verify(Zoo) string answers "ok" when the argument equals canonicalZoo(), and otherwise an
//     error naming the first difference: the server checks what it decoded;
//   - EchoX(X) X returns its argument, for each type X of the zoo;
//   - Extras(struct{}) InnerPlus returns an Inner with extra fields of every kind;
//   - CanonicalGo, VerifyGo and EchoGo are Canonical, Verify and EchoZoo for GoZoo.
//
// With -connect, zoo makes all of those calls and exits 0 only if every check passed, printing
// one line per failed check on stderr, then a summary. With -cases empty it instead echoes empty
// slices and maps as top-level values, each over a connection of its own (Go's client shuts a
// connection down when it cannot decode a reply). With -cases skip it sends EchoInner structs
// with fields Inner does not have, of every kind (slices, maps, structs, a non-nil interface, a
// time.Time, which gob encodes with its GobEncode method): Go's gob skips fields the receiver
// does not know, whatever their kind, so the reply must be the fields Inner has. Extras returns
// such a struct, for the other direction. With -listen it prints
// "listening on HOST:PORT" on stdout and serves until killed.
//
// Equality is Go's reflect.DeepEqual but for two points: NaN equals NaN (of either width), and a
// nil slice or map equals an empty one (gob carries no difference between them).
package main

import (
	"encoding/gob"
	"flag"
	"fmt"
	"log"
	"math"
	"math/big"
	"net"
	"net/rpc"
	"net/url"
	"os"
	"reflect"
	"strings"
	"time"
)

// Inner is a plain nested struct.
type Inner struct {
	Name  string
	Tags  []string
	Score float64
}

// Node is a linked list: a recursive type through a pointer.
type Node struct {
	Value string
	Next  *Node
}

// Extra is a struct for the unknown fields of InnerPlus.
type Extra struct{ A int }

// InnerPlus is Inner with extra fields, of every kind, between Inner's.
type InnerPlus struct {
	Name   string
	Before []int
	Tags   []string
	Any    interface{}
	Meta   map[string]Extra
	Score  float64
	Nested Extra
	When   time.Time
	Blob   []byte
}

// innerPlus is the InnerPlus that Extras returns; as an Inner it is wantInner.
func innerPlus() InnerPlus {
	return InnerPlus{
		Name:   "n",
		Before: []int{1, 2},
		Tags:   []string{"t"},
		Any:    5,
		Meta:   map[string]Extra{"m": {A: 7}},
		Score:  1.5,
		Nested: Extra{A: 8},
		When:   time.Unix(1e9, 0).UTC(),
		Blob:   []byte{1},
	}
}

var wantInner = Inner{Name: "n", Tags: []string{"t"}, Score: 1.5}

// Tree is a recursive type through a slice.
type Tree struct {
	Value    int
	Children []Tree
}

// Zoo holds one field of each kind gob carries.
type Zoo struct {
	Bool      bool
	Int       int
	Int8      int8
	Int16     int16
	Int32     int32
	Int64Min  int64
	Int64Max  int64
	Uint      uint
	Uint8     uint8
	Uint16    uint16
	Uint32    uint32
	Uint64Max uint64
	Rune      rune
	Float32   float32
	Float64   float64
	NaN       float64
	PosInf    float64
	NegInf    float64
	Tiny      float64
	Text      string
	Bytes     []byte
	ByteArray [4]byte
	Ints      []int64
	Strings   []string
	Floats    []float64
	Array     [3]int32
	Matrix    [2][3]float64
	Grid      [][]int
	Map       map[string]int
	IntKeys   map[int64]string
	NestedMap map[string]map[string]int
	Groups    map[string][]Inner
	Inner     Inner
	ZeroInner Inner
	Inners    []Inner
	Ptr       *Inner
	NilPtr    *Inner
	IntPtr    *int
	Unit      struct{}
	List      *Node
	Tree      Tree
}

// canonicalZoo is the value both sides know (interop/src/zoo.rs's Zoo::canonical).
func canonicalZoo() Zoo {
	answer := 42
	return Zoo{
		Bool:      true,
		Int:       -42,
		Int8:      math.MinInt8,
		Int16:     math.MaxInt16,
		Int32:     math.MinInt32,
		Int64Min:  math.MinInt64,
		Int64Max:  math.MaxInt64,
		Uint:      42,
		Uint8:     math.MaxUint8,
		Uint16:    math.MaxUint16,
		Uint32:    math.MaxUint32,
		Uint64Max: math.MaxUint64,
		Rune:      '🦀',
		Float32:   -1.2345679e-20,
		Float64:   6.02214076e23,
		NaN:       math.NaN(),
		PosInf:    math.Inf(1),
		NegInf:    math.Inf(-1),
		Tiny:      math.SmallestNonzeroFloat64,
		Text:      "héllo, 世界 🦀 \x00\n\"\\ \u2028\ufeff",
		Bytes:     []byte{0, 1, 2, 127, 128, 255},
		ByteArray: [4]byte{0xde, 0xad, 0xbe, 0xef},
		Ints:      []int64{math.MinInt64, -1, 0, 1, math.MaxInt64},
		Strings:   []string{"", "a", "ключ", "🦀"},
		Floats:    []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -0.5, math.MaxFloat64},
		Array:     [3]int32{math.MinInt32, 0, math.MaxInt32},
		Matrix:    [2][3]float64{{1, 2, 3}, {math.NaN(), math.Inf(1), math.Inf(-1)}},
		Grid:      [][]int{{1}, {}, {2, 3}},
		Map:       map[string]int{"a": 1, "zero": 0, "neg": -1, "ключ": math.MaxInt64},
		IntKeys:   map[int64]string{math.MinInt64: "min", 0: "", math.MaxInt64: "max"},
		NestedMap: map[string]map[string]int{"outer": {"inner": 1}, "empty": {}},
		Groups:    map[string][]Inner{"g": {{Name: "x"}, {Name: "y", Tags: []string{"t"}}}},
		Inner:     Inner{Name: "inner", Tags: []string{"a", "b"}, Score: 0.25},
		ZeroInner: Inner{},
		Inners:    []Inner{{Name: "first", Score: math.Inf(1)}, {}},
		Ptr:       &Inner{Name: "pointed", Score: -1},
		NilPtr:    nil,
		IntPtr:    &answer,
		Unit:      struct{}{},
		List:      &Node{Value: "1", Next: &Node{Value: "2", Next: &Node{Value: "3"}}},
		Tree:      Tree{Value: 1, Children: []Tree{{Value: 2}, {Value: 3, Children: []Tree{{Value: 4}}}}},
	}
}

// Point is a type registered for interface values (gob.Register: "main.Point").
type Point struct{ X, Y int }

func init() { gob.Register(Point{}) }

// GoZoo holds the standard library's types that gob sends by their marshalers, interface
// values of registered types, and a string that is not UTF-8.
type GoZoo struct {
	When       time.Time
	UTC        time.Time
	Before1970 time.Time
	Wait       time.Duration
	Big        *big.Int
	NegBig     *big.Int
	Ratio      *big.Rat
	Float      *big.Float
	Link       *url.URL
	Shape      interface{}
	Count      interface{}
	Mixed      []interface{}
	Named      map[string]interface{}
	Raw        string
	Blob       []byte
}

// canonicalGoZoo is the value both sides know (interop/src/zoo.rs's GoZoo::canonical).
func canonicalGoZoo() GoZoo {
	big100 := new(big.Int).Lsh(big.NewInt(1), 100)
	negBig := new(big.Int).Lsh(big.NewInt(1), 70)
	negBig.Add(negBig, big.NewInt(1)).Neg(negBig)
	link, err := url.Parse("https://go.dev/doc?x=1#frag")
	if err != nil {
		panic(err)
	}
	zoo := GoZoo{
		When:       time.Date(2024, 3, 15, 12, 30, 45, 500000000, time.FixedZone("", 3600)),
		UTC:        time.Unix(1e9, 1).UTC(),
		Before1970: time.Date(1969, 7, 20, 20, 17, 40, 0, time.FixedZone("", -5*3600)),
		Wait:       90 * time.Second,
		Big:        big100,
		NegBig:     negBig,
		Ratio:      big.NewRat(-1, 3),
		Float:      big.NewFloat(1.5),
		Link:       link,
		Shape:      Point{X: 3, Y: 4},
		Count:      7,
		Mixed:      []interface{}{1, "two", Point{X: 5, Y: 6}, []string{"a"}, nil},
		Named:      map[string]interface{}{"p": Point{X: 1, Y: 2}, "s": "str"},
		Raw:        "a\xff\xfeb",
		Blob:       []byte{0, 1, 255},
	}
	return zoo
}

// ZooService echoes every zoo type, returns the canonical zoo and verifies one.
type ZooService struct{}

func (*ZooService) Canonical(_ struct{}, reply *Zoo) error {
	*reply = canonicalZoo()
	return nil
}

func (*ZooService) Verify(zoo Zoo, reply *string) error {
	if d := diff("Zoo", reflect.ValueOf(zoo), reflect.ValueOf(canonicalZoo())); d != "" {
		return fmt.Errorf("zoo differs: %s", d)
	}
	*reply = "ok"
	return nil
}

func (*ZooService) CanonicalGo(_ struct{}, reply *GoZoo) error {
	*reply = canonicalGoZoo()
	return nil
}

func (*ZooService) VerifyGo(zoo GoZoo, reply *string) error {
	if d := diff("GoZoo", reflect.ValueOf(zoo), reflect.ValueOf(canonicalGoZoo())); d != "" {
		return fmt.Errorf("zoo differs: %s", d)
	}
	*reply = "ok"
	return nil
}

func (*ZooService) EchoGo(v GoZoo, reply *GoZoo) error { *reply = v; return nil }

func (*ZooService) Extras(_ struct{}, reply *InnerPlus) error {
	*reply = innerPlus()
	return nil
}

func (*ZooService) EchoZoo(v Zoo, reply *Zoo) error                { *reply = v; return nil }
func (*ZooService) EchoBool(v bool, reply *bool) error             { *reply = v; return nil }
func (*ZooService) EchoInt(v int, reply *int) error                { *reply = v; return nil }
func (*ZooService) EchoInt8(v int8, reply *int8) error             { *reply = v; return nil }
func (*ZooService) EchoInt64(v int64, reply *int64) error          { *reply = v; return nil }
func (*ZooService) EchoUint8(v uint8, reply *uint8) error          { *reply = v; return nil }
func (*ZooService) EchoUint64(v uint64, reply *uint64) error       { *reply = v; return nil }
func (*ZooService) EchoRune(v rune, reply *rune) error             { *reply = v; return nil }
func (*ZooService) EchoFloat32(v float32, reply *float32) error    { *reply = v; return nil }
func (*ZooService) EchoFloat64(v float64, reply *float64) error    { *reply = v; return nil }
func (*ZooService) EchoString(v string, reply *string) error       { *reply = v; return nil }
func (*ZooService) EchoBytes(v []byte, reply *[]byte) error        { *reply = v; return nil }
func (*ZooService) EchoInts(v []int64, reply *[]int64) error       { *reply = v; return nil }
func (*ZooService) EchoFloats(v []float64, reply *[]float64) error { *reply = v; return nil }
func (*ZooService) EchoArray(v [3]int32, reply *[3]int32) error    { *reply = v; return nil }
func (*ZooService) EchoByteArray(v [4]byte, reply *[4]byte) error  { *reply = v; return nil }
func (*ZooService) EchoMap(v map[string]int, reply *map[string]int) error {
	*reply = v
	return nil
}
func (*ZooService) EchoIntKeys(v map[int64]string, reply *map[int64]string) error {
	*reply = v
	return nil
}
func (*ZooService) EchoGroups(v map[string][]Inner, reply *map[string][]Inner) error {
	*reply = v
	return nil
}
func (*ZooService) EchoMatrix(v [2][3]float64, reply *[2][3]float64) error {
	*reply = v
	return nil
}
func (*ZooService) EchoInner(v Inner, reply *Inner) error       { *reply = v; return nil }
func (*ZooService) EchoInners(v []Inner, reply *[]Inner) error  { *reply = v; return nil }
func (*ZooService) EchoPtr(v *Inner, reply *Inner) error        { *reply = *v; return nil }
func (*ZooService) EchoEmpty(v struct{}, reply *struct{}) error { *reply = v; return nil }
func (*ZooService) EchoNode(v Node, reply *Node) error          { *reply = v; return nil }
func (*ZooService) EchoTree(v Tree, reply *Tree) error          { *reply = v; return nil }

// diff describes the first difference between a and b under path, or returns "".
func diff(path string, a, b reflect.Value) string {
	if a.Kind() != b.Kind() || a.Type() != b.Type() {
		return fmt.Sprintf("%s: type %v, want %v", path, a.Type(), b.Type())
	}
	if d, ok := diffLibrary(path, a, b); ok {
		return d
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		if math.IsNaN(x) && math.IsNaN(y) || x == y && math.Signbit(x) == math.Signbit(y) {
			return ""
		}
		return fmt.Sprintf("%s: %v, want %v", path, x, y)
	case reflect.Ptr:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() == b.IsNil() {
				return ""
			}
			return fmt.Sprintf("%s: nil %v, want nil %v", path, a.IsNil(), b.IsNil())
		}
		return diff("*"+path, a.Elem(), b.Elem())
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: length %d, want %d (%s)", path, a.Len(), b.Len(), show(a.Interface()))
		}
		for i := 0; i < a.Len(); i++ {
			if d := diff(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: %d entries, want %d (%s)", path, a.Len(), b.Len(), show(a.Interface()))
		}
		for _, key := range b.MapKeys() {
			got := a.MapIndex(key)
			if !got.IsValid() {
				return fmt.Sprintf("%s: no key %v", path, key)
			}
			if d := diff(fmt.Sprintf("%s[%v]", path, key), got, b.MapIndex(key)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if d := diff(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i)); d != "" {
				return d
			}
		}
		return ""
	default:
		if reflect.DeepEqual(a.Interface(), b.Interface()) {
			return ""
		}
		return fmt.Sprintf("%s: %s, want %s", path, show(a.Interface()), show(b.Interface()))
	}
}

// diffLibrary compares values of the standard library's types by their meaning: times by
// instant and zone offset, big numbers by value, URLs by their text. ok is false for other
// types.
func diffLibrary(path string, a, b reflect.Value) (d string, ok bool) {
	if !a.CanInterface() || !b.CanInterface() {
		return "", false
	}
	differ := func(x, y interface{}) string { return fmt.Sprintf("%s: %v, want %v", path, x, y) }
	switch x := a.Interface().(type) {
	case time.Time:
		y := b.Interface().(time.Time)
		_, ox := x.Zone()
		_, oy := y.Zone()
		if !x.Equal(y) || ox != oy || (x.Location() == time.UTC) != (y.Location() == time.UTC) {
			return differ(x, y), true
		}
		return "", true
	case big.Int:
		y := b.Interface().(big.Int)
		if x.Cmp(&y) != 0 {
			return differ(&x, &y), true
		}
		return "", true
	case big.Rat:
		y := b.Interface().(big.Rat)
		if x.Cmp(&y) != 0 {
			return differ(&x, &y), true
		}
		return "", true
	case big.Float:
		y := b.Interface().(big.Float)
		if x.Cmp(&y) != 0 {
			return differ(&x, &y), true
		}
		return "", true
	case url.URL:
		y := b.Interface().(url.URL)
		if x.String() != y.String() {
			return differ(x.String(), y.String()), true
		}
		return "", true
	}
	return "", false
}

// show prints a value for a failure message, cutting long ones short.
func show(v interface{}) string {
	s := fmt.Sprintf("%#v", v)
	if len(s) > 200 {
		return fmt.Sprintf("%s... (%d bytes)", s[:200], len(s))
	}
	return s
}

// echoCase is one EchoX call: the method, the argument, and the reply it must bring back.
type echoCase struct {
	method string
	arg    interface{}
	want   interface{} // the reply, dereferenced (arg itself, unless arg is a pointer)
}

// echoCases are the EchoX calls of the client (netrpc's tests make the same ones).
func echoCases() []echoCase {
	var cases []echoCase
	add := func(method string, args ...interface{}) {
		for _, arg := range args {
			cases = append(cases, echoCase{method, arg, arg})
		}
	}
	add("EchoZoo", canonicalZoo(), Zoo{})
	add("EchoBool", true, false)
	add("EchoInt", 0, 1, -1, math.MinInt64, math.MaxInt64)
	add("EchoInt8", int8(math.MinInt8), int8(math.MaxInt8))
	add("EchoInt64", int64(math.MinInt64), int64(math.MaxInt64), int64(-129), int64(256))
	add("EchoUint8", uint8(0), uint8(math.MaxUint8))
	add("EchoUint64", uint64(0), uint64(1)<<63, uint64(math.MaxUint64))
	add("EchoRune", rune(0), '🦀', rune(0x10FFFF))
	add("EchoFloat32", float32(math.NaN()), float32(math.Inf(-1)), float32(math.MaxFloat32),
		float32(math.SmallestNonzeroFloat32), float32(-1.2345679e-20))
	add("EchoFloat64", math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64,
		math.SmallestNonzeroFloat64, -1.5, 0.1)
	add("EchoString", "", "héllo, 世界 🦀", "\x00\x01\x7f\u2028\ufeff", strings.Repeat("é世🦀", 1<<16))
	large := make([]byte, 1<<20)
	for i := range large {
		large[i] = byte(i * 7)
	}
	add("EchoBytes", []byte{0, 1, 2, 127, 128, 255}, large)
	add("EchoInts", []int64{math.MinInt64, -1, 0, 1, math.MaxInt64})
	add("EchoFloats", []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -0.5, math.MaxFloat64})
	add("EchoArray", [3]int32{math.MinInt32, 0, math.MaxInt32}, [3]int32{})
	add("EchoByteArray", [4]byte{0xde, 0xad, 0xbe, 0xef}, [4]byte{})
	add("EchoMap", map[string]int{"a": 1, "zero": 0, "neg": -1, "ключ": math.MaxInt64})
	add("EchoIntKeys", map[int64]string{math.MinInt64: "min", 0: "", math.MaxInt64: "max"})
	add("EchoGroups", map[string][]Inner{"g": {{Name: "x"}, {Name: "y", Tags: []string{"t"}}}, "h": {{}}})
	add("EchoMatrix", [2][3]float64{{1, 2, 3}, {math.NaN(), math.Inf(1), math.Inf(-1)}})
	add("EchoInner", Inner{Name: "inner", Tags: []string{"a", "", "b"}, Score: math.Inf(-1)}, Inner{})
	add("EchoInners", []Inner{{Name: "first", Score: math.NaN()}, {}, {Tags: []string{"x"}}})
	add("EchoEmpty", struct{}{})
	add("EchoNode", *canonicalZoo().List)
	add("EchoTree", canonicalZoo().Tree)
	add("EchoGo", canonicalGoZoo(), GoZoo{})
	ptr := &Inner{Name: "pointed", Tags: []string{"p"}, Score: -1}
	cases = append(cases, echoCase{"EchoPtr", ptr, *ptr})
	return cases
}

// emptyCases echo empty slices and maps as top-level values: the reply's type must still be
// the argument's, which the value itself no longer shows.
func emptyCases() []echoCase {
	var cases []echoCase
	add := func(method string, arg interface{}) {
		cases = append(cases, echoCase{method, arg, arg})
	}
	add("EchoString", "")
	add("EchoBytes", []byte{})
	add("EchoInts", []int64{})
	add("EchoFloats", []float64{})
	add("EchoInners", []Inner{})
	add("EchoMap", map[string]int{})
	add("EchoIntKeys", map[int64]string{})
	add("EchoGroups", map[string][]Inner{})
	return cases
}

// skipCases send EchoInner an Inner with extra fields of one kind each, then of all kinds.
func skipCases() []echoCase {
	var cases []echoCase
	add := func(arg interface{}) {
		cases = append(cases, echoCase{"EchoInner", arg, wantInner})
	}
	add(struct {
		Name   string
		Before []int
		Tags   []string
		Score  float64
	}{"n", []int{1, 2}, []string{"t"}, 1.5})
	add(struct {
		Name  string
		Tags  []string
		Meta  map[string]Extra
		Score float64
	}{"n", []string{"t"}, map[string]Extra{"m": {A: 7}}, 1.5})
	add(struct {
		Name   string
		Tags   []string
		Score  float64
		Nested Extra
	}{"n", []string{"t"}, 1.5, Extra{A: 8}})
	add(struct {
		Name  string
		Tags  []string
		Any   interface{}
		Score float64
	}{"n", []string{"t"}, 5, 1.5})
	add(struct {
		Name  string
		Tags  []string
		Score float64
		When  time.Time
	}{"n", []string{"t"}, 1.5, time.Unix(1e9, 0).UTC()})
	add(innerPlus())
	return cases
}

// checker counts checks and reports each failure on stderr.
type checker struct {
	checks int
	failed int
}

func (c *checker) fail(name, format string, args ...interface{}) {
	c.failed++
	fmt.Fprintf(os.Stderr, "FAIL %s: %s\n", name, fmt.Sprintf(format, args...))
}

// runEach makes each call over a new connection.
func runEach(addr string, cases []echoCase) *checker {
	c := new(checker)
	for i, tc := range cases {
		c.checks++
		name := fmt.Sprintf("%s #%d (%T)", tc.method, i, tc.arg)
		client, err := rpc.Dial("tcp", addr)
		if err != nil {
			c.fail(name, "dial: %v", err)
			continue
		}
		reply := reflect.New(reflect.TypeOf(tc.want))
		if err := client.Call("ZooService."+tc.method, tc.arg, reply.Interface()); err != nil {
			c.fail(name, "error %v", err)
		} else if d := diff(tc.method, reply.Elem(), reflect.ValueOf(tc.want)); d != "" {
			c.fail(name, "%s", d)
		}
		client.Close()
	}
	return c
}

func runClient(addr string) *checker {
	c := new(checker)
	client, err := rpc.Dial("tcp", addr)
	if err != nil {
		c.checks++
		c.fail("dial", "%v", err)
		return c
	}
	defer client.Close()

	// What the server sent is the canonical zoo.
	c.checks++
	var zoo Zoo
	if err := client.Call("ZooService.Canonical", struct{}{}, &zoo); err != nil {
		c.fail("Canonical", "error %v", err)
	} else if d := diff("Zoo", reflect.ValueOf(zoo), reflect.ValueOf(canonicalZoo())); d != "" {
		c.fail("Canonical", "%s", d)
	}

	// What the server decoded is the canonical zoo.
	c.checks++
	var ok string
	if err := client.Call("ZooService.Verify", canonicalZoo(), &ok); err != nil || ok != "ok" {
		c.fail("Verify", "reply %q, error %v", ok, err)
	}
	// And Verify tells a different zoo apart (so that the check above means something).
	c.checks++
	different := canonicalZoo()
	different.Matrix[1][2] = 0
	if err := client.Call("ZooService.Verify", different, &ok); err == nil {
		c.fail("Verify different", "no error")
	}

	// The same for the standard library's types and interface values.
	c.checks++
	var goZoo GoZoo
	if err := client.Call("ZooService.CanonicalGo", struct{}{}, &goZoo); err != nil {
		c.fail("CanonicalGo", "error %v", err)
	} else if d := diff("GoZoo", reflect.ValueOf(goZoo), reflect.ValueOf(canonicalGoZoo())); d != "" {
		c.fail("CanonicalGo", "%s", d)
	}
	c.checks++
	if err := client.Call("ZooService.VerifyGo", canonicalGoZoo(), &ok); err != nil || ok != "ok" {
		c.fail("VerifyGo", "reply %q, error %v", ok, err)
	}
	c.checks++
	differentGo := canonicalGoZoo()
	differentGo.Big.Add(differentGo.Big, big.NewInt(1))
	if err := client.Call("ZooService.VerifyGo", differentGo, &ok); err == nil {
		c.fail("VerifyGo different", "no error")
	}
	c.checks++
	differentGo = canonicalGoZoo()
	differentGo.Mixed[2] = Point{X: 5, Y: 7}
	if err := client.Call("ZooService.VerifyGo", differentGo, &ok); err == nil {
		c.fail("VerifyGo different interface value", "no error")
	}

	for i, tc := range echoCases() {
		c.checks++
		name := fmt.Sprintf("%s #%d", tc.method, i)
		reply := reflect.New(reflect.TypeOf(tc.want))
		if err := client.Call("ZooService."+tc.method, tc.arg, reply.Interface()); err != nil {
			c.fail(name, "error %v", err)
			continue
		}
		if d := diff(tc.method, reply.Elem(), reflect.ValueOf(tc.want)); d != "" {
			c.fail(name, "%s", d)
		}
	}
	return c
}

func main() {
	listen := flag.String("listen", "", "serve ZooService on this address (e.g. 127.0.0.1:0)")
	connect := flag.String("connect", "", "call the ZooService at this address and check the replies")
	timeout := flag.Duration("timeout", 120*time.Second, "give up (and fail) after this long (-connect)")
	cases := flag.String("cases", "all", "with -connect: all (the zoo), empty (empty slices and maps) or skip (unknown fields)")
	flag.Parse()
	if (*listen == "") == (*connect == "") {
		fmt.Fprintln(os.Stderr, "zoo: give exactly one of -listen and -connect")
		os.Exit(2)
	}

	if *connect != "" {
		time.AfterFunc(*timeout, func() {
			fmt.Fprintf(os.Stderr, "FAIL zoo: not finished after %v\n", *timeout)
			os.Exit(1)
		})
		addr := strings.TrimPrefix(*connect, "tcp://")
		var c *checker
		switch *cases {
		case "all":
			c = runClient(addr)
		case "empty":
			c = runEach(addr, emptyCases())
		case "skip":
			c = runEach(addr, skipCases())
		default:
			fmt.Fprintln(os.Stderr, "zoo: -cases must be all, empty or skip")
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "zoo: %d checks, %d failed\n", c.checks, c.failed)
		if c.failed > 0 {
			os.Exit(1)
		}
		return
	}

	if err := rpc.RegisterName("ZooService", new(ZooService)); err != nil {
		log.Fatal("Register error:", err)
	}
	listener, err := net.Listen("tcp", strings.TrimPrefix(*listen, "tcp://"))
	if err != nil {
		log.Fatal("ListenTCP error:", err)
	}
	fmt.Println("listening on", listener.Addr())
	for {
		conn, err := listener.Accept()
		if err != nil {
			log.Fatal("Accept error:", err)
		}
		go rpc.ServeConn(conn)
	}
}
