//go:build ignore

// gen.go prints the byte and text vectors that rpc-gotypes' unit tests compare against:
// Go's own MarshalBinary/GobEncode, MarshalJSON/MarshalText and their decoders' results and
// error texts. Run it with `go run gen.go` (any recent Go) and paste what changed into the
// tests; it is not built with the crate.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"time"
)

func showTime(name string, t time.Time) {
	bin, err := t.MarshalBinary()
	js, jerr := t.MarshalJSON()
	_, off := t.Zone()
	fmt.Printf("time %s: unix=%d nanos=%d utc=%v offset=%d bin=%s binerr=%v json=%s jsonerr=%v fmt=%s\n",
		name, t.Unix(), t.Nanosecond(), t.Location() == time.UTC, off, hex.EncodeToString(bin), err, js, jerr, t.Format(time.RFC3339Nano))
	if err == nil {
		var back time.Time
		if err := back.UnmarshalBinary(bin); err != nil {
			fmt.Printf("  back error %v\n", err)
		} else {
			_, boff := back.Zone()
			fmt.Printf("  back: unix=%d nanos=%d offset=%d\n", back.Unix(), back.Nanosecond(), boff)
		}
	}
}

func parseTime(s string) {
	var t time.Time
	err := t.UnmarshalText([]byte(s))
	_, off := t.Zone()
	fmt.Printf("parse %q: unix=%d nanos=%d utc=%v offset=%d err=%v\n", s, t.Unix(), t.Nanosecond(), t.Location() == time.UTC, off, err)
}

