package goproto

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/rpc"
	"sync"
	"time"
)

// EmptyErrorText is what a Go client reads for a failed call whose error text is empty: net/rpc
// takes an empty rpc.Response.Error for success, so it cannot carry the empty text itself.
const EmptyErrorText = "unspecified error"

// ClientCodec is net/rpc's client side of the protobuf framing.
type ClientCodec struct {
	conn io.ReadWriteCloser
	r    *bufio.Reader

	mu          sync.Mutex // guards the fields below and writes
	w           *bufio.Writer
	prefaceSent bool
	timeout     time.Duration

	body []byte // the body of the response read last
}

// NewClientCodec returns a ClientCodec on conn, for rpc.NewClientWithCodec.
func NewClientCodec(conn io.ReadWriteCloser) *ClientCodec {
	return &ClientCodec{conn: conn, r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}
}

// SetTimeout makes every later request carry timeout_us (0: none).
func (c *ClientCodec) SetTimeout(d time.Duration) {
	c.mu.Lock()
	c.timeout = d
	c.mu.Unlock()
}

func (c *ClientCodec) writeLocked(frame []byte) error {
	if !c.prefaceSent {
		if _, err := c.w.Write(Preface); err != nil {
			return err
		}
		c.prefaceSent = true
	}
	if _, err := c.w.Write(frame); err != nil {
		return err
	}
	return c.w.Flush()
}

// WriteRequest writes a call: ClientFrame{call} and the argument.
func (c *ClientCodec) WriteRequest(r *rpc.Request, x interface{}) error {
	body, err := Marshal(x)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h := requestHeader{serviceMethod: r.ServiceMethod, seq: r.Seq}
	if c.timeout > 0 {
		us := uint64(c.timeout / time.Microsecond)
		h.timeoutUs = &us
	}
	return c.writeLocked(appendFrame(nil, appendCall(nil, h), body))
}

// Cancel tells the server the client gave up on call seq (net/rpc itself never cancels).
func (c *ClientCodec) Cancel(seq uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writeLocked(appendFrame(nil, appendCancel(nil, seq), nil))
}

// ReadResponseHeader reads a ResponseHeader and keeps its body for ReadResponseBody.
func (c *ClientCodec) ReadResponseHeader(r *rpc.Response) error {
	header, body, err := readFrame(c.r, MaxMessage)
	if err != nil {
		return err
	}
	seq, failed, errText, err := parseResponseHeader(header)
	if err != nil {
		return err
	}
	r.Seq = seq
	r.Error = ""
	if failed {
		if errText == "" {
			errText = EmptyErrorText
		}
		r.Error = errText
	}
	c.body = body
	return nil
}

// ReadResponseBody decodes the reply into x (nothing for a nil x).
func (c *ClientCodec) ReadResponseBody(x interface{}) error {
	body := c.body
	c.body = nil
	if x == nil {
		return nil
	}
	return Unmarshal(body, x)
}

// Close closes the connection.
func (c *ClientCodec) Close() error {
	return c.conn.Close()
}

// ServerCodec is net/rpc's server side of the protobuf framing. Cancellations are read and
// dropped (net/rpc cannot stop a call) and timeouts ignored.
type ServerCodec struct {
	conn        io.ReadWriteCloser
	r           *bufio.Reader
	w           *bufio.Writer
	prefaceRead bool
	body        []byte // the body of the request read last

	// Cancels counts the cancellations received, and LastTimeout is the timeout_us of the
	// last call that had one: for tests.
	Cancels     int
	LastTimeout *uint64
}

// NewServerCodec returns a ServerCodec on conn, for rpc.ServeCodec.
func NewServerCodec(conn io.ReadWriteCloser) *ServerCodec {
	return &ServerCodec{conn: conn, r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}
}

// ReadRequestHeader checks the preface once, then reads frames up to the next call.
func (c *ServerCodec) ReadRequestHeader(r *rpc.Request) error {
	if !c.prefaceRead {
		got := make([]byte, len(Preface))
		n, err := io.ReadFull(c.r, got)
		if err != nil {
			if n == 0 {
				return io.EOF
			}
			return io.ErrUnexpectedEOF
		}
		if !bytes.Equal(got, Preface) {
			return fmt.Errorf("goproto: bad preface %q, expected %q", got, Preface)
		}
		c.prefaceRead = true
	}
	for {
		header, body, err := readFrame(c.r, MaxMessage)
		if err != nil {
			return err
		}
		frame, err := parseClientFrame(header)
		if err != nil {
			return err
		}
		if frame.cancel {
			c.Cancels++
			continue
		}
		r.ServiceMethod = frame.call.serviceMethod
		r.Seq = frame.call.seq
		if frame.call.timeoutUs != nil {
			c.LastTimeout = frame.call.timeoutUs
		}
		c.body = body
		return nil
	}
}

// ReadRequestBody decodes the argument into x (nothing for a nil x).
func (c *ServerCodec) ReadRequestBody(x interface{}) error {
	body := c.body
	c.body = nil
	if x == nil {
		return nil
	}
	return Unmarshal(body, x)
}

// WriteResponse writes a ResponseHeader and the reply (an empty body after an error).
func (c *ServerCodec) WriteResponse(r *rpc.Response, x interface{}) error {
	var body []byte
	failed := r.Error != ""
	if !failed {
		var err error
		if body, err = Marshal(x); err != nil {
			// Answer with the encoding error rather than a broken frame.
			failed, r.Error = true, err.Error()
			body = nil
		}
	}
	frame := appendFrame(nil, appendResponseHeader(nil, r.Seq, failed, r.Error), body)
	if _, err := c.w.Write(frame); err != nil {
		return err
	}
	return c.w.Flush()
}

// Close closes the connection.
func (c *ServerCodec) Close() error {
	return c.conn.Close()
}

var (
	_ rpc.ClientCodec = (*ClientCodec)(nil)
	_ rpc.ServerCodec = (*ServerCodec)(nil)
)
