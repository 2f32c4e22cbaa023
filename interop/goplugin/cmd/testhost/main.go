// testhost is a go-plugin host for netrpc's interop tests. It launches the plugin at -plugin
// (with go-plugin's test handshake), dispenses "test", and runs -scenario:
//
//   - callbacks: serves a Hello under a broker id and has the plugin call it (CallHost), then
//     has the plugin serve one (ServeBack) and calls it; prints each answer;
//   - concurrent: -n goroutines call Plugin.Greet -calls times each; prints "N calls ok";
//   - hold: prints "plugin pid PID" (from Plugin.Pid) and waits until killed.
//
// It exits 0 only if every check passed, after killing the plugin as go-plugin does.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/rpc"
	"os"
	"os/exec"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"netrpc.dev/goplugin"
)

func main() {
	path := flag.String("plugin", "", "the plugin's path")
	scenario := flag.String("scenario", "callbacks", "callbacks, concurrent or hold")
	n := flag.Int("n", 16, "goroutines (concurrent)")
	calls := flag.Int("calls", 50, "calls per goroutine (concurrent)")
	flag.Parse()

	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: goplugin.Handshake,
		Plugins:         map[string]plugin.Plugin{"test": &goplugin.TestPlugin{}},
		Cmd:             exec.Command(*path),
		Logger:          hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: os.Stderr, Level: hclog.Debug}),
		SyncStdout:      io.Discard,
	})
	code := 0
	defer func() {
		client.Kill()
		os.Exit(code)
	}()
	fail := func(format string, args ...interface{}) {
		log.Printf("FAIL: "+format, args...)
		code = 1
	}

	rpcClient, err := client.Client()
	if err != nil {
		fail("client: %v", err)
		return
	}
	raw, err := rpcClient.Dispense("test")
	if err != nil {
		fail("dispense: %v", err)
		return
	}
	conn := raw.(*goplugin.Conn)

	switch *scenario {
	case "callbacks":
		id := conn.Broker.NextId()
		go conn.Broker.AcceptAndServe(id, &goplugin.Hello{Who: "host"})
		var reply string
		if err := conn.Client.Call("Plugin.CallHost", id, &reply); err != nil {
			fail("CallHost: %v", err)
			return
		}
		fmt.Println("CallHost:", reply)

		var served uint32
		if err := conn.Client.Call("Plugin.ServeBack", "plugin", &served); err != nil {
			fail("ServeBack: %v", err)
			return
		}
		stream, err := conn.Broker.Dial(served)
		if err != nil {
			fail("dial %d: %v", served, err)
			return
		}
		back := rpc.NewClient(stream)
		if err := back.Call("Plugin.Hello", "host", &reply); err != nil {
			fail("Hello: %v", err)
			return
		}
		back.Close()
		fmt.Println("ServeBack:", reply)
	case "concurrent":
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for g := 0; g < *n; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < *calls; i++ {
					var reply string
					err := conn.Client.Call("Plugin.Greet", new(interface{}), &reply)
					mu.Lock()
					if err != nil || reply != "Hello!" {
						fail("Greet: %q %v", reply, err)
					} else {
						ok++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		fmt.Printf("%d calls ok\n", ok)
	case "hold":
		var pid int
		if err := conn.Client.Call("Plugin.Pid", new(interface{}), &pid); err != nil {
			fail("Pid: %v", err)
			return
		}
		fmt.Printf("plugin pid %d\n", pid)
		select {}
	default:
		fail("unknown scenario %q", *scenario)
	}
}
