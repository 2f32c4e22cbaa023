package goproto

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// The body mapping: Go values as protobuf messages, the same mapping netrpc applies to serde
// types (rpc-codec's protobuf module documents it).
//
//   - A body is one message. A struct is that message, its exported fields numbered 1, 2, 3...
//     in declaration order (unexported fields take no number); any other value is field 1 of a
//     wrapper message (a string is google.protobuf.StringValue-shaped). A pointer at the top is
//     what it points to.
//   - bool, intN, uintN: varints (signed ones as two's complement, like protobuf int64);
//     float32/float64: fixed32/fixed64; string: length-delimited; []byte and [N]byte: bytes.
//   - Struct fields have implicit presence: zero scalars, empty strings and empty slices and maps
//     are not written. Embedded structs are always written.
//   - Slices and arrays are repeated fields: numbers packed into one run, strings, structs and
//     the rest one occurrence each (empty strings included).
//   - Maps are repeated entry messages {key = 1; value = 2;}, both always written.
//   - A pointer to a struct is the (nullable) embedded message. A pointer to anything else is an
//     optional field (Rust's Option): nil is absent, non-nil is written even if zero.
//   - A slice, map or non-struct pointer that is a slice element, a map value or pointed to is
//     wrapped in a message of its own as field 1 ([][]string is repeated StringList).
//
// Unmarshal follows protobuf's rules: absent fields are zero, unknown fields are skipped, the
// last occurrence of a scalar wins, repeated numbers are accepted packed or not, integers as
// varints or fixed-width.

// maxDepth bounds the nesting Unmarshal follows.
const maxDepth = 100

// Marshal encodes v as a body message.
func Marshal(v interface{}) ([]byte, error) {
	rv := reflect.ValueOf(v)
	for rv.IsValid() && (rv.Kind() == reflect.Ptr || rv.Kind() == reflect.Interface) {
		if rv.IsNil() {
			return nil, nil
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return nil, nil
	}
	if rv.Kind() == reflect.Struct {
		return appendStruct(nil, rv)
	}
	return appendField(nil, 1, rv, false)
}

func appendStruct(b []byte, v reflect.Value) ([]byte, error) {
	num := protowire.Number(0)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).PkgPath != "" {
			continue // unexported
		}
		num++
		var err error
		if b, err = appendField(b, num, v.Field(i), false); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.Name(), t.Field(i).Name, err)
		}
	}
	return b, nil
}

func isByte(t reflect.Type) bool { return t.Kind() == reflect.Uint8 }

func isNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// scalar returns a number's wire type and bits.
func scalar(v reflect.Value) (protowire.Type, uint64) {
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return protowire.VarintType, 1
		}
		return protowire.VarintType, 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return protowire.VarintType, uint64(v.Int())
	case reflect.Float32:
		return protowire.Fixed32Type, uint64(math.Float32bits(float32(v.Float())))
	case reflect.Float64:
		return protowire.Fixed64Type, math.Float64bits(v.Float())
	default: // unsigned
		return protowire.VarintType, v.Uint()
	}
}

func appendScalar(b []byte, typ protowire.Type, bits uint64) []byte {
	switch typ {
	case protowire.Fixed32Type:
		return protowire.AppendFixed32(b, uint32(bits))
	case protowire.Fixed64Type:
		return protowire.AppendFixed64(b, bits)
	default:
		return protowire.AppendVarint(b, bits)
	}
}

