// Command seedclient calls a net/rpc server the way the Go chapter's clients do (section 4.3)
// and checks every answer. It exits 0 only if every check passed, printing one line per failed
// check on stderr, then a summary.
//
//	seedclient -connect 127.0.0.1:PORT [-codec json|gob] [-http] -scenario seed|shared|login|hello
//	seedclient -accept 127.0.0.1:0 [-codec json|gob] -scenario seed|shared|login|hello
//
// With -accept it is the calling side of reverse RPC (seed 4.3.3): it prints
// "listening on HOST:PORT" on stdout and calls over the links the service side dials in.
//
// -codec picks the wire format: json (the default, net/rpc/jsonrpc's NewClient) or gob (Go's
// default: rpc.Dial, or rpc.NewClient over an accepted link). -http dials with rpc.DialHTTP
// (CONNECT /_goRPC_, then gob) instead. Addresses may carry a tcp:// or http:// prefix.
//
// Scenarios:
//   - seed: every method of HelloService and KVStoreService (with Revision and WatchFrom),
//     their error texts, net/rpc's own error texts, concurrency, Watch, unicode, 1 MiB values.
//   - shared: the seed scenario for a store other clients change at the same time (keys start
//     with -prefix; no Watch, WatchFrom checked by key rather than revision).
//   - login: the per-connection HelloService of seed 4.3.4 (the server needs -login).
//   - hello: one HelloService.Hello.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Change, WatchFromArgs and WatchFromReply are KVStoreService.WatchFrom's types.
type Change struct {
	Revision uint64
	Key      string
	Value    string
}

type WatchFromArgs struct {
	Revision       uint64
	Prefix         string
	TimeoutSeconds int
}

type WatchFromReply struct {
	Revision uint64
	Changes  []Change
}

// checker counts checks and reports each failure on stderr.
type checker struct {
	mu     sync.Mutex
	checks int
	failed int
}

// check passes when got deeply equals want.
func (c *checker) check(name string, got, want interface{}) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checks++
	if reflect.DeepEqual(got, want) {
		return true
	}
	c.failed++
	fmt.Fprintf(os.Stderr, "FAIL %s: got %s, want %s\n", name, show(got), show(want))
	return false
}

// show prints a value for a failure message, cutting long ones short.
func show(v interface{}) string {
	s := fmt.Sprintf("%#v", v)
	if len(s) > 200 {
		return fmt.Sprintf("%s... (%d bytes)", s[:200], len(s))
	}
	return s
}

// result is a call's outcome as one string: the reply, or "error: " and the error's text.
func result(reply string, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return reply
}

// call makes a call whose reply is a string.
func call(client *rpc.Client, serviceMethod string, args interface{}) string {
	var reply string
	err := client.Call(serviceMethod, args, &reply)
	return result(reply, err)
}

// set calls KVStoreService.Set, returning "" or "error: ...".
func set(client *rpc.Client, key, value string) string {
	return result("", client.Call("KVStoreService.Set", [2]string{key, value}, new(struct{})))
}

// link hands out clients: by dialing (-connect), or by taking the next link the service side
// dials in (-accept, the seed's clientChan).
type link struct {
	addr     string
	listener net.Listener
	codec    string // "json" or "gob"
	overHTTP bool   // dial with rpc.DialHTTP
}

// next returns a client and its local address ("" when rpc.Dial or rpc.DialHTTP hides the
// connection and wantAddr is false; rpc.DialHTTP always hides it).
func (l *link) next(wantAddr bool) (*rpc.Client, string, error) {
	if l.overHTTP {
		client, err := rpc.DialHTTP("tcp", l.addr)
		return client, "", err
	}
	if l.listener == nil && l.codec == "gob" && !wantAddr {
		client, err := rpc.Dial("tcp", l.addr)
		return client, "", err
	}
	var conn net.Conn
	var err error
	if l.listener != nil {
		conn, err = l.listener.Accept()
	} else {
		conn, err = net.Dial("tcp", l.addr)
	}
	if err != nil {
		return nil, "", err
	}
	if l.codec == "gob" {
		// What rpc.Dial does after dialing.
		return rpc.NewClient(conn), conn.LocalAddr().String(), nil
	}
	return jsonrpc.NewClient(conn), conn.LocalAddr().String(), nil
}

