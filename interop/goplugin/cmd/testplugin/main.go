// testplugin is a go-plugin net/rpc plugin for netrpc's interop tests. It serves "test"
// (Greet, CallHost, ServeBack, Block, Crash, Print, Pid) and "greeter" (go-plugin's basic greeter).
//
// TESTPLUGIN_PIDFILE names a file it writes its process id to, first thing.
// TESTPLUGIN_MODE changes how it starts: "silent" never prints a handshake line, "garbage"
// prints a line that is not one; both then wait forever.
package main

import (
	"fmt"
	"net/rpc"
	"os"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/examples/basic/shared"

	"netrpc.dev/goplugin"
)

// Test is the "test" plugin's implementation.
type Test struct {
	broker *plugin.MuxBroker
}

// Greet answers "Hello!" to go-plugin's new(interface{}).
func (t *Test) Greet(args interface{}, reply *string) error {
	*reply = "Hello!"
	return nil
}

// CallHost dials the host's broker id and calls Plugin.Hello("plugin") there.
func (t *Test) CallHost(id uint32, reply *string) error {
	conn, err := t.broker.Dial(id)
	if err != nil {
		return err
	}
	client := rpc.NewClient(conn)
	defer client.Close()
	return client.Call("Plugin.Hello", "plugin", reply)
}

// ServeBack serves a Hello from the plugin under a new broker id and returns the id.
func (t *Test) ServeBack(who string, reply *uint32) error {
	id := t.broker.NextId()
	go t.broker.AcceptAndServe(id, &goplugin.Hello{Who: who})
	*reply = id
	return nil
}

// Block never answers.
func (t *Test) Block(args interface{}, reply *string) error {
	select {}
}

// Crash exits the process with the given status at once.
func (t *Test) Crash(code int, reply *string) error {
	os.Exit(code)
	return nil
}

// Print writes text and a newline to os.Stdout and os.Stderr, which go-plugin redirects to the
// host's SyncStdout and SyncStderr.
func (t *Test) Print(text string, reply *string) error {
	fmt.Fprintln(os.Stdout, text)
	fmt.Fprintln(os.Stderr, text)
	*reply = text
	return nil
}

// Pid answers the plugin's process id.
func (t *Test) Pid(args interface{}, reply *int) error {
	*reply = os.Getpid()
	return nil
}

// hang waits until killed (a bare select{} would be Go's "all goroutines are asleep").
func hang() {
	for {
		time.Sleep(time.Hour)
	}
}

type greeter struct{}

func (greeter) Greet() string { return "Hello!" }

func main() {
	if path := os.Getenv("TESTPLUGIN_PIDFILE"); path != "" {
		if err := os.WriteFile(path, []byte(fmt.Sprint(os.Getpid())), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	switch os.Getenv("TESTPLUGIN_MODE") {
	case "silent":
		hang()
	case "garbage":
		fmt.Println("hello there, I am not a plugin")
		hang()
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: goplugin.Handshake,
		Plugins: map[string]plugin.Plugin{
			"test": &goplugin.TestPlugin{Impl: func(b *plugin.MuxBroker) interface{} {
				return &Test{broker: b}
			}},
			"greeter": &shared.GreeterPlugin{Impl: greeter{}},
		},
	})
}
