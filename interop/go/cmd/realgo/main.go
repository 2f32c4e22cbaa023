// Command realgo is a net/rpc service shaped like the Go programs people run: its values hold
// time.Time, *big.Int, *big.Rat, *url.URL (marshaler types), interface values of registered
// types, []byte and strings that are not UTF-8. With -listen it serves Ledger over gob (or
// jsonrpc with -json) and prints "listening on ADDR"; with -connect it calls a Ledger service
// (netrpc's) and checks every answer against the canonical values, printing each failure and
// exiting 1 if any (with -json over jsonrpc); with -print-json it prints the canonical event
// as Go's encoding/json writes it.
//
// Over jsonrpc the values are what Go's encoding/json makes of them: interface values travel
// as plain JSON without their type names (a Point comes back as a map[string]interface{}, a
// number as a float64), a string's invalid UTF-8 bytes as U+FFFD, and *url.URL, which has no
// JSON or text marshaler, as an object of its exported fields. So with -json both sides expect
// the canonical event as it arrives over JSON (CanonicalJSON), and Describe sees those values.
package main

import (
	"encoding/gob"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"net/url"
	"os"
	"reflect"
	"strings"
	"time"
)

// Point is registered with gob as main.Point.
type Point struct{ X, Y int }

// Event holds one of each kind of value that plain chapter-style programs never send.
type Event struct {
	Name    string
	When    time.Time
	Amount  *big.Int
	Ratio   *big.Rat
	Payload interface{}
	Items   []interface{}
	Attrs   map[string]interface{}
	Raw     []byte
	Note    string
	Link    *url.URL
}

func init() {
	gob.Register(Point{})
}

// Canonical is the value both sides agree on.
func Canonical() Event {
	amount, _ := new(big.Int).SetString("1267650600228229401496703205376", 10) // 2^100
	link, _ := url.Parse("https://example.com/x?y=1")
	return Event{
		Name:    "deposit",
		When:    time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.FixedZone("", 5*3600+30*60)),
		Amount:  amount,
		Ratio:   big.NewRat(-1, 3),
		Payload: Point{3, 4},
		Items:   []interface{}{7, "two", Point{5, 6}},
		Attrs:   map[string]interface{}{"n": 8, "s": "x"},
		Raw:     []byte{1, 2, 3, 255},
		Note:    "a\xff\xfeb",
		Link:    link,
	}
}

// CanonicalJSON is the canonical event as it arrives over jsonrpc: through encoding/json and
// back.
func CanonicalJSON() Event {
	text, err := json.Marshal(Canonical())
	if err != nil {
		panic(err)
	}
	var event Event
	if err := json.Unmarshal(text, &event); err != nil {
		panic(err)
	}
	return event
}

// Diff describes how two events differ ("" when they are the same).
func Diff(got, want Event) string {
	var out []string
	if got.Name != want.Name {
		out = append(out, fmt.Sprintf("Name %q, want %q", got.Name, want.Name))
	}
	_, gotOffset := got.When.Zone()
	_, wantOffset := want.When.Zone()
	if !got.When.Equal(want.When) || gotOffset != wantOffset {
		out = append(out, fmt.Sprintf("When %v, want %v", got.When, want.When))
	}
	if got.Amount == nil || got.Amount.Cmp(want.Amount) != 0 {
		out = append(out, fmt.Sprintf("Amount %v, want %v", got.Amount, want.Amount))
	}
	if got.Ratio == nil || got.Ratio.Cmp(want.Ratio) != 0 {
		out = append(out, fmt.Sprintf("Ratio %v, want %v", got.Ratio, want.Ratio))
	}
	if !reflect.DeepEqual(got.Payload, want.Payload) {
		out = append(out, fmt.Sprintf("Payload %#v, want %#v", got.Payload, want.Payload))
	}
	if !reflect.DeepEqual(got.Items, want.Items) {
		out = append(out, fmt.Sprintf("Items %#v, want %#v", got.Items, want.Items))
	}
	if !reflect.DeepEqual(got.Attrs, want.Attrs) {
		out = append(out, fmt.Sprintf("Attrs %#v, want %#v", got.Attrs, want.Attrs))
	}
	if string(got.Raw) != string(want.Raw) {
		out = append(out, fmt.Sprintf("Raw %v, want %v", got.Raw, want.Raw))
	}
	if got.Note != want.Note {
		out = append(out, fmt.Sprintf("Note %q, want %q", got.Note, want.Note))
	}
	if got.Link == nil || got.Link.String() != want.Link.String() {
		out = append(out, fmt.Sprintf("Link %v, want %v", got.Link, want.Link))
	}
	return strings.Join(out, "; ")
}