func main() {
	connect := flag.String("connect", "", "dial the server at this address")
	accept := flag.String("accept", "", "listen here and call over the links dialed in (reverse RPC)")
	scenario := flag.String("scenario", "seed", "what to run: seed, shared, login or hello")
	credentials := flag.String("login", "user:password", "the credentials the server expects (login scenario)")
	prefix := flag.String("prefix", "shared/", "the keys of the shared scenario start with this")
	timeout := flag.Duration("timeout", 120*time.Second, "give up (and fail) after this long")
	codec := flag.String("codec", "json", "wire format: json or gob")
	overHTTP := flag.Bool("http", false, "dial with rpc.DialHTTP (gob over Go's HTTP CONNECT)")
	flag.Parse()
	if (*connect == "") == (*accept == "") {
		fmt.Fprintln(os.Stderr, "seedclient: give exactly one of -connect and -accept")
		os.Exit(2)
	}
	if *codec != "json" && *codec != "gob" {
		fmt.Fprintln(os.Stderr, "seedclient: -codec must be json or gob")
		os.Exit(2)
	}
	if *overHTTP && *accept != "" {
		fmt.Fprintln(os.Stderr, "seedclient: -http needs -connect")
		os.Exit(2)
	}
	time.AfterFunc(*timeout, func() {
		fmt.Fprintf(os.Stderr, "FAIL scenario %s: not finished after %v\n", *scenario, *timeout)
		os.Exit(1)
	})

	addr := strings.TrimPrefix(strings.TrimPrefix(*connect, "tcp://"), "http://")
	l := &link{addr: addr, codec: *codec, overHTTP: *overHTTP}
	if *accept != "" {
		listener, err := net.Listen("tcp", strings.TrimPrefix(*accept, "tcp://"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "FAIL listen:", err)
			os.Exit(1)
		}
		fmt.Println("listening on", listener.Addr())
		l.listener = listener
	}

	c := new(checker)
	switch *scenario {
	case "seed":
		client := mustNext(l)
		seedScenario(c, client)
		client.Close()
	case "shared":
		client := mustNext(l)
		sharedScenario(c, client, *prefix)
		client.Close()
	case "login":
		loginScenario(c, l, *credentials)
	case "hello":
		client := mustNext(l)
		c.check("Hello", call(client, "HelloService.Hello", "hi"), "hello:hi")
		client.Close()
	default:
		fmt.Fprintln(os.Stderr, "seedclient: unknown scenario", *scenario)
		os.Exit(2)
	}

	fmt.Fprintf(os.Stderr, "seedclient %s: %d checks, %d failed\n", *scenario, c.checks, c.failed)
	if c.failed > 0 {
		os.Exit(1)
	}
}

func mustNext(l *link) *rpc.Client {
	client, _, err := l.next(false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL link:", err)
		os.Exit(1)
	}
	return client
}

func seedScenario(c *checker, client *rpc.Client) {
	hello(c, client)
	kv(c, client, "")
	rpcErrors(c, client)
	watchTimeout(c, client)
	watchFrom(c, client)
	goDone(c, client)
	concurrent(c, client, "")
	watchPending(c, client)
	watchFanOut(c, client)
	unicode(c, client, "")
	large(c, client, "")
}

// sharedScenario is the seed scenario for a server whose store other clients change at the same
// time: every key starts with p, and the checks that need the store to themselves (Watch, which
// any change wakes; revision arithmetic) are left out or made relative.
func sharedScenario(c *checker, client *rpc.Client, p string) {
	hello(c, client)
	kv(c, client, p)
	rpcErrors(c, client)
	watchFromShared(c, client, p)
	goDone(c, client)
	concurrent(c, client, p)
	unicode(c, client, p)
	large(c, client, p)
}

