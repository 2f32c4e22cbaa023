package goproto

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/rpc"
	"reflect"
	"strings"
	"testing"
	"time"
)

// buffer is an io.ReadWriteCloser over bytes.
type buffer struct{ bytes.Buffer }

func (*buffer) Close() error { return nil }

type WatchFromArgs struct {
	Revision       uint64
	Prefix         string
	TimeoutSeconds int64
}

type Change struct {
	Revision   uint64
	Key, Value string
}

type WatchFromReply struct {
	Revision uint64
	Changes  []Change
}

// The same bytes as rpc-codec's tests and documentation.
func TestMarshalBytes(t *testing.T) {
	zero := int64(0) // a pointer field is optional: written even when zero
	for _, c := range []struct {
		value interface{}
		want  string
	}{
		{"hi", "\x0a\x02hi"},
		{"", ""},
		{int64(-1), "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"},
		{uint32(150), "\x08\x96\x01"},
		{true, "\x08\x01"},
		{1.0, "\x09\x00\x00\x00\x00\x00\x00\xf0\x3f"},
		{[2]string{"k", "v"}, "\x0a\x01k\x0a\x01v"},
		{[2]string{}, "\x0a\x00\x0a\x00"},
		{[]int64{1, 2, 300}, "\x0a\x04\x01\x02\xac\x02"},
		{[]byte{1, 200}, "\x0a\x02\x01\xc8"},
		{struct{ Maybe *int64 }{&zero}, "\x08\x00"},
		{WatchFromArgs{1, "p", 5}, "\x08\x01\x12\x01p\x18\x05"},
		{WatchFromArgs{}, ""},
		{WatchFromReply{2, []Change{{1, "a", "b"}, {2, "", ""}}}, "\x08\x02\x12\x08\x08\x01\x12\x01a\x1a\x01b\x12\x02\x08\x02"},
		{map[string]int64{"a": 1, "": 0}, "\x0a\x04\x0a\x00\x10\x00\x0a\x05\x0a\x01a\x10\x01"},
		{[][]int64{{1}, {}}, "\x0a\x03\x0a\x01\x01\x0a\x00"},
		{struct{}{}, ""},
	} {
		got, err := Marshal(c.value)
		if err != nil {
			t.Fatalf("%#v: %v", c.value, err)
		}
		if string(got) != c.want {
			t.Errorf("%#v: got %x, want %x", c.value, got, c.want)
		}
		back := reflect.New(reflect.TypeOf(c.value))
		if err := Unmarshal(got, back.Interface()); err != nil {
			t.Fatalf("%#v: %v", c.value, err)
		}
		if want := c.value; !reflect.DeepEqual(back.Elem().Interface(), want) {
			// An empty inner slice comes back nil.
			if _, ok := want.([][]int64); !ok {
				t.Errorf("%#v: decoded %#v", want, back.Elem().Interface())
			}
		}
	}
}

func TestUnmarshalRules(t *testing.T) {
	var numbers []int64
	if err := Unmarshal([]byte("\x08\x01\x08\x02\x0a\x02\x03\x04"), &numbers); err != nil || !reflect.DeepEqual(numbers, []int64{1, 2, 3, 4}) {
		t.Errorf("packed and unpacked: %v %v", numbers, err)
	}
	var args WatchFromArgs
	if err := Unmarshal([]byte("\x08\x01\x25\x01\x02\x03\x04\x18\x01\x18\x02\x2a\x00"), &args); err != nil || args != (WatchFromArgs{1, "", 2}) {
		t.Errorf("unknown fields, last wins: %+v %v", args, err)
	}
	var s string
	if err := Unmarshal([]byte("\x0a\x05ab"), &s); err == nil {
		t.Error("a short string decoded")
	}
	var small int8
	if err := Unmarshal([]byte("\x08\xac\x02"), &small); err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("300 as int8: %v", err)
	}
}

