// Package goproto speaks netrpc's protobuf framing from Go: an rpc.ClientCodec and an
// rpc.ServerCodec for Go's net/rpc, written with nothing but the stock
// google.golang.org/protobuf/encoding/protowire package (no generated code).
//
// The framing (rpc-codec's protobuf module documents it in full, rpc-proto/proto/netrpc.proto
// declares the headers): the client opens with the preface "NETRPC\x01\x02", then every frame
// in both directions is a varint-length-prefixed header message followed by a
// varint-length-prefixed body message.
//
//	client to server: ClientFrame { oneof kind { RequestHeader call = 1; Cancel cancel = 2; } }
//	                  RequestHeader { string service_method = 1; uint64 seq = 2; optional uint64 timeout_us = 3; }
//	                  Cancel { uint64 seq = 1; }
//	server to client: ResponseHeader { uint64 seq = 1; optional string error = 2; }
//
// Bodies are Go values mapped to protobuf messages by Marshal and Unmarshal, the same mapping
// netrpc applies to serde types.
package goproto

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// Preface is what a client sends before its first frame: "NETRPC", framing version 1, codec
// id 2 (protobuf).
var Preface = []byte("NETRPC\x01\x02")

// MaxMessage is the largest header plus body (not counting their lengths) a reader accepts,
// netrpc's default.
const MaxMessage = 16 << 20

// readFrame reads one frame: a header message and a body message. A clean end of stream before
// the frame is io.EOF; an end inside it is io.ErrUnexpectedEOF.
func readFrame(r *bufio.Reader, max int) (header, body []byte, err error) {
	headerLen, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, nil, err
	}
	if headerLen > uint64(max) {
		return nil, nil, fmt.Errorf("goproto: header of %d bytes exceeds the limit of %d bytes", headerLen, max)
	}
	header = make([]byte, headerLen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, nil, unexpected(err)
	}
	bodyLen, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, nil, unexpected(err)
	}
	if bodyLen > uint64(max)-headerLen {
		return nil, nil, fmt.Errorf("goproto: message of %d bytes exceeds the limit of %d bytes", headerLen+bodyLen, max)
	}
	body = make([]byte, bodyLen)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, nil, unexpected(err)
	}
	return header, body, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// appendFrame appends a header message and a body message, each length-delimited.
func appendFrame(b, header, body []byte) []byte {
	b = protowire.AppendBytes(b, header)
	return protowire.AppendBytes(b, body)
}

// field is one occurrence of a field in a message.
type field struct {
	num protowire.Number
	typ protowire.Type
	v   uint64 // varint, fixed32 and fixed64 values
	b   []byte // bytes values
}

// fields reads every field of a message. Groups are rejected, as netrpc does.
func fields(b []byte) ([]field, error) {
	var out []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			f.v, n = protowire.ConsumeFixed64(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.v = uint64(v)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			return nil, fmt.Errorf("goproto: field %d: unsupported wire type %d", num, typ)
		}
		if n < 0 {
			return nil, fmt.Errorf("goproto: field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		out = append(out, f)
	}
	return out, nil
}

// requestHeader is netrpc.v1.RequestHeader.
type requestHeader struct {
	serviceMethod string
	seq           uint64
	timeoutUs     *uint64
}

// appendCall appends a ClientFrame{call: h}.
func appendCall(b []byte, h requestHeader) []byte {
	var call []byte
	if h.serviceMethod != "" {
		call = protowire.AppendTag(call, 1, protowire.BytesType)
		call = protowire.AppendString(call, h.serviceMethod)
	}
	if h.seq != 0 {
		call = protowire.AppendTag(call, 2, protowire.VarintType)
		call = protowire.AppendVarint(call, h.seq)
	}
	if h.timeoutUs != nil {
		call = protowire.AppendTag(call, 3, protowire.VarintType)
		call = protowire.AppendVarint(call, *h.timeoutUs)
	}
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	return protowire.AppendBytes(b, call)
}

// appendCancel appends a ClientFrame{cancel: {seq}}.
func appendCancel(b []byte, seq uint64) []byte {
	var cancel []byte
	if seq != 0 {
		cancel = protowire.AppendTag(cancel, 1, protowire.VarintType)
		cancel = protowire.AppendVarint(cancel, seq)
	}
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendBytes(b, cancel)
}

// clientFrame is a decoded ClientFrame: a call, or a cancellation of cancelSeq.
type clientFrame struct {
	call      *requestHeader
	cancel    bool
	cancelSeq uint64
}

func parseClientFrame(b []byte) (clientFrame, error) {
	fs, err := fields(b)
	if err != nil {
		return clientFrame{}, err
	}
	var frame clientFrame
	for _, f := range fs {
		if f.num != 1 && f.num != 2 {
			continue // unknown: skipped
		}
		if f.typ != protowire.BytesType {
			return clientFrame{}, fmt.Errorf("goproto: ClientFrame field %d is not a message", f.num)
		}
		inner, err := fields(f.b)
		if err != nil {
			return clientFrame{}, err
		}
		if f.num == 1 { // the last of a oneof wins
			h := requestHeader{}
			for _, g := range inner {
				switch {
				case g.num == 1 && g.typ == protowire.BytesType:
					h.serviceMethod = string(g.b)
				case g.num == 2 && g.typ == protowire.VarintType:
					h.seq = g.v
				case g.num == 3 && g.typ == protowire.VarintType:
					v := g.v
					h.timeoutUs = &v
				}
			}
			frame = clientFrame{call: &h}
		} else {
			frame = clientFrame{cancel: true}
			for _, g := range inner {
				if g.num == 1 && g.typ == protowire.VarintType {
					frame.cancelSeq = g.v
				}
			}
		}
	}
	if frame.call == nil && !frame.cancel {
		return clientFrame{}, errors.New("goproto: a ClientFrame with neither call nor cancel")
	}
	return frame, nil
}

// appendResponseHeader appends a ResponseHeader; errText is written when failed is true, even
// if empty.
func appendResponseHeader(b []byte, seq uint64, failed bool, errText string) []byte {
	if seq != 0 {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, seq)
	}
	if failed {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, errText)
	}
	return b
}

func parseResponseHeader(b []byte) (seq uint64, failed bool, errText string, err error) {
	fs, err := fields(b)
	if err != nil {
		return 0, false, "", err
	}
	for _, f := range fs {
		switch {
		case f.num == 1 && f.typ == protowire.VarintType:
			seq = f.v
		case f.num == 2 && f.typ == protowire.BytesType:
			failed, errText = true, string(f.b)
		}
	}
	return seq, failed, errText, nil
}
