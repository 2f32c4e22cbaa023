//! Hostile input never panics: random bytes through every decoder and random text through
//! every parser (deterministic and bounded).

use rpc_gotypes::{BigFloat, BigInt, BigRat, ByteString, Duration, Marshaled, Time};

/// A small deterministic generator (64-bit LCG, high bits).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn random_bytes_through_every_decoder() {
    let mut rng = Rng(1);
    for _ in 0..5000 {
        let len = rng.below(40) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Often start like the real formats, to get past the first checks.
        if let Some(first) = bytes.first_mut() {
            *first = [0, 1, 2, 3, *first][rng.below(5) as usize];
        }
        let _ = Time::gob_decode(&bytes);
        let _ = BigInt::gob_decode(&bytes);
        let _ = BigRat::gob_decode(&bytes);
        if let Ok(x) = BigFloat::gob_decode(&bytes) {
            let _ = x.to_string();
            let _ = x.to_f64();
            assert_eq!(x.gob_encode(), bytes.as_slice());
        }
        let _ = postcard::from_bytes::<Time>(&bytes);
        let _ = postcard::from_bytes::<BigInt>(&bytes);
        let _ = postcard::from_bytes::<BigFloat>(&bytes);
        let _ = postcard::from_bytes::<BigRat>(&bytes);
        let _ = postcard::from_bytes::<Marshaled>(&bytes);
        let _ = postcard::from_bytes::<ByteString>(&bytes);
        let _ = postcard::from_bytes::<Duration>(&bytes);
    }
}

#[test]
fn random_text_through_every_parser() {
    const ALPHABET: &[&str] = &[
        "0",
        "1",
        "2",
        "5",
        "9",
        "+",
        "-",
        ".",
        ",",
        "_",
        "/",
        "e",
        "E",
        "p",
        "x",
        "b",
        "o",
        "T",
        "Z",
        ":",
        "h",
        "m",
        "s",
        "µ",
        "Inf",
        "\"",
        "\u{fffd}",
        "\\",
        " ",
        "2006-01-02",
        "T15:04:05",
        "+05:30",
    ];
    let mut rng = Rng(7);
    for _ in 0..5000 {
        let parts = rng.below(8);
        let text: String = (0..parts)
            .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize])
            .collect();
        if let Ok(t) = text.parse::<Time>() {
            let _ = t.to_string();
            let _ = t.gob_encode();
        }
        if let Ok(d) = text.parse::<Duration>() {
            assert_eq!(d.to_string().parse::<Duration>(), Ok(d));
        }
        let _ = text.parse::<BigInt>();
        let _ = BigInt::from_go_text(&text);
        if let Ok(x) = text.parse::<BigFloat>() {
            let _ = x.to_string();
        }
        if let Ok(r) = text.parse::<BigRat>() {
            assert_eq!(r.to_string().parse::<BigRat>(), Ok(r));
        }
        let json = serde_json::to_string(&text).unwrap();
        let _ = serde_json::from_str::<Time>(&json);
        let _ = serde_json::from_str::<BigInt>(&json);
        let _ = serde_json::from_str::<BigFloat>(&json);
        let _ = serde_json::from_str::<BigRat>(&json);
        let _ = serde_json::from_str::<BigInt>(&text);
        let _ = serde_json::from_str::<Marshaled>(&text);
    }
}
