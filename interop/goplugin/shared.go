// Package goplugin holds what the test host and plugin share: the handshake and the "test"
// plugin's net/rpc client and server, written as go-plugin's examples write them.
package goplugin

import (
	"net/rpc"

	"github.com/hashicorp/go-plugin"
)

// Handshake is the test programs' handshake.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "NETRPC_TEST_PLUGIN",
	MagicCookieValue: "yes",
}

// TestPlugin is the "test" plugin: Impl on the plugin side, nothing on the host side (the host
// uses the *rpc.Client directly).
type TestPlugin struct {
	Impl func(broker *plugin.MuxBroker) interface{}
}

// Server serves the implementation.
func (p *TestPlugin) Server(b *plugin.MuxBroker) (interface{}, error) {
	return p.Impl(b), nil
}

// Client gives the host the RPC client and the broker.
func (p *TestPlugin) Client(b *plugin.MuxBroker, c *rpc.Client) (interface{}, error) {
	return &Conn{Broker: b, Client: c}, nil
}

// Conn is what a host gets from Dispense("test").
type Conn struct {
	Broker *plugin.MuxBroker
	Client *rpc.Client
}

// Hello is an object served through the broker: Hello(name) says hello from Who.
type Hello struct {
	Who string
}

// Hello answers "WHO says hello to NAME".
func (h *Hello) Hello(name string, reply *string) error {
	*reply = h.Who + " says hello to " + name
	return nil
}