// appendField appends v as field num; explicit is false for implicit presence.
func appendField(b []byte, num protowire.Number, v reflect.Value, explicit bool) ([]byte, error) {
	switch k := v.Kind(); {
	case isNumber(k):
		typ, bits := scalar(v)
		if !explicit && bits == 0 {
			return b, nil
		}
		b = protowire.AppendTag(b, num, typ)
		return appendScalar(b, typ, bits), nil
	case k == reflect.String:
		if !explicit && v.Len() == 0 {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendString(b, v.String()), nil
	case k == reflect.Struct:
		msg, err := appendStruct(nil, v)
		if err != nil {
			return nil, err
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, msg), nil
	case k == reflect.Ptr && v.Type().Elem().Kind() == reflect.Struct:
		if v.IsNil() {
			return b, nil
		}
		return appendField(b, num, v.Elem(), explicit)
	case k == reflect.Interface:
		if v.IsNil() {
			return b, nil
		}
		return appendField(b, num, v.Elem(), explicit)
	case k == reflect.Slice || k == reflect.Array || k == reflect.Map || k == reflect.Ptr:
		if explicit {
			return appendWrapper(b, num, v)
		}
		switch k {
		case reflect.Map:
			return appendMap(b, num, v)
		case reflect.Ptr:
			if v.IsNil() {
				return b, nil
			}
			return appendField(b, num, v.Elem(), true)
		default:
			return appendRepeated(b, num, v)
		}
	}
	return nil, fmt.Errorf("goproto: %s has no protobuf mapping", v.Type())
}

// appendWrapper appends v as a message of its own whose field 1 is v.
func appendWrapper(b []byte, num protowire.Number, v reflect.Value) ([]byte, error) {
	msg, err := appendField(nil, 1, v, false)
	if err != nil {
		return nil, err
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg), nil
}

func appendRepeated(b []byte, num protowire.Number, v reflect.Value) ([]byte, error) {
	n := v.Len()
	if n == 0 {
		return b, nil
	}
	et := v.Type().Elem()
	if isByte(et) {
		run := make([]byte, n)
		for i := 0; i < n; i++ {
			run[i] = byte(v.Index(i).Uint())
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, run), nil
	}
	if isNumber(et.Kind()) {
		var run []byte
		for i := 0; i < n; i++ {
			typ, bits := scalar(v.Index(i))
			run = appendScalar(run, typ, bits)
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, run), nil
	}
	for i := 0; i < n; i++ {
		var err error
		if b, err = appendElement(b, num, v.Index(i)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// appendElement appends one element of a repeated field that is not a number.
func appendElement(b []byte, num protowire.Number, e reflect.Value) ([]byte, error) {
	switch e.Kind() {
	case reflect.String:
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendString(b, e.String()), nil
	case reflect.Struct:
		return appendField(b, num, e, true)
	case reflect.Ptr:
		if e.Type().Elem().Kind() == reflect.Struct {
			if e.IsNil() {
				b = protowire.AppendTag(b, num, protowire.BytesType)
				return protowire.AppendBytes(b, nil), nil
			}
			return appendField(b, num, e.Elem(), true)
		}
		return appendWrapper(b, num, e)
	case reflect.Slice, reflect.Array, reflect.Map:
		return appendWrapper(b, num, e)
	}
	return nil, fmt.Errorf("goproto: %s has no protobuf mapping as an element", e.Type())
}

func appendMap(b []byte, num protowire.Number, v reflect.Value) ([]byte, error) {
	keys := v.MapKeys()
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	for _, k := range keys {
		entry, err := appendField(nil, 1, k, true)
		if err != nil {
			return nil, err
		}
		if entry, err = appendField(entry, 2, v.MapIndex(k), true); err != nil {
			return nil, err
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendBytes(b, entry)
	}
	return b, nil
}

// Unmarshal decodes the body message b into x, a non-nil pointer.
func Unmarshal(b []byte, x interface{}) error {
	rv := reflect.ValueOf(x)
	if rv.Kind() != reflect.Ptr || rv.IsNil() {
		return fmt.Errorf("goproto: Unmarshal needs a non-nil pointer, not %T", x)
	}
	v := rv.Elem()
	for v.Kind() == reflect.Ptr {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		return decodeStruct([][]byte{b}, v, maxDepth)
	}
	fs, err := fields(b)
	if err != nil {
		return err
	}
	return decodeField(only(fs, 1), v, false, maxDepth)
}

// only returns the occurrences of field num.
func only(fs []field, num protowire.Number) []field {
	var out []field
	for _, f := range fs {
		if f.num == num {
			out = append(out, f)
		}
	}
	return out
}

// parts returns the bytes of every occurrence, which must all be length-delimited.
func parts(fs []field) ([][]byte, error) {
	out := make([][]byte, 0, len(fs))
	for _, f := range fs {
		if f.typ != protowire.BytesType {
			return nil, fmt.Errorf("goproto: field %d: expected a message", f.num)
		}
		out = append(out, f.b)
	}
	return out, nil
}

var errTooDeep = errors.New("goproto: nesting too deep")

// decodeStruct decodes the message made of ps (merged) into the struct v.
func decodeStruct(ps [][]byte, v reflect.Value, depth int) error {
	if depth == 0 {
		return errTooDeep
	}
	var fs []field
	for _, p := range ps {
		more, err := fields(p)
		if err != nil {
			return err
		}
		fs = append(fs, more...)
	}
	t := v.Type()
	num := protowire.Number(0)
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).PkgPath != "" {
			continue
		}
		num++
		if err := decodeField(only(fs, num), v.Field(i), false, depth-1); err != nil {
			return fmt.Errorf("%s.%s: %w", t.Name(), t.Field(i).Name, err)
		}
	}
	return nil
}

func last(fs []field) (field, bool) {
	if len(fs) == 0 {
		return field{}, false
	}
	return fs[len(fs)-1], true
}

// setScalar sets the number v from one occurrence (or from a packed run's value).
func setScalar(v reflect.Value, f field) error {
	switch v.Kind() {
	case reflect.Bool:
		if f.typ != protowire.VarintType {
			return fmt.Errorf("goproto: field %d: expected a varint", f.num)
		}
		v.SetBool(f.v != 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if f.typ == protowire.BytesType {
			return fmt.Errorf("goproto: field %d: expected an integer", f.num)
		}
		n := int64(f.v)
		if f.typ == protowire.Fixed32Type {
			n = int64(int32(uint32(f.v)))
		}
		if v.OverflowInt(n) {
			return fmt.Errorf("goproto: field %d: %d overflows %s", f.num, n, v.Type())
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if f.typ == protowire.BytesType {
			return fmt.Errorf("goproto: field %d: expected an integer", f.num)
		}
		if v.OverflowUint(f.v) {
			return fmt.Errorf("goproto: field %d: %d overflows %s", f.num, f.v, v.Type())
		}
		v.SetUint(f.v)
	case reflect.Float32, reflect.Float64:
		switch f.typ {
		case protowire.Fixed64Type:
			v.SetFloat(math.Float64frombits(f.v))
		case protowire.Fixed32Type:
			v.SetFloat(float64(math.Float32frombits(uint32(f.v))))
		default:
			return fmt.Errorf("goproto: field %d: expected a float", f.num)
		}
	}
	return nil
}

// decodeField decodes the occurrences fs of one field into v (zero when there are none).
func decodeField(fs []field, v reflect.Value, explicit bool, depth int) error {
	if depth == 0 {
		return errTooDeep
	}
	v.Set(reflect.Zero(v.Type()))
	switch k := v.Kind(); {
	case isNumber(k):
		if f, ok := last(fs); ok {
			return setScalar(v, f)
		}
		return nil
	case k == reflect.String:
		f, ok := last(fs)
		if !ok {
			return nil
		}
		if f.typ != protowire.BytesType {
			return fmt.Errorf("goproto: field %d: expected a string", f.num)
		}
		if !utf8.Valid(f.b) {
			return fmt.Errorf("goproto: field %d: a string is not UTF-8", f.num)
		}
		v.SetString(string(f.b))
		return nil
	case k == reflect.Struct:
		ps, err := parts(fs)
		if err != nil {
			return err
		}
		return decodeStruct(ps, v, depth)
	case k == reflect.Ptr && v.Type().Elem().Kind() == reflect.Struct:
		if len(fs) == 0 {
			return nil
		}
		ps, err := parts(fs)
		if err != nil {
			return err
		}
		v.Set(reflect.New(v.Type().Elem()))
		return decodeStruct(ps, v.Elem(), depth)
	case k == reflect.Slice || k == reflect.Array || k == reflect.Map || k == reflect.Ptr:
		if explicit {
			return decodeWrapper(fs, v, depth)
		}
		switch k {
		case reflect.Map:
			return decodeMap(fs, v, depth)
		case reflect.Ptr:
			if len(fs) == 0 {
				return nil
			}
			v.Set(reflect.New(v.Type().Elem()))
			return decodeField(fs, v.Elem(), true, depth-1)
		default:
			return decodeRepeated(fs, v, depth)
		}
	}
	return fmt.Errorf("goproto: %s has no protobuf mapping", v.Type())
}

// decodeWrapper decodes a message whose field 1 is v.
func decodeWrapper(fs []field, v reflect.Value, depth int) error {
	ps, err := parts(fs)
	if err != nil {
		return err
	}
	var inner []field
	for _, p := range ps {
		more, err := fields(p)
		if err != nil {
			return err
		}
		inner = append(inner, only(more, 1)...)
	}
	return decodeField(inner, v, false, depth-1)
}

func decodeRepeated(fs []field, v reflect.Value, depth int) error {
	et := v.Type().Elem()
	var elems []reflect.Value
	add := func() reflect.Value {
		e := reflect.New(et).Elem()
		elems = append(elems, e)
		return e
	}
	if isNumber(et.Kind()) {
		for _, f := range fs {
			if f.typ != protowire.BytesType {
				if err := setScalar(add(), f); err != nil {
					return err
				}
				continue
			}
			run := f.b
			for len(run) > 0 {
				g := field{num: f.num}
				n := 0
				switch {
				case isByte(et):
					g.typ, g.v, n = protowire.VarintType, uint64(run[0]), 1
				case et.Kind() == reflect.Float64:
					g.typ = protowire.Fixed64Type
					g.v, n = protowire.ConsumeFixed64(run)
				case et.Kind() == reflect.Float32:
					g.typ = protowire.Fixed32Type
					var u uint32
					u, n = protowire.ConsumeFixed32(run)
					g.v = uint64(u)
				default:
					g.typ = protowire.VarintType
					g.v, n = protowire.ConsumeVarint(run)
				}
				if n < 0 {
					return fmt.Errorf("goproto: field %d: packed run: %w", f.num, protowire.ParseError(n))
				}
				run = run[n:]
				if err := setScalar(add(), g); err != nil {
					return err
				}
			}
		}
	} else {
		for _, f := range fs {
			if f.typ != protowire.BytesType {
				return fmt.Errorf("goproto: field %d: expected a length-delimited element", f.num)
			}
			if err := decodeElement(f, add(), depth-1); err != nil {
				return err
			}
		}
	}
	if v.Kind() == reflect.Array {
		if len(elems) > v.Len() {
			return fmt.Errorf("goproto: %d elements for %s", len(elems), v.Type())
		}
		for i, e := range elems {
			v.Index(i).Set(e)
		}
		return nil
	}
	s := reflect.MakeSlice(v.Type(), 0, len(elems))
	for _, e := range elems {
		s = reflect.Append(s, e)
	}
	v.Set(s)
	return nil
}

// decodeElement decodes one length-delimited element of a repeated field.
func decodeElement(f field, e reflect.Value, depth int) error {
	if depth == 0 {
		return errTooDeep
	}
	switch e.Kind() {
	case reflect.String:
		return decodeField([]field{f}, e, true, depth)
	case reflect.Struct:
		return decodeStruct([][]byte{f.b}, e, depth)
	case reflect.Ptr:
		if e.Type().Elem().Kind() == reflect.Struct {
			e.Set(reflect.New(e.Type().Elem()))
			return decodeStruct([][]byte{f.b}, e.Elem(), depth)
		}
		return decodeWrapper([]field{f}, e, depth)
	case reflect.Slice, reflect.Array, reflect.Map:
		return decodeWrapper([]field{f}, e, depth)
	}
	return fmt.Errorf("goproto: %s has no protobuf mapping as an element", e.Type())
}

func decodeMap(fs []field, v reflect.Value, depth int) error {
	m := reflect.MakeMapWithSize(v.Type(), len(fs))
	for _, f := range fs {
		if f.typ != protowire.BytesType {
			return fmt.Errorf("goproto: field %d: expected a map entry", f.num)
		}
		entry, err := fields(f.b)
		if err != nil {
			return err
		}
		key := reflect.New(v.Type().Key()).Elem()
		if err := decodeField(only(entry, 1), key, true, depth-1); err != nil {
			return err
		}
		val := reflect.New(v.Type().Elem()).Elem()
		if err := decodeField(only(entry, 2), val, true, depth-1); err != nil {
			return err
		}
		m.SetMapIndex(key, val)
	}
	v.Set(m)
	return nil
}