func TestDocumentedFrames(t *testing.T) {
	conn := &buffer{}
	client := NewClientCodec(conn)
	client.SetTimeout(1500 * time.Millisecond)
	if err := client.WriteRequest(&rpc.Request{ServiceMethod: "S.M", Seq: 1}, uint32(5)); err != nil {
		t.Fatal(err)
	}
	if err := client.Cancel(1); err != nil {
		t.Fatal(err)
	}
	want := "NETRPC\x01\x02\x0d\x0a\x0b\x0a\x03S.M\x10\x01\x18\xe0\xc6\x5b\x02\x08\x05\x04\x12\x02\x08\x01\x00"
	if got := conn.String(); got != want {
		t.Fatalf("got %x\nwant %x", got, want)
	}

	server := NewServerCodec(conn)
	var req rpc.Request
	if err := server.ReadRequestHeader(&req); err != nil || req.ServiceMethod != "S.M" || req.Seq != 1 {
		t.Fatalf("%+v %v", req, err)
	}
	var arg uint32
	if err := server.ReadRequestBody(&arg); err != nil || arg != 5 {
		t.Fatalf("%d %v", arg, err)
	}
	if err := server.ReadRequestHeader(&req); err != io.EOF {
		t.Fatalf("after a cancel: %v", err)
	}
	if server.Cancels != 1 || server.LastTimeout == nil || *server.LastTimeout != 1500000 {
		t.Fatalf("cancels %d, timeout %v", server.Cancels, server.LastTimeout)
	}

	out := &buffer{}
	server = NewServerCodec(out)
	if err := server.WriteResponse(&rpc.Response{Seq: 1}, uint32(6)); err != nil {
		t.Fatal(err)
	}
	if err := server.WriteResponse(&rpc.Response{Seq: 1, Error: "oops"}, struct{}{}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "\x02\x08\x01\x02\x08\x06\x08\x08\x01\x12\x04oops\x00"; got != want {
		t.Fatalf("got %x\nwant %x", got, want)
	}
	// An error with an empty text, as netrpc may send.
	out.WriteString("\x04\x08\x03\x12\x00\x00")
	client = NewClientCodec(out)
	var resp rpc.Response
	var reply uint32
	for _, want := range []rpc.Response{{Seq: 1}, {Seq: 1, Error: "oops"}, {Seq: 3, Error: EmptyErrorText}} {
		if err := client.ReadResponseHeader(&resp); err != nil {
			t.Fatal(err)
		}
		if resp.Seq != want.Seq || resp.Error != want.Error {
			t.Fatalf("got %+v, want %+v", resp, want)
		}
		if err := client.ReadResponseBody(&reply); err != nil {
			t.Fatal(err)
		}
	}
	if reply != 0 && reply != 6 {
		t.Fatal(reply)
	}
}

type Arith struct{}

func (Arith) Add(args [2]int64, reply *int64) error {
	*reply = args[0] + args[1]
	return nil
}

func (Arith) Fail(arg string, reply *string) error {
	return errors.New("failed: " + arg)
}

func TestNetRPCOverPipe(t *testing.T) {
	serverConn, clientConn := net.Pipe()
	server := rpc.NewServer()
	if err := server.Register(Arith{}); err != nil {
		t.Fatal(err)
	}
	go server.ServeCodec(NewServerCodec(serverConn))
	client := rpc.NewClientWithCodec(NewClientCodec(clientConn))
	defer client.Close()
	var sum int64
	if err := client.Call("Arith.Add", [2]int64{-5, 3}, &sum); err != nil || sum != -2 {
		t.Fatalf("%d %v", sum, err)
	}
	var s string
	if err := client.Call("Arith.Fail", "x", &s); err == nil || err.Error() != "failed: x" {
		t.Fatalf("%v", err)
	}
	if err := client.Call("Arith.Nope", "x", &s); err == nil || !strings.Contains(err.Error(), "can't find method") {
		t.Fatalf("%v", err)
	}
}

func TestBadPreface(t *testing.T) {
	conn := &buffer{}
	conn.WriteString("NETRPC\x01\x01\x00\x00")
	var req rpc.Request
	if err := NewServerCodec(conn).ReadRequestHeader(&req); err == nil || !strings.Contains(err.Error(), "bad preface") {
		t.Fatal(err)
	}
}
