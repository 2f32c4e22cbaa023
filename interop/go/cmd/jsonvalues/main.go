// Command jsonvalues checks the values Go's encoding/json writes in forms of its own, over
// net/rpc/jsonrpc: a []byte is a base64 string (a nil one null), a [N]byte an array of numbers,
// and a *big.Int a bare JSON number of any size.
//
//	jsonvalues -listen 127.0.0.1:0       serve Values (jsonrpc.ServeConn on every connection)
//	jsonvalues -connect 127.0.0.1:PORT   call a Values service's byte methods and check the replies
//
// Values's methods:
//
//   - EchoBytes([]byte) []byte and EchoBlob(Blob) Blob return their argument;
//   - Blob(struct{}) Blob returns wantBlob();
//   - Received(json.RawMessage) string returns the argument's JSON text as it arrived, so a
//     caller can see the form its encoder gave a value;
//   - Double(*big.Int) *big.Int returns twice its argument, Pow2(uint) *big.Int 2 to that power.
//
// With -connect it calls EchoBytes and EchoBlob (the methods netrpc's tests serve too): every
// reply must be what was sent, the reply's JSON text must be Go's (EchoBytes read into a
// json.RawMessage), and a string that is not base64 must fail with Go's decoding error. It exits
// 0 only if every check passed, printing one line per failed check on stderr, then a summary.
// With -listen it prints "listening on HOST:PORT" on stdout and serves until killed.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"os"
	"strings"
	"time"
)

// Blob holds byte slices of every kind and a byte array.
type Blob struct {
	Data   []byte
	Nil    []byte
	Empty  []byte
	Array  [4]byte
	Chunks [][]byte
}

// wantBlob is the Blob that Values.Blob returns (interop/tests/jsonrpc.rs knows it too).
func wantBlob() Blob {
	return Blob{
		Data:   []byte{0, 1, 2, 127, 128, 255},
		Nil:    nil,
		Empty:  []byte{},
		Array:  [4]byte{0xde, 0xad, 0xbe, 0xef},
		Chunks: [][]byte{{1}, {}, {0xfb, 0xff}},
	}
}

// Values serves the methods above.
type Values struct{}

func (*Values) EchoBytes(v []byte, reply *[]byte) error { *reply = v; return nil }
func (*Values) EchoBlob(v Blob, reply *Blob) error      { *reply = v; return nil }
func (*Values) Blob(_ struct{}, reply *Blob) error      { *reply = wantBlob(); return nil }

func (*Values) Received(v json.RawMessage, reply *string) error {
	*reply = string(v)
	return nil
}

func (*Values) Double(x *big.Int, reply *big.Int) error {
	reply.Add(x, x)
	return nil
}

func (*Values) Pow2(n uint, reply *big.Int) error {
	reply.Lsh(big.NewInt(1), n)
	return nil
}

// sameBlob compares two Blobs, a nil slice equal to an empty one (netrpc, like Go's decoder,
// reads both null and "" into an empty slice, and writes an empty one as []).
func sameBlob(a, b Blob) bool {
	if len(a.Chunks) != len(b.Chunks) {
		return false
	}
	for i := range a.Chunks {
		if !bytes.Equal(a.Chunks[i], b.Chunks[i]) {
			return false
		}
	}
	return bytes.Equal(a.Data, b.Data) && bytes.Equal(a.Nil, b.Nil) &&
		bytes.Equal(a.Empty, b.Empty) && a.Array == b.Array
}

// checker counts checks and reports each failure on stderr.
type checker struct {
	checks int
	failed int
}

func (c *checker) check(name string, ok bool, format string, args ...interface{}) {
	c.checks++
	if !ok {
		c.failed++
		fmt.Fprintf(os.Stderr, "FAIL %s: %s\n", name, fmt.Sprintf(format, args...))
	}
}

func runClient(addr string) *checker {
	c := new(checker)
	client, err := jsonrpc.Dial("tcp", addr)
	if err != nil {
		c.check("dial", false, "%v", err)
		return c
	}
	defer client.Close()

	large := make([]byte, 1<<20)
	for i := range large {
		large[i] = byte(i * 7)
	}
	// Not nil: a server writes a nil []byte reply as null, and Go's client gives up on a
	// connection whose reply has a null result and a null error ("invalid error <nil>").
	for i, arg := range [][]byte{{0, 1, 2, 127, 128, 255}, {}, large} {
		var reply []byte
		err := client.Call("Values.EchoBytes", arg, &reply)
		c.check(fmt.Sprintf("EchoBytes #%d", i), err == nil && bytes.Equal(reply, arg),
			"error %v, %d bytes back for %d", err, len(reply), len(arg))
	}

	// The reply's text is Go's: base64, with padding.
	var raw json.RawMessage
	err = client.Call("Values.EchoBytes", []byte{1, 2, 3, 255}, &raw)
	c.check("EchoBytes text", err == nil && string(raw) == `"AQID/w=="`, "error %v, text %s", err, raw)

	// Go reads an array of numbers into a []byte too.
	var reply []byte
	err = client.Call("Values.EchoBytes", []int{1, 2, 255}, &reply)
	c.check("EchoBytes from an array", err == nil && bytes.Equal(reply, []byte{1, 2, 255}),
		"error %v, reply %v", err, reply)

	// A string that is not base64 fails the call with Go's decoding error, and the connection
	// goes on.
	err = client.Call("Values.EchoBytes", "not base64!", &reply)
	want := "illegal base64 data at input byte 3"
	_, isServerError := err.(rpc.ServerError)
	c.check("EchoBytes of a bad string", isServerError && err.Error() == want, "error %v, want %q", err, want)

	var blob Blob
	err = client.Call("Values.EchoBlob", wantBlob(), &blob)
	c.check("EchoBlob", err == nil && sameBlob(blob, wantBlob()), "error %v, reply %#v", err, blob)
	return c
}

func main() {
	listen := flag.String("listen", "", "serve Values on this address (e.g. 127.0.0.1:0)")
	connect := flag.String("connect", "", "call the Values service at this address and check the replies")
	timeout := flag.Duration("timeout", 120*time.Second, "give up (and fail) after this long (-connect)")
	flag.Parse()
	if (*listen == "") == (*connect == "") {
		fmt.Fprintln(os.Stderr, "jsonvalues: give exactly one of -listen and -connect")
		os.Exit(2)
	}

	if *connect != "" {
		time.AfterFunc(*timeout, func() {
			fmt.Fprintf(os.Stderr, "FAIL jsonvalues: not finished after %v\n", *timeout)
			os.Exit(1)
		})
		c := runClient(strings.TrimPrefix(*connect, "tcp://"))
		fmt.Fprintf(os.Stderr, "jsonvalues: %d checks, %d failed\n", c.checks, c.failed)
		if c.failed > 0 {
			os.Exit(1)
		}
		return
	}

	if err := rpc.RegisterName("Values", new(Values)); err != nil {
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
		go jsonrpc.ServeConn(conn)
	}
}