// watchFromShared checks WatchFrom under prefix p while other clients may change other keys.
func watchFromShared(c *checker, client *rpc.Client, p string) {
	var r0 uint64
	err := client.Call("KVStoreService.Revision", struct{}{}, &r0)
	c.check("Revision", result("", err), "")
	set(client, p+"wf/a", "1")
	set(client, p+"other", "x")
	set(client, p+"wf/b", "2")

	// The revisions are the server's; check the keys and values, and that revisions grow.
	summary := func(reply WatchFromReply, err error) string {
		if err != nil {
			return "error: " + err.Error()
		}
		var kvs []string
		last := r0
		for _, change := range reply.Changes {
			if change.Revision <= last {
				kvs = append(kvs, fmt.Sprintf("revision %d after %d", change.Revision, last))
			}
			last = change.Revision
			kvs = append(kvs, change.Key+"="+change.Value)
		}
		if reply.Revision < last {
			kvs = append(kvs, fmt.Sprintf("reply revision %d before %d", reply.Revision, last))
		}
		return strings.Join(kvs, " ")
	}
	var reply WatchFromReply
	err = client.Call("KVStoreService.WatchFrom", WatchFromArgs{Revision: r0, Prefix: p + "wf/"}, &reply)
	c.check("WatchFrom prefix", summary(reply, err), p+"wf/a=1 "+p+"wf/b=2")

	from := reply.Revision
	var pending WatchFromReply
	waiting := client.Go("KVStoreService.WatchFrom", WatchFromArgs{Revision: from, Prefix: p + "wf/", TimeoutSeconds: 30}, &pending, nil)
	set(client, p+"other", "y")
	set(client, p+"wf/c", "3")
	waiting = <-waiting.Done
	c.check("WatchFrom waiting", summary(pending, waiting.Error), p+"wf/c=3")
}

func hello(c *checker, client *rpc.Client) {
	c.check("Hello", call(client, "HelloService.Hello", "hi"), "hello:hi")
	c.check("Hello empty", call(client, "HelloService.Hello", ""), "hello:")
}

// kv checks Get and Set on keys starting with p.
func kv(c *checker, client *rpc.Client, p string) {
	c.check("Get missing", call(client, "KVStoreService.Get", p+"missing"), "error: not found")
	c.check("Set k", set(client, p+"k", "v"), "")
	c.check("Get k", call(client, "KVStoreService.Get", p+"k"), "v")
	c.check("Set k again", set(client, p+"k", "v2"), "")
	c.check("Get k again", call(client, "KVStoreService.Get", p+"k"), "v2")
	c.check("Set empty value", set(client, p+"empty", ""), "")
	c.check("Get empty value", call(client, "KVStoreService.Get", p+"empty"), "")
}

// rpcErrors checks net/rpc's own error texts, and that the connection survives them.
func rpcErrors(c *checker, client *rpc.Client) {
	c.check("unknown service", call(client, "Nope.Hello", "x"), "error: rpc: can't find service Nope.Hello")
	c.check("unknown method", call(client, "HelloService.Nope", "x"), "error: rpc: can't find method HelloService.Nope")
	c.check("ill-formed method", call(client, "NoDot", "x"), "error: rpc: service/method request ill-formed: NoDot")

	// An argument of the wrong type is a server error (its text is the decoder's), not the end
	// of the connection.
	var reply string
	err := client.Call("HelloService.Hello", 42, &reply)
	_, isServerError := err.(rpc.ServerError)
	c.check("wrong argument type is a ServerError", isServerError, true)
	c.check("Hello after errors", call(client, "HelloService.Hello", "again"), "hello:again")
}

// watchTimeout checks Watch's timeout while nothing else changes the store.
func watchTimeout(c *checker, client *rpc.Client) {
	c.check("Watch(0)", call(client, "KVStoreService.Watch", 0), "error: timeout")
	c.check("Watch(1)", call(client, "KVStoreService.Watch", 1), "error: timeout")
}