func main() {
	time.Local = time.UTC
	showTime("zero", time.Time{})
	showTime("utc-nanos", time.Date(2024, 3, 15, 12, 30, 45, 123456789, time.UTC))
	showTime("+05:30", time.Date(2024, 3, 15, 18, 0, 45, 500000000, time.FixedZone("IST", 19800)))
	showTime("-07:00", time.Date(2006, 1, 2, 15, 4, 5, 0, time.FixedZone("MST", -25200)))
	showTime("+01:00:07", time.Date(2020, 6, 1, 0, 0, 0, 0, time.FixedZone("x", 3600+7)))
	showTime("-01:00:07", time.Date(2020, 6, 1, 0, 0, 0, 0, time.FixedZone("y", -3600-7)))
	showTime("fixed-zero", time.Date(2020, 6, 1, 0, 0, 0, 0, time.FixedZone("z", 0)))
	showTime("year1", time.Date(1, 2, 3, 4, 5, 6, 7, time.UTC))
	showTime("year9999", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC))
	showTime("year10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	showTime("year-1", time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC))
	showTime("neg-unix", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC))
	showTime("1950-nanos", time.Date(1950, 6, 1, 8, 0, 0, 250000000, time.FixedZone("", -3*3600)))
	showTime("offset-25h", time.Date(2020, 6, 1, 0, 0, 0, 0, time.FixedZone("", 25*3600)))
	showTime("offset-minus-1min", time.Date(2020, 6, 1, 0, 0, 0, 0, time.FixedZone("", -60)))
	for _, s := range []string{
		"2006-01-02T15:04:05Z", "2006-01-02T15:04:05.1234567891+01:00", "2006-01-02T15:04:05.5-00:30",
		"2006-01-02T5:04:05Z", "2006-01-02T15:04:05,25Z", "2006-01-02T15:04:05+24:00", "2006-01-02T15:04:05+00:00",
		"0000-01-01T00:00:00Z", "-001-01-01T00:00:00Z", "2000-02-29T00:00:00Z",
		"2006-13-01T00:00:00Z", "2001-02-29T00:00:00Z", "x", "", "2006-01-02T15:04:05", "2006-01-02t15:04:05Z",
		"2006-01-02T15:04:05Zjunk", "2006-01-02T24:00:00Z", "2006-01-02T15:04:05+25:00", "2006-01-02T15:04:60Z",
		"2006-01-02T15:04:05.Z", "2006-01-02 15:04:05Z", "2006-1-02T15:04:05Z", "2006-01-02T15:04:05+0100",
	} {
		parseTime(s)
	}
	for _, b := range []string{"", "03", "01", "010000000000000000000000fffe", "0200000000000000000000000000000000"} {
		bs, _ := hex.DecodeString(b)
		var t time.Time
		fmt.Printf("timebin %q: err=%v\n", b, t.UnmarshalBinary(bs))
	}

	for _, d := range []time.Duration{0, 1, 999, 1000, 1500, 1000000, 1500000, time.Second, 3723500 * time.Millisecond, -90 * time.Minute, math.MaxInt64, math.MinInt64, 100 * time.Hour} {
		fmt.Printf("duration %d: %s\n", int64(d), d)
	}
	for _, s := range []string{"0", "-0", "+0", "1h2m3.5s", "1.5µs", "1.5μs", "1.5us", "300ms", "-1.5h", ".5s", "1.s", "2h45m", "9223372036854775807ns", "9223372036854775808ns", "-9223372036854775808ns", "2562047h47m16.854775807s", "2562047h47m16.854775808s",
		"", "1", "1x", ".s", "s", "1h-2m", "1e3s", "0.0000000001s", "1.0000000009s", "1.00000000000000000000000001h"} {
		d, err := time.ParseDuration(s)
		fmt.Printf("parseduration %q: %d err=%v\n", s, int64(d), err)
	}

	two100 := new(big.Int).Lsh(big.NewInt(1), 100)
	two200 := new(big.Int).Lsh(big.NewInt(1), 200)
	negbig, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	ints := []*big.Int{nil, new(big.Int), big.NewInt(1), big.NewInt(-1), big.NewInt(255), big.NewInt(256), two100, negbig, two200}
	for _, x := range ints {
		g, _ := x.GobEncode()
		j, _ := json.Marshal(x)
		fmt.Printf("int %s: gob=%s json=%s\n", x, hex.EncodeToString(g), j)
	}
	for _, s := range []string{"0x10", "1_000", "010", "-0b101", "0o17", "+7", "1e3", "\"12\"", "", "-", "0x", "1__0", "_1", "1_", "0_7", "08", "0X_f"} {
		z := new(big.Int)
		err := z.UnmarshalText([]byte(s))
		_, ok := new(big.Int).SetString(s, 10)
		fmt.Printf("intparse %q: %s err=%v base10ok=%v\n", s, z, err, ok)
	}
	for _, b := range []string{"04", "03", "02", "0300"} {
		bs, _ := hex.DecodeString(b)
		z := new(big.Int)
		err := z.GobDecode(bs)
		fmt.Printf("intgob %q: %s err=%v\n", b, z, err)
	}

	third := new(big.Float).SetPrec(200).Quo(big.NewFloat(1), big.NewFloat(3))
	p24 := new(big.Float).SetPrec(24).SetFloat64(0.1)
	floats := []*big.Float{nil, new(big.Float), big.NewFloat(1.5), big.NewFloat(-0.1), big.NewFloat(0), big.NewFloat(math.Copysign(0, -1)),
		big.NewFloat(math.Inf(1)), big.NewFloat(math.Inf(-1)), third, p24, big.NewFloat(1e6), big.NewFloat(123456), big.NewFloat(123.456),
		big.NewFloat(1e-7), big.NewFloat(1e-4), new(big.Float).SetInt(two100), big.NewFloat(5e-324), big.NewFloat(math.MaxFloat64), big.NewFloat(1e21), big.NewFloat(100)}
	for _, x := range floats {
		g, _ := x.GobEncode()
		t, _ := x.MarshalText()
		var f float64
		var acc big.Accuracy
		p := "<nil>"
		if x != nil {
			f, acc = x.Float64()
			p = x.Text('p', 0)
		}
		fmt.Printf("float %s: gob=%s text=%s f64=%v acc=%v\n", p, hex.EncodeToString(g), t, f, acc)
	}
	for _, s := range []string{"1.5", "0x.8p+1", "1e10", "-Inf", "+Inf", "inf", "0.1", "-0", "1/3", "abc", "1e-400", "123456789012345678901234567890", "0x1p-3", "1_000.5", "0b1.1",
		"18446744073709551617", "18446744073709551618", "-18446744073709551619", "2.2250738585072014e-308", "0x1p+1000000", "-0x1p-1000000", "1e-1000001", "", "1e99999999999", "0x1p9999999999"} {
		z := new(big.Float)
		err := z.UnmarshalText([]byte(s))
		g, _ := z.GobEncode()
		fmt.Printf("floatparse %q: %s gob=%s acc=%v err=%v\n", s, z.Text('g', -1), hex.EncodeToString(g), z.Acc(), err)
	}
	for _, b := range []string{"01", "0100000000", "020a00000035", "010a00000035", "010a0000003500000001", "010a000000350000000140", "010a00000000000000018000000000000000", "01020000003500000001"} {
		bs, _ := hex.DecodeString(b)
		z := new(big.Float)
		err := z.GobDecode(bs)
		fmt.Printf("floatgob %q: err=%v\n", b, err)
	}

	bigrat := new(big.Rat).SetFrac(two100, big.NewInt(3))
	rats := []*big.Rat{nil, new(big.Rat), big.NewRat(0, 1), big.NewRat(1, 3), big.NewRat(-22, 7), big.NewRat(5, 1), bigrat, big.NewRat(-4, 2)}
	for _, x := range rats {
		g, _ := x.GobEncode()
		var t []byte
		if x != nil {
			t, _ = x.MarshalText()
		}
		fmt.Printf("rat %v: gob=%s text=%s\n", x, hex.EncodeToString(g), t)
	}
	for _, s := range []string{"1/3", "-0x10/4", "1.25", "1e-3", "3", "1/0", "", "2/-3", "-.5", "0.1e1", "1_0/2", "3/", "/3", "1/3/4", "0x1.8p1", "010/3", "1E2"} {
		z := new(big.Rat)
		err := z.UnmarshalText([]byte(s))
		fmt.Printf("ratparse %q: %s err=%v\n", s, z.RatString(), err)
	}
	for _, b := range []string{"02", "0400000000", "02000000", "02ffffffff", "0200000002ab", "0300000001030a", "0200000001"} {
		bs, _ := hex.DecodeString(b)
		z := new(big.Rat)
		err := z.GobDecode(bs)
		fmt.Printf("ratgob %q: %s err=%v\n", b, z.RatString(), err)
	}

	s := string([]byte{'a', 0xff, 0xe2, 0x82, 'b', 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0x80, 0xc0, 0xaf})
	j, _ := json.Marshal(s)
	fmt.Printf("string json=%s\n", j)
}