// Ledger is the service; JSON is set when it is served over jsonrpc.
type Ledger struct{ JSON bool }

// want is the canonical event as this codec carries it.
func (l Ledger) want() Event {
	if l.JSON {
		return CanonicalJSON()
	}
	return Canonical()
}

// Sample returns the canonical event.
func (Ledger) Sample(_ int, reply *Event) error {
	*reply = Canonical()
	return nil
}

// Echo returns its argument.
func (Ledger) Echo(args Event, reply *Event) error {
	*reply = args
	return nil
}

// Check answers true when args is the canonical event (as the codec carries it), and an error
// saying how it differs.
func (l Ledger) Check(args Event, reply *bool) error {
	if diff := Diff(args, l.want()); diff != "" {
		return errors.New(diff)
	}
	*reply = true
	return nil
}

// Double returns 2x.
func (Ledger) Double(x *big.Int, reply *big.Int) error {
	reply.Lsh(x, 1)
	return nil
}

// Later returns t plus 90 minutes, in t's zone.
func (Ledger) Later(t time.Time, reply *time.Time) error {
	*reply = t.Add(90 * time.Minute)
	return nil
}

// Describe answers the concrete type and value of an interface argument.
func (Ledger) Describe(args *interface{}, reply *string) error {
	*reply = fmt.Sprintf("%T %v", *args, *args)
	return nil
}

// Record is the argument of Record: a time, a big integer and an interface value.
type Record struct {
	At      time.Time
	Amount  *big.Int
	Payload interface{}
}

// Record answers how it decoded its argument: the time in RFC 3339, the amount in decimal,
// and the payload's concrete type and value.
func (Ledger) Record(args Record, reply *string) error {
	*reply = fmt.Sprintf("At=%s Amount=%v Payload=%#v", args.At.Format(time.RFC3339Nano), args.Amount, args.Payload)
	return nil
}