// watchFrom checks the revisioned watch. Unlike Watch it needs no knowledge of when the server
// registered a waiter: it returns every change after the revision it is given, whenever made.
func watchFrom(c *checker, client *rpc.Client) {
	var r0 uint64
	err := client.Call("KVStoreService.Revision", struct{}{}, &r0)
	c.check("Revision", result("", err), "")
	set(client, "wf/a", "1")
	set(client, "other", "x")
	set(client, "wf/b", "2")
	var r3 uint64
	client.Call("KVStoreService.Revision", struct{}{}, &r3)
	c.check("Revision after 3 changes", r3, r0+3)

	// %+v prints a nil and an empty slice alike: Go sends null for the one, netrpc [] maybe.
	summary := func(reply WatchFromReply, err error) string {
		return result(fmt.Sprintf("%+v", reply), err)
	}
	var reply WatchFromReply
	err = client.Call("KVStoreService.WatchFrom", WatchFromArgs{Revision: r0, Prefix: "wf/"}, &reply)
	want := WatchFromReply{Revision: r0 + 3, Changes: []Change{{r0 + 1, "wf/a", "1"}, {r0 + 3, "wf/b", "2"}}}
	c.check("WatchFrom prefix", summary(reply, err), summary(want, nil))

	reply = WatchFromReply{}
	err = client.Call("KVStoreService.WatchFrom", WatchFromArgs{Revision: r0 + 3, Prefix: "wf/"}, &reply)
	c.check("WatchFrom nothing new", summary(reply, err), summary(WatchFromReply{Revision: r0 + 3}, nil))

	// A WatchFrom that waits: whenever the server registers it, the change after r0+3 is its.
	var pending WatchFromReply
	waiting := client.Go("KVStoreService.WatchFrom", WatchFromArgs{Revision: r0 + 3, Prefix: "wf/", TimeoutSeconds: 30}, &pending, nil)
	set(client, "other", "y")
	set(client, "wf/c", "3")
	waiting = <-waiting.Done
	// "other" does not match the prefix, so only "wf/c" can end the wait.
	want = WatchFromReply{Revision: r0 + 5, Changes: []Change{{r0 + 5, "wf/c", "3"}}}
	c.check("WatchFrom waiting", summary(pending, waiting.Error), summary(want, nil))
}

// goDone uses Client.Go and its Done channel as seed 4.3.1 does.
func goDone(c *checker, client *rpc.Client) {
	helloCall := client.Go("HelloService.Hello", "hello", new(string), nil)
	// do some thing
	helloCall = <-helloCall.Done
	c.check("Go error", result("", helloCall.Error), "")
	c.check("Go ServiceMethod", helloCall.ServiceMethod, "HelloService.Hello")
	c.check("Go args", helloCall.Args.(string), "hello")
	c.check("Go reply", *helloCall.Reply.(*string), "hello:hello")

	// Several calls sharing one done channel, with room for all of them.
	done := make(chan *rpc.Call, 10)
	for i := 0; i < 10; i++ {
		client.Go("HelloService.Hello", fmt.Sprint(i), new(string), done)
	}
	for i := 0; i < 10; i++ {
		call := <-done
		c.check("Go shared done", result(*call.Reply.(*string), call.Error), "hello:"+call.Args.(string))
	}
}

// concurrent makes 200 calls at once from goroutines over the one client (keys start with p).
func concurrent(c *checker, client *rpc.Client, p string) {
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		i := i
		wg.Add(1)
		go func() {
			defer wg.Done()
			arg := fmt.Sprintf("call-%d", i)
			if i%2 == 0 {
				c.check("concurrent Hello", call(client, "HelloService.Hello", arg), "hello:"+arg)
				return
			}
			key := p + "concurrent/" + arg
			c.check("concurrent Set", set(client, key, arg), "")
			c.check("concurrent Get", call(client, "KVStoreService.Get", key), arg)
		}()
	}
	wg.Wait()
}

// wake sets the keys prefix0, prefix1, ... until n calls have come back on done, and returns
// the calls and the keys it set.
//
// A Watch sees only the changes made after the server registered it, and nothing tells the
// client when that happened: the call was sent, but the server runs each call in its own
// goroutine (or task). So rather than sleep and hope, wake keeps changing the store until every
// watcher has answered. Every answer must then be one of the keys set here, all set after the
// watch calls were made: that holds however the server schedules its handlers. (Usually the
// first Set wakes every watcher.)
func wake(c *checker, client *rpc.Client, prefix string, done chan *rpc.Call, n int) ([]*rpc.Call, map[string]bool) {
	var calls []*rpc.Call
	keys := make(map[string]bool)
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		for drained := false; !drained; {
			select {
			case call := <-done:
				calls = append(calls, call)
			default:
				drained = true
			}
		}
		if len(calls) == n {
			return calls, keys
		}
		if time.Now().After(deadline) {
			c.check(prefix+" watchers woken", len(calls), n)
			return calls, keys
		}
		key := fmt.Sprintf("%s%d", prefix, i)
		if !c.check("Set "+key, set(client, key, "v"), "") {
			return calls, keys
		}
		keys[key] = true
	}
}

