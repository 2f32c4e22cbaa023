// Command httppaths runs two net/rpc servers on one HTTP mux, each at its own paths, as Go
// programs do with Server.HandleHTTP(rpcPath, debugPath), or calls one with rpc.DialHTTPPath.
//
//	httppaths -listen 127.0.0.1:0
//	httppaths -connect HOST:PORT -path /alpha [-method HelloService.Hello] [-arg text]
//
// With -listen it prints "listening on HOST:PORT" on stdout and serves, with http.Serve on the
// default mux, the rpc.Server "alpha" (CONNECT /alpha, status page at GET /alpha/debug) and the
// rpc.Server "beta" (CONNECT /beta, status page at GET /beta/debug). Each registers a
// HelloService whose Hello answers with its own name ("alpha:" + request, "beta:" + request);
// alpha also has an EchoService, so that the two status pages differ. Nothing is served at Go's
// default paths (/_goRPC_, /debug/rpc).
//
// With -connect it dials HOST:PORT with rpc.DialHTTPPath("tcp", HOST:PORT, PATH), calls METHOD
// with the string ARG, prints the string reply on stdout and exits 0; a failed dial or call
// prints "error: ..." on stderr and exits 1.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/rpc"
	"os"
)

// HelloService answers with the name of the server it is registered on.
type HelloService struct {
	server string
}

func (p *HelloService) Hello(request string, reply *string) error {
	*reply = p.server + ":" + request
	return nil
}

// EchoService is alpha's second service.
type EchoService struct{}

func (EchoService) Echo(request []string, reply *[]string) error {
	*reply = request
	return nil
}

// newServer makes an rpc.Server whose HelloService answers with name, and registers its
// handlers on http.DefaultServeMux at /name and /name/debug.
func newServer(name string, extra ...interface{}) {
	server := rpc.NewServer()
	if err := server.RegisterName("HelloService", &HelloService{server: name}); err != nil {
		log.Fatal(err)
	}
	for _, service := range extra {
		if err := server.Register(service); err != nil {
			log.Fatal(err)
		}
	}
	server.HandleHTTP("/"+name, "/"+name+"/debug")
}

func main() {
	listen := flag.String("listen", "", "serve alpha and beta on this address")
	connect := flag.String("connect", "", "call the server at this address")
	path := flag.String("path", rpc.DefaultRPCPath, "with -connect: the RPC path to CONNECT to")
	method := flag.String("method", "HelloService.Hello", "with -connect: the method to call")
	arg := flag.String("arg", "", "with -connect: the string argument")
	flag.Parse()

	switch {
	case *listen != "":
		newServer("alpha", EchoService{})
		newServer("beta")
		listener, err := net.Listen("tcp", *listen)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("listening on", listener.Addr())
		log.Fatal(http.Serve(listener, nil))
	case *connect != "":
		client, err := rpc.DialHTTPPath("tcp", *connect, *path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		defer client.Close()
		var reply string
		if err := client.Call(*method, *arg, &reply); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		fmt.Println(reply)
	default:
		fmt.Fprintln(os.Stderr, "give -listen or -connect")
		os.Exit(2)
	}
}