func serve(addr string, json bool) error {
	server := rpc.NewServer()
	if err := server.RegisterName("Ledger", Ledger{JSON: json}); err != nil {
		return err
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", listener.Addr())
	for {
		conn, err := listener.Accept()
		if err != nil {
			return err
		}
		if json {
			go server.ServeCodec(jsonrpc.NewServerCodec(conn))
		} else {
			go server.ServeConn(conn)
		}
	}
}

// check calls every Ledger method at addr (over jsonrpc when json is set) and returns the
// checks that failed.
func check(addr string, json bool) []string {
	var client *rpc.Client
	var err error
	if json {
		client, err = jsonrpc.Dial("tcp", addr)
	} else {
		client, err = rpc.Dial("tcp", addr)
	}
	if err != nil {
		return []string{err.Error()}
	}
	defer client.Close()
	want := Ledger{JSON: json}.want()
	var failures []string
	fail := func(format string, args ...interface{}) {
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	var sample Event
	if err := client.Call("Ledger.Sample", 1, &sample); err != nil {
		fail("Sample: %v", err)
	} else if diff := Diff(sample, want); diff != "" {
		fail("Sample: %s", diff)
	}
	var echoed Event
	if err := client.Call("Ledger.Echo", Canonical(), &echoed); err != nil {
		fail("Echo: %v", err)
	} else if diff := Diff(echoed, want); diff != "" {
		fail("Echo: %s", diff)
	}
	var ok bool
	if err := client.Call("Ledger.Check", Canonical(), &ok); err != nil || !ok {
		fail("Check: %v %v", ok, err)
	}
	// Check refuses an event that differs, and says where.
	changed := Canonical()
	changed.Items[0] = 70
	ok = false
	if err := client.Call("Ledger.Check", changed, &ok); err == nil || !strings.Contains(err.Error(), "Items") || ok {
		fail("Check with Items[0] = 70: %v %v", ok, err)
	}
	changed = Canonical()
	changed.Amount = new(big.Int).Add(changed.Amount, big.NewInt(1))
	wantText := "Amount 1267650600228229401496703205377, want 1267650600228229401496703205376"
	if err := client.Call("Ledger.Check", changed, &ok); err == nil || err.Error() != wantText {
		fail("Check with Amount + 1: %v, want %q", err, wantText)
	}
	// Beyond 64 bits both ways.
	x, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	var doubled big.Int
	if err := client.Call("Ledger.Double", x, &doubled); err != nil {
		fail("Double: %v", err)
	} else if doubled.String() != "-246913578024691357802469135780" {
		fail("Double: %v", &doubled)
	}
	at := time.Date(1969, 12, 31, 23, 59, 59, 5, time.UTC)
	var later time.Time
	if err := client.Call("Ledger.Later", at, &later); err != nil {
		fail("Later: %v", err)
	} else if !later.Equal(at.Add(90*time.Minute)) || later.Location() != time.UTC {
		fail("Later: %v", later)
	}
	zoned := Canonical().When
	if err := client.Call("Ledger.Later", zoned, &later); err != nil {
		fail("Later: %v", err)
	} else if _, offset := later.Zone(); !later.Equal(zoned.Add(90*time.Minute)) || offset != 5*3600+30*60 {
		fail("Later: %v", later)
	}
	// Interface arguments: over jsonrpc the server sees plain JSON values.
	describe := []struct {
		arg       interface{}
		gob, json string
	}{
		{Point{1, 2}, "main.Point {1 2}", "map[string]interface {} map[X:1 Y:2]"},
		{"hi", "string hi", "string hi"},
		{7, "int 7", "float64 7"},
	}
	for _, d := range describe {
		var described string
		arg := d.arg
		expected := d.gob
		if json {
			expected = d.json
		}
		if err := client.Call("Ledger.Describe", &arg, &described); err != nil {
			fail("Describe(%#v): %v", d.arg, err)
		} else if described != expected {
			fail("Describe(%#v): %q, want %q", d.arg, described, expected)
		}
	}
	// The wrong argument type is refused with an error that names it as a type problem. (Over
	// jsonrpc a string for a *big.Int is Go's "math/big: cannot unmarshal ...", so only gob
	// calls Double with one.)
	if !json {
		var wrong big.Int
		if err := client.Call("Ledger.Double", "not a number", &wrong); err == nil || !strings.Contains(err.Error(), "type") {
			fail("Double with a string: %v", err)
		}
	}
	if err := client.Call("Ledger.Check", "not an event", &ok); err == nil || !strings.Contains(err.Error(), "type") {
		fail("Check with a string: %v", err)
	}
	// The connection still works after those errors.
	if err := client.Call("Ledger.Check", Canonical(), &ok); err != nil || !ok {
		fail("Check after errors: %v %v", ok, err)
	}
	return failures
}

func main() {
	listen := flag.String("listen", "", "serve Ledger on this address")
	jsonCodec := flag.Bool("json", false, "jsonrpc instead of gob")
	connect := flag.String("connect", "", "check the Ledger service at this address (jsonrpc with -json)")
	printJSON := flag.Bool("print-json", false, "print the canonical event as encoding/json writes it")
	flag.Parse()
	switch {
	case *printJSON:
		text, err := json.Marshal(Canonical())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(string(text))
	case *listen != "":
		if err := serve(*listen, *jsonCodec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	case *connect != "":
		failures := check(*connect, *jsonCodec)
		for _, failure := range failures {
			fmt.Println("FAIL", failure)
		}
		if len(failures) > 0 {
			os.Exit(1)
		}
		fmt.Println("ok")
	default:
		flag.Usage()
		os.Exit(2)
	}
}
