// Command tlspeer speaks Go's net/rpc (gob, Go's default codec) over Go's crypto/tls, the way Go
// programs do: it serves over tls.Listen, or calls over tls.Dial and rpc.NewClient, so that
// netrpc's TLS can be checked against Go's in both directions.
//
//	tlspeer -listen 127.0.0.1:0 -cert CERT -key KEY [-client-ca CA]
//	tlspeer -connect HOST:PORT -ca CA [-cert CERT -key KEY] [-arg TEXT] [-no-close]
//
// With -listen it prints "listening on HOST:PORT" on stdout and serves every connection with
// its own HelloService: Hello(text) answers "hello:" + text; Peer("") answers the common name
// of the client's verified certificate ("" without one). -client-ca turns on mutual TLS: every
// client must present a certificate that Go verifies against that CA file
// (tls.RequireAndVerifyClientCert). A failed handshake is printed on stderr as
// "handshake failed: ERROR", and the server goes on.
//
// With -connect it dials with tls.Dial, trusting only the certificates in -ca (RootCAs) and
// presenting -cert/-key when given, prints "local HOST:PORT" (its own address) on stdout, calls
// HelloService.Hello(-arg), and prints the reply on stdout; it exits 0 then. A failure is printed
// on stderr as "error: ERROR", with exit status 1. It closes the connection before exiting
// (Go's Close sends TLS close_notify) unless -no-close is given: then it exits with the
// connection open, as a Go program that returns from main does, and the kernel closes the
// socket without close_notify.
//
// Files are PEM. Standard library only; builds with Go 1.19.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"net/rpc"
	"os"
)

// HelloService is one connection's service.
type HelloService struct {
	peer string // the common name of the client's verified certificate, or ""
}

func (p *HelloService) Hello(request string, reply *string) error {
	*reply = "hello:" + request
	return nil
}

func (p *HelloService) Peer(request string, reply *string) error {
	*reply = p.peer
	return nil
}

func main() {
	listen := flag.String("listen", "", "serve on this address (tls.Listen)")
	connect := flag.String("connect", "", "call the server at this address (tls.Dial)")
	certFile := flag.String("cert", "", "certificate chain (PEM) to present")
	keyFile := flag.String("key", "", "private key (PEM) of -cert")
	clientCA := flag.String("client-ca", "", "with -listen: require client certificates verified by these CAs (PEM)")
	ca := flag.String("ca", "", "with -connect: trust only these certificates (PEM) as roots")
	arg := flag.String("arg", "world", "with -connect: the argument of HelloService.Hello")
	noClose := flag.Bool("no-close", false, "with -connect: exit without closing the connection (no close_notify)")
	flag.Parse()

	var err error
	switch {
	case *listen != "" && *connect == "":
		err = serve(*listen, *certFile, *keyFile, *clientCA)
	case *connect != "" && *listen == "":
		err = call(*connect, *ca, *certFile, *keyFile, *arg, *noClose)
	default:
		err = fmt.Errorf("give one of -listen and -connect")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}

// pool reads the certificates of a PEM file into a pool.
func pool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	certs := x509.NewCertPool()
	if !certs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", path)
	}
	return certs, nil
}

func serve(addr, certFile, keyFile, clientCA string) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	config := &tls.Config{Certificates: []tls.Certificate{cert}}
	if clientCA != "" {
		if config.ClientCAs, err = pool(clientCA); err != nil {
			return err
		}
		config.ClientAuth = tls.RequireAndVerifyClientCert
	}
	listener, err := tls.Listen("tcp", addr, config)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", listener.Addr())
	for {
		conn, err := listener.Accept()
		if err != nil {
			return err
		}
		go serveConn(conn.(*tls.Conn))
	}
}

func serveConn(conn *tls.Conn) {
	if err := conn.Handshake(); err != nil {
		fmt.Fprintf(os.Stderr, "handshake failed: %v\n", err)
		conn.Close()
		return
	}
	service := &HelloService{}
	if certs := conn.ConnectionState().PeerCertificates; len(certs) > 0 {
		service.peer = certs[0].Subject.CommonName
	}
	server := rpc.NewServer()
	if err := server.RegisterName("HelloService", service); err != nil {
		fmt.Fprintf(os.Stderr, "register: %v\n", err)
		conn.Close()
		return
	}
	server.ServeConn(conn)
}

func call(addr, ca, certFile, keyFile, arg string, noClose bool) error {
	config := &tls.Config{}
	if ca == "" {
		return fmt.Errorf("-connect needs -ca")
	}
	var err error
	if config.RootCAs, err = pool(ca); err != nil {
		return err
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return err
		}
		config.Certificates = []tls.Certificate{cert}
	}
	conn, err := tls.Dial("tcp", addr, config)
	if err != nil {
		return err
	}
	fmt.Printf("local %s\n", conn.LocalAddr().(*net.TCPAddr))
	client := rpc.NewClient(conn)
	var reply string
	if err := client.Call("HelloService.Hello", arg, &reply); err != nil {
		return err
	}
	fmt.Println(reply)
	if noClose {
		os.Exit(0)
	}
	return client.Close()
}