// watchPending checks that a pending Watch does not hold up other calls on the connection.
func watchPending(c *checker, client *rpc.Client) {
	done := make(chan *rpc.Call, 1)
	client.Go("KVStoreService.Watch", 60, new(string), done)
	for i := 0; i < 20; i++ {
		arg := fmt.Sprint("while watching ", i)
		c.check("Hello while watching", call(client, "HelloService.Hello", arg), "hello:"+arg)
		c.check("Get while watching", call(client, "KVStoreService.Get", "k"), "v2")
	}
	// Nothing has changed the store since the Watch was made, so it must still be waiting.
	select {
	case call := <-done:
		c.check("Watch still pending", result(*call.Reply.(*string), call.Error), "(pending)")
		return
	default:
	}
	calls, keys := wake(c, client, "pending/", done, 1)
	for _, call := range calls {
		key := *call.Reply.(*string)
		c.check("pending Watch woken", result("", call.Error), "")
		c.check("pending Watch key "+key+" was set after it", keys[key], true)
	}
}

// watchFanOut starts 50 Watch calls from goroutines and wakes them all.
func watchFanOut(c *checker, client *rpc.Client) {
	const n = 50
	done := make(chan *rpc.Call, n)
	for i := 0; i < n; i++ {
		go func() {
			var key string
			err := client.Call("KVStoreService.Watch", 30, &key)
			done <- &rpc.Call{Reply: &key, Error: err}
		}()
	}
	calls, keys := wake(c, client, "fanout/", done, n)
	for _, call := range calls {
		key := *call.Reply.(*string)
		c.check("fan-out Watch woken", result("", call.Error), "")
		c.check("fan-out Watch key "+key+" was set after it", keys[key], true)
	}
}

// unicode sends strings that JSON must escape or that are not ASCII.
func unicode(c *checker, client *rpc.Client, p string) {
	texts := []string{
		"héllo wörld",
		"世界",
		"🦀🐹 emoji outside the BMP",
		"quote\" backslash\\ slash/",
		"tab\t newline\n return\r",
		"controls \x00\x01\x1f\x7f",
		"<script>&amp;</script>",
		"line separators \u2028\u2029",
		"\ufeffbom",
	}
	for i, text := range texts {
		c.check(fmt.Sprintf("Hello unicode %d", i), call(client, "HelloService.Hello", text), "hello:"+text)
		key := p + "ключ/" + text
		c.check(fmt.Sprintf("Set unicode %d", i), set(client, key, text), "")
		c.check(fmt.Sprintf("Get unicode %d", i), call(client, "KVStoreService.Get", key), text)
	}
}

// large sends 1 MiB strings: plain, and full of characters JSON escapes.
func large(c *checker, client *rpc.Client, p string) {
	plain := strings.Repeat("0123456789abcdef", 1<<16)
	escaped := strings.Repeat("é世🦀\"\\\n<>&\x01", 1<<20/16) // 16 bytes each
	for name, text := range map[string]string{"plain": plain, "escaped": escaped} {
		c.check("Hello 1 MiB "+name, call(client, "HelloService.Hello", text), "hello:"+text)
		c.check("Set 1 MiB "+name, set(client, p+"large/"+name, text), "")
		c.check("Get 1 MiB "+name, call(client, "KVStoreService.Get", p+"large/"+name), text)
	}
}

// loginScenario checks the per-connection HelloService of seed 4.3.4.
func loginScenario(c *checker, l *link, credentials string) {
	for _, connection := range []string{"first", "second"} {
		client, localAddr, err := l.next(true)
		if err != nil {
			c.check(connection+" connection", err.Error(), "")
			return
		}
		// Each connection starts logged out, the second one too.
		c.check(connection+": Hello before Login", call(client, "HelloService.Hello", "x"), "error: please login")
		c.check(connection+": Login wrong", call(client, "HelloService.Login", credentials+"-wrong"), "error: auth failed")
		c.check(connection+": Hello after failed Login", call(client, "HelloService.Hello", "x"), "error: please login")
		c.check(connection+": Login", call(client, "HelloService.Login", credentials), "")
		hello := call(client, "HelloService.Hello", "x")
		if localAddr != "" {
			c.check(connection+": Hello", hello, "hello:x, from "+localAddr)
		} else {
			// rpc.DialHTTP hides its connection: the server must still name a loopback peer.
			from := strings.TrimPrefix(hello, "hello:x, from ")
			host, _, err := net.SplitHostPort(from)
			c.check(connection+": Hello (from a loopback address) "+hello, err == nil && net.ParseIP(host).IsLoopback(), true)
		}
		client.Close()
	}
}
