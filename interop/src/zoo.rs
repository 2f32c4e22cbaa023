//! The type zoo: the Rust twins of `go/cmd/zoo`'s types, the canonical value both sides know, a
//! netrpc [`ZooService`] answering as Go's does, and [`check_zoo_service`], the calls Go's `zoo
//! -connect` makes, for netrpc's client ([`check_empty_containers`] is `zoo -cases empty`).
//!
//! Go's `ZooService` (and this one) has methods of several kinds, so that a bug cannot hide by
//! cancelling itself out on the way there and back:
//!
//! - `Canonical(struct{}) Zoo` returns [`Zoo::canonical`]: the caller checks what it decoded;
//! - `Verify(Zoo) string` answers `"ok"` when the argument equals the canonical zoo, and an
//!   error naming the first difference otherwise: the server checks what it decoded;
//! - `EchoX(X) X` returns its argument, for each type X of the zoo.
//!
//! `CanonicalGo`, `VerifyGo` and `EchoGo` are the same for [`GoZoo`]: `time.Time`,
//! `*big.Int`, `*url.URL` and the other marshaler types, interface values, a non-UTF-8 string.
//!
//! (Go's also has `Extras(struct{}) InnerPlus`, an [`Inner`] with extra fields of kinds Rust has
//! no type for, such as an `interface{}` holding an `int`; this one does not.)
//!
//! Values are compared by their `{:#?}` text ([`difference`]): Rust prints every float so that
//! it reads back exactly, and every NaN as `NaN`, so equal text is equal values with NaN equal
//! to NaN. Maps are `BTreeMap`s so their text is ordered.
//!
//! Field names are Go's: `#[serde(rename_all = "PascalCase")]`, and `NaN` by hand.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt::Debug;
use std::time::Duration;

use netrpc::go::{
    BigFloat, BigInt, BigRat, ByteString, Duration as GoDuration, Marshaled, MarshalerKind, Time,
};
use netrpc::{Client, Empty, service};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Go's `Inner`: a plain nested struct.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Inner {
    /// `Name string`
    pub name: String,
    /// `Tags []string`
    pub tags: Vec<String>,
    /// `Score float64`
    pub score: f64,
}

/// Go's `Node`: a linked list, recursive through a pointer.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Node {
    /// `Value string`
    pub value: String,
    /// `Next *Node`
    pub next: Option<Box<Node>>,
}

/// Go's `Tree`: recursive through a slice.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tree {
    /// `Value int`
    pub value: i64,
    /// `Children []Tree`
    pub children: Vec<Tree>,
}

/// Go's `Zoo`: one field of each kind gob carries (the Go type in each field's doc).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Zoo {
    /// `bool`
    pub bool: bool,
    /// `int`
    pub int: i64,
    /// `int8`
    pub int8: i8,
    /// `int16`
    pub int16: i16,
    /// `int32`
    pub int32: i32,
    /// `int64`
    pub int64_min: i64,
    /// `int64`
    pub int64_max: i64,
    /// `uint`
    pub uint: u64,
    /// `uint8`
    pub uint8: u8,
    /// `uint16`
    pub uint16: u16,
    /// `uint32`
    pub uint32: u32,
    /// `uint64`
    pub uint64_max: u64,
    /// `rune`
    pub rune: char,
    /// `float32`
    pub float32: f32,
    /// `float64`
    pub float64: f64,
    /// `float64`
    #[serde(rename = "NaN")]
    pub nan: f64,
    /// `float64`
    pub pos_inf: f64,
    /// `float64`
    pub neg_inf: f64,
    /// `float64`
    pub tiny: f64,
    /// `string`
    pub text: String,
    /// `[]byte`
    pub bytes: Vec<u8>,
    /// `[4]byte`
    pub byte_array: [u8; 4],
    /// `[]int64`
    pub ints: Vec<i64>,
    /// `[]string`
    pub strings: Vec<String>,
    /// `[]float64`
    pub floats: Vec<f64>,
    /// `[3]int32`
    pub array: [i32; 3],
    /// `[2][3]float64`
    pub matrix: [[f64; 3]; 2],
    /// `[][]int`
    pub grid: Vec<Vec<i64>>,
    /// `map[string]int`
    pub map: BTreeMap<String, i64>,
    /// `map[int64]string`
    pub int_keys: BTreeMap<i64, String>,
    /// `map[string]map[string]int`
    pub nested_map: BTreeMap<String, BTreeMap<String, i64>>,
    /// `map[string][]Inner`
    pub groups: BTreeMap<String, Vec<Inner>>,
    /// `Inner`
    pub inner: Inner,
    /// `Inner` (all zero)
    pub zero_inner: Inner,
    /// `[]Inner`
    pub inners: Vec<Inner>,
    /// `*Inner`
    pub ptr: Option<Inner>,
    /// `*Inner` (nil)
    pub nil_ptr: Option<Inner>,
    /// `*int`
    pub int_ptr: Option<i64>,
    /// `struct{}`
    pub unit: Empty,
    /// `*Node`
    pub list: Option<Box<Node>>,
    /// `Tree`
    pub tree: Tree,
}

/// Go's `Point`, registered for interface values as `main.Point`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Point {
    /// `X int`
    pub x: i64,
    /// `Y int`
    pub y: i64,
}

/// The concrete types `GoZoo`'s interface values hold, by the names Go's `gob.Register` gives
/// them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Any {
    /// `main.Point`
    #[serde(rename = "main.Point")]
    Point(Point),
    /// `int`
    #[serde(rename = "int")]
    Int(i64),
    /// `string`
    #[serde(rename = "string")]
    String(String),
    /// `[]string`
    #[serde(rename = "[]string")]
    Strings(Vec<String>),
}

/// Go's `GoZoo`: the standard library's types that gob sends by their marshalers, interface
/// values of registered types, and a string that is not UTF-8.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GoZoo {
    /// `time.Time` with a zone offset
    pub when: Time,
    /// `time.Time` in UTC
    #[serde(rename = "UTC")]
    pub utc: Time,
    /// `time.Time` before 1970
    pub before1970: Time,
    /// `time.Duration`
    pub wait: GoDuration,
    /// `*big.Int` beyond 64 bits
    pub big: Option<BigInt>,
    /// `*big.Int`, negative
    pub neg_big: Option<BigInt>,
    /// `*big.Rat`
    pub ratio: Option<BigRat>,
    /// `*big.Float`
    pub float: Option<BigFloat>,
    /// `*url.URL`: no Rust type here, so its marshaled bytes
    pub link: Option<Marshaled>,
    /// `interface{}` holding a `main.Point`
    pub shape: Option<Any>,
    /// `interface{}` holding an `int`
    pub count: Option<Any>,
    /// `[]interface{}`, a nil one last
    pub mixed: Vec<Option<Any>>,
    /// `map[string]interface{}`
    pub named: BTreeMap<String, Any>,
    /// `string`, not UTF-8
    pub raw: ByteString,
    /// `[]byte`
    pub blob: Vec<u8>,
}

impl GoZoo {
    /// The value both sides know (Go's `canonicalGoZoo()`).
    pub fn canonical() -> GoZoo {
        let time = |text: &str| text.parse::<Time>().expect("a valid time");
        GoZoo {
            when: time("2024-03-15T12:30:45.5+01:00"),
            utc: Time::from_unix(1_000_000_000, 1).expect("a valid time"),
            before1970: time("1969-07-20T20:17:40-05:00"),
            wait: GoDuration::from_nanos(90_000_000_000),
            big: Some(BigInt::from(1u128 << 100)),
            neg_big: Some(BigInt::from(-((1i128 << 70) + 1))),
            ratio: Some("-1/3".parse().expect("a valid rational")),
            float: Some(BigFloat::from_f64(1.5).expect("a finite float")),
            link: Some(Marshaled::new(
                MarshalerKind::BinaryMarshaler,
                "",
                "https://go.dev/doc?x=1#frag",
            )),
            shape: Some(Any::Point(Point { x: 3, y: 4 })),
            count: Some(Any::Int(7)),
            mixed: vec![
                Some(Any::Int(1)),
                Some(Any::String("two".into())),
                Some(Any::Point(Point { x: 5, y: 6 })),
                Some(Any::Strings(vec!["a".into()])),
                None,
            ],
            named: map([
                ("p".into(), Any::Point(Point { x: 1, y: 2 })),
                ("s".into(), Any::String("str".into())),
            ]),
            raw: ByteString::from(b"a\xff\xfeb".to_vec()),
            blob: vec![0, 1, 255],
        }
    }
}

/// A map from `(key, value)` pairs.
fn map<K: Ord, V>(entries: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    entries.into_iter().collect()
}

fn inner(name: &str, tags: &[&str], score: f64) -> Inner {
    Inner {
        name: name.into(),
        tags: tags.iter().map(|&t| t.into()).collect(),
        score,
    }
}

impl Zoo {
    /// The value both sides know (Go's `canonicalZoo()`).
    pub fn canonical() -> Zoo {
        Zoo {
            bool: true,
            int: -42,
            int8: i8::MIN,
            int16: i16::MAX,
            int32: i32::MIN,
            int64_min: i64::MIN,
            int64_max: i64::MAX,
            uint: 42,
            uint8: u8::MAX,
            uint16: u16::MAX,
            uint32: u32::MAX,
            uint64_max: u64::MAX,
            rune: '🦀',
            float32: -1.234_567_9e-20,
            float64: 6.022_140_76e23,
            nan: f64::NAN,
            pos_inf: f64::INFINITY,
            neg_inf: f64::NEG_INFINITY,
            tiny: f64::from_bits(1), // Go's math.SmallestNonzeroFloat64
            text: "héllo, 世界 🦀 \u{0}\n\"\\ \u{2028}\u{feff}".into(),
            bytes: vec![0, 1, 2, 127, 128, 255],
            byte_array: [0xde, 0xad, 0xbe, 0xef],
            ints: vec![i64::MIN, -1, 0, 1, i64::MAX],
            strings: vec!["".into(), "a".into(), "ключ".into(), "🦀".into()],
            floats: vec![
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                0.0,
                -0.5,
                f64::MAX,
            ],
            array: [i32::MIN, 0, i32::MAX],
            matrix: [
                [1.0, 2.0, 3.0],
                [f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
            ],
            grid: vec![vec![1], vec![], vec![2, 3]],
            map: map([
                ("a".into(), 1),
                ("zero".into(), 0),
                ("neg".into(), -1),
                ("ключ".into(), i64::MAX),
            ]),
            int_keys: map([
                (i64::MIN, "min".into()),
                (0, "".into()),
                (i64::MAX, "max".into()),
            ]),
            nested_map: map([
                ("outer".into(), map([("inner".into(), 1)])),
                ("empty".into(), BTreeMap::new()),
            ]),
            groups: map([(
                "g".into(),
                vec![inner("x", &[], 0.0), inner("y", &["t"], 0.0)],
            )]),
            inner: inner("inner", &["a", "b"], 0.25),
            zero_inner: Inner::default(),
            inners: vec![inner("first", &[], f64::INFINITY), Inner::default()],
            ptr: Some(inner("pointed", &[], -1.0)),
            nil_ptr: None,
            int_ptr: Some(42),
            unit: Empty {},
            list: Some(Box::new(Node {
                value: "1".into(),
                next: Some(Box::new(Node {
                    value: "2".into(),
                    next: Some(Box::new(Node {
                        value: "3".into(),
                        next: None,
                    })),
                })),
            })),
            tree: Tree {
                value: 1,
                children: vec![
                    Tree {
                        value: 2,
                        children: vec![],
                    },
                    Tree {
                        value: 3,
                        children: vec![Tree {
                            value: 4,
                            children: vec![],
                        }],
                    },
                ],
            },
        }
    }
}

/// `None` when `got` and `want` print alike with `{:#?}` (so are equal, NaN equal to NaN);
/// otherwise the first line that differs, with its number.
pub fn difference<T: Debug + ?Sized>(got: &T, want: &T) -> Option<String> {
    let (got, want) = (format!("{got:#?}"), format!("{want:#?}"));
    if got == want {
        return None;
    }
    let mut got_lines = got.lines();
    let mut want_lines = want.lines();
    for line in 1.. {
        match (got_lines.next(), want_lines.next()) {
            (Some(g), Some(w)) if g == w => continue,
            (g, w) => {
                let cut = |s: Option<&str>| match s {
                    None => "(end)".to_owned(),
                    Some(s) if s.len() > 200 => {
                        let end = (0..=200)
                            .rev()
                            .find(|&i| s.is_char_boundary(i))
                            .unwrap_or(0);
                        format!("{}... ({} bytes)", &s[..end], s.len())
                    }
                    Some(s) => s.trim().to_owned(),
                };
                return Some(format!("line {line}: got {}, want {}", cut(g), cut(w)));
            }
        }
    }
    unreachable!("two different texts differ on some line")
}

/// netrpc's `ZooService`, answering as Go's `zoo -listen` does.
#[derive(Clone, Copy, Debug, Default)]
pub struct ZooService;

service! {
    impl ZooService {
        #[rpc("Canonical")]
        /// [`Zoo::canonical`].
        pub async fn canonical(&self, _arg: Empty) -> Result<Zoo, Infallible> {
            Ok(Zoo::canonical())
        }

        #[rpc("Verify")]
        /// `"ok"` when `zoo` is the canonical zoo, an error naming the first difference
        /// otherwise.
        pub async fn verify(&self, zoo: Zoo) -> Result<String, String> {
            match difference(&zoo, &Zoo::canonical()) {
                None => Ok("ok".into()),
                Some(difference) => Err(format!("zoo differs: {difference}")),
            }
        }

        #[rpc("CanonicalGo")]
        /// [`GoZoo::canonical`].
        pub async fn canonical_go(&self, _arg: Empty) -> Result<GoZoo, Infallible> {
            Ok(GoZoo::canonical())
        }

        #[rpc("VerifyGo")]
        /// `"ok"` when `zoo` is the canonical [`GoZoo`], an error naming the first difference
        /// otherwise.
        pub async fn verify_go(&self, zoo: GoZoo) -> Result<String, String> {
            match difference(&zoo, &GoZoo::canonical()) {
                None => Ok("ok".into()),
                Some(difference) => Err(format!("zoo differs: {difference}")),
            }
        }

        #[rpc("EchoGo")]
        /// Returns its argument.
        pub async fn echo_go(&self, v: GoZoo) -> Result<GoZoo, Infallible> { Ok(v) }

        #[rpc("EchoZoo")]
        /// Returns its argument.
        pub async fn echo_zoo(&self, v: Zoo) -> Result<Zoo, Infallible> { Ok(v) }
        #[rpc("EchoBool")]
        /// Returns its argument.
        pub async fn echo_bool(&self, v: bool) -> Result<bool, Infallible> { Ok(v) }
        #[rpc("EchoInt")]
        /// Returns its argument.
        pub async fn echo_int(&self, v: i64) -> Result<i64, Infallible> { Ok(v) }
        #[rpc("EchoInt8")]
        /// Returns its argument.
        pub async fn echo_int8(&self, v: i8) -> Result<i8, Infallible> { Ok(v) }
        #[rpc("EchoInt64")]
        /// Returns its argument.
        pub async fn echo_int64(&self, v: i64) -> Result<i64, Infallible> { Ok(v) }
        #[rpc("EchoUint8")]
        /// Returns its argument.
        pub async fn echo_uint8(&self, v: u8) -> Result<u8, Infallible> { Ok(v) }
        #[rpc("EchoUint64")]
        /// Returns its argument.
        pub async fn echo_uint64(&self, v: u64) -> Result<u64, Infallible> { Ok(v) }
        #[rpc("EchoRune")]
        /// Returns its argument.
        pub async fn echo_rune(&self, v: char) -> Result<char, Infallible> { Ok(v) }
        #[rpc("EchoFloat32")]
        /// Returns its argument.
        pub async fn echo_float32(&self, v: f32) -> Result<f32, Infallible> { Ok(v) }
        #[rpc("EchoFloat64")]
        /// Returns its argument.
        pub async fn echo_float64(&self, v: f64) -> Result<f64, Infallible> { Ok(v) }
        #[rpc("EchoString")]
        /// Returns its argument.
        pub async fn echo_string(&self, v: String) -> Result<String, Infallible> { Ok(v) }
        #[rpc("EchoBytes")]
        /// Returns its argument.
        pub async fn echo_bytes(&self, v: Vec<u8>) -> Result<Vec<u8>, Infallible> { Ok(v) }
        #[rpc("EchoInts")]
        /// Returns its argument.
        pub async fn echo_ints(&self, v: Vec<i64>) -> Result<Vec<i64>, Infallible> { Ok(v) }
        #[rpc("EchoFloats")]
        /// Returns its argument.
        pub async fn echo_floats(&self, v: Vec<f64>) -> Result<Vec<f64>, Infallible> { Ok(v) }
        #[rpc("EchoArray")]
        /// Returns its argument.
        pub async fn echo_array(&self, v: [i32; 3]) -> Result<[i32; 3], Infallible> { Ok(v) }
        #[rpc("EchoByteArray")]
        /// Returns its argument.
        pub async fn echo_byte_array(&self, v: [u8; 4]) -> Result<[u8; 4], Infallible> { Ok(v) }
        #[rpc("EchoMap")]
        /// Returns its argument.
        pub async fn echo_map(&self, v: BTreeMap<String, i64>) -> Result<BTreeMap<String, i64>, Infallible> { Ok(v) }
        #[rpc("EchoIntKeys")]
        /// Returns its argument.
        pub async fn echo_int_keys(&self, v: BTreeMap<i64, String>) -> Result<BTreeMap<i64, String>, Infallible> { Ok(v) }
        #[rpc("EchoGroups")]
        /// Returns its argument.
        pub async fn echo_groups(&self, v: BTreeMap<String, Vec<Inner>>) -> Result<BTreeMap<String, Vec<Inner>>, Infallible> { Ok(v) }
        #[rpc("EchoMatrix")]
        /// Returns its argument.
        pub async fn echo_matrix(&self, v: [[f64; 3]; 2]) -> Result<[[f64; 3]; 2], Infallible> { Ok(v) }
        #[rpc("EchoInner")]
        /// Returns its argument.
        pub async fn echo_inner(&self, v: Inner) -> Result<Inner, Infallible> { Ok(v) }
        #[rpc("EchoInners")]
        /// Returns its argument.
        pub async fn echo_inners(&self, v: Vec<Inner>) -> Result<Vec<Inner>, Infallible> { Ok(v) }
        #[rpc("EchoPtr")]
        /// Returns its argument (Go's argument is a `*Inner`).
        pub async fn echo_ptr(&self, v: Box<Inner>) -> Result<Inner, Infallible> { Ok(*v) }
        #[rpc("EchoEmpty")]
        /// Returns its argument.
        pub async fn echo_empty(&self, v: Empty) -> Result<Empty, Infallible> { Ok(v) }
        #[rpc("EchoNode")]
        /// Returns its argument.
        pub async fn echo_node(&self, v: Node) -> Result<Node, Infallible> { Ok(v) }
        #[rpc("EchoTree")]
        /// Returns its argument.
        pub async fn echo_tree(&self, v: Tree) -> Result<Tree, Infallible> { Ok(v) }
    }
}

/// How long one zoo call may take before [`check_zoo_service`] counts it as failed.
pub const ZOO_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Failed checks, one line each.
#[derive(Debug, Default)]
pub struct Failures(pub Vec<String>);

impl Failures {
    /// Calls `ZooService.METHOD(arg)` and checks the reply is `arg` again.
    async fn echo<T>(&mut self, client: &Client, method: &str, arg: T)
    where
        T: Serialize + DeserializeOwned + Debug + 'static,
    {
        let name = format!("ZooService.{method}({})", short(&arg));
        match call::<T, T>(client, method, &arg).await {
            Err(err) => self.0.push(format!("{name}: {err}")),
            Ok(reply) => {
                if let Some(difference) = difference(&reply, &arg) {
                    self.0.push(format!("{name}: {difference}"));
                }
            }
        }
    }
}

fn short(value: &impl Debug) -> String {
    let text = format!("{value:?}");
    match text.char_indices().nth(60) {
        Some((end, _)) => format!("{}... ({} bytes)", &text[..end], text.len()),
        None => text,
    }
}

async fn call<A: Serialize + DeserializeOwned + 'static, R: DeserializeOwned>(
    client: &Client,
    method: &str,
    arg: &A,
) -> Result<R, String> {
    let method = format!("ZooService.{method}");
    let arg = netrpc::codec::gob::Hinted::new(arg);
    match tokio::time::timeout(ZOO_CALL_TIMEOUT, client.call(&method, &arg)).await {
        Err(_) => Err(format!("no answer within {ZOO_CALL_TIMEOUT:?}")),
        Ok(result) => result.map_err(|err| format!("error: {err}")),
    }
}

/// The calls Go's `zoo -connect` makes, with the same values, made with `client` (which must
/// speak gob to a `ZooService`): `Canonical`, `Verify` (of the canonical zoo and of one that
/// differs), and every `EchoX`. Returns the failed checks.
pub async fn check_zoo_service(client: &Client) -> Failures {
    let mut failures = Failures::default();
    let f = &mut failures;

    match call::<Empty, Zoo>(client, "Canonical", &Empty {}).await {
        Err(err) => f.0.push(format!("Canonical: {err}")),
        Ok(zoo) => {
            if let Some(difference) = difference(&zoo, &Zoo::canonical()) {
                f.0.push(format!("Canonical: {difference}"));
            }
            if !zoo.nan.is_nan() || !zoo.floats[0].is_nan() || !zoo.matrix[1][0].is_nan() {
                f.0.push("Canonical: a NaN is not NaN".into());
            }
        }
    }
    match call::<Zoo, String>(client, "Verify", &Zoo::canonical()).await {
        Ok(ok) if ok == "ok" => {}
        other => f.0.push(format!("Verify: {other:?}")),
    }
    let mut different = Zoo::canonical();
    different.matrix[1][2] = 0.0;
    if let Ok(reply) = call::<Zoo, String>(client, "Verify", &different).await {
        f.0.push(format!("Verify of a different zoo answered {reply:?}"));
    }

    match call::<Empty, GoZoo>(client, "CanonicalGo", &Empty {}).await {
        Err(err) => f.0.push(format!("CanonicalGo: {err}")),
        Ok(zoo) => {
            if let Some(difference) = difference(&zoo, &GoZoo::canonical()) {
                f.0.push(format!("CanonicalGo: {difference}"));
            }
        }
    }
    match call::<GoZoo, String>(client, "VerifyGo", &GoZoo::canonical()).await {
        Ok(ok) if ok == "ok" => {}
        other => f.0.push(format!("VerifyGo: {other:?}")),
    }
    let mut different = GoZoo::canonical();
    different.big = Some(BigInt::from((1u128 << 100) + 1));
    if let Ok(reply) = call::<GoZoo, String>(client, "VerifyGo", &different).await {
        f.0.push(format!(
            "VerifyGo of a different big.Int answered {reply:?}"
        ));
    }
    let mut different = GoZoo::canonical();
    different.mixed[2] = Some(Any::Point(Point { x: 5, y: 7 }));
    if let Ok(reply) = call::<GoZoo, String>(client, "VerifyGo", &different).await {
        f.0.push(format!(
            "VerifyGo of a different interface value answered {reply:?}"
        ));
    }
    for zoo in [GoZoo::canonical(), GoZoo::default()] {
        f.echo(client, "EchoGo", zoo).await;
    }

    f.echo(client, "EchoZoo", Zoo::canonical()).await;
    f.echo(client, "EchoZoo", Zoo::default()).await;
    for v in [true, false] {
        f.echo(client, "EchoBool", v).await;
    }
    for v in [0i64, 1, -1, i64::MIN, i64::MAX] {
        f.echo(client, "EchoInt", v).await;
    }
    for v in [i8::MIN, i8::MAX] {
        f.echo(client, "EchoInt8", v).await;
    }
    for v in [i64::MIN, i64::MAX, -129, 256] {
        f.echo(client, "EchoInt64", v).await;
    }
    for v in [0u8, u8::MAX] {
        f.echo(client, "EchoUint8", v).await;
    }
    for v in [0u64, 1 << 63, u64::MAX] {
        f.echo(client, "EchoUint64", v).await;
    }
    for v in ['\0', '🦀', char::MAX] {
        f.echo(client, "EchoRune", v).await;
    }
    for v in [
        f32::NAN,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::from_bits(1), // Go's math.SmallestNonzeroFloat32
        -1.234_567_9e-20,
    ] {
        f.echo(client, "EchoFloat32", v).await;
    }
    for v in [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::from_bits(1),
        -1.5,
        0.1,
    ] {
        f.echo(client, "EchoFloat64", v).await;
    }
    for v in [
        String::new(),
        "héllo, 世界 🦀".into(),
        "\u{0}\u{1}\u{7f}\u{2028}\u{feff}".into(),
        "é世🦀".repeat(1 << 16),
    ] {
        f.echo(client, "EchoString", v).await;
    }
    let large: Vec<u8> = (0..1usize << 20).map(|i| (i * 7) as u8).collect();
    for v in [vec![0u8, 1, 2, 127, 128, 255], large] {
        f.echo(client, "EchoBytes", v).await;
    }
    f.echo(client, "EchoInts", vec![i64::MIN, -1, 0, 1, i64::MAX])
        .await;
    f.echo(client, "EchoFloats", Zoo::canonical().floats).await;
    for v in [[i32::MIN, 0, i32::MAX], [0; 3]] {
        f.echo(client, "EchoArray", v).await;
    }
    for v in [[0xde, 0xad, 0xbe, 0xef], [0u8; 4]] {
        f.echo(client, "EchoByteArray", v).await;
    }
    f.echo(client, "EchoMap", Zoo::canonical().map).await;
    f.echo(client, "EchoIntKeys", Zoo::canonical().int_keys)
        .await;
    let mut groups = Zoo::canonical().groups;
    groups.insert("h".into(), vec![Inner::default()]);
    f.echo(client, "EchoGroups", groups).await;
    f.echo(client, "EchoMatrix", Zoo::canonical().matrix).await;
    for v in [
        inner("inner", &["a", "", "b"], f64::NEG_INFINITY),
        Inner::default(),
    ] {
        f.echo(client, "EchoInner", v).await;
    }
    f.echo(
        client,
        "EchoInners",
        vec![
            inner("first", &[], f64::NAN),
            Inner::default(),
            inner("", &["x"], 0.0),
        ],
    )
    .await;
    f.echo(client, "EchoEmpty", Empty {}).await;
    let list = Zoo::canonical().list.map(|list| *list);
    f.echo(client, "EchoNode", list.unwrap_or_default()).await;
    f.echo(client, "EchoTree", Zoo::canonical().tree).await;
    f.echo(client, "EchoPtr", inner("pointed", &["p"], -1.0))
        .await;
    failures
}

/// Echoes empty slices and maps as top-level values (Go's `zoo -cases empty`), each on a
/// client `dial` makes, so that one failure cannot hide the others. Returns the failed checks.
///
/// An empty container shows nothing of its element type, which gob must send; a Go peer
/// receiving another element type than its own refuses the value.
pub async fn check_empty_containers<F, Fut>(dial: F) -> Failures
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Client>,
{
    let mut failures = Failures::default();
    let f = &mut failures;
    f.echo(&dial().await, "EchoString", String::new()).await;
    f.echo(&dial().await, "EchoBytes", Vec::<u8>::new()).await;
    f.echo(&dial().await, "EchoInts", Vec::<i64>::new()).await;
    f.echo(&dial().await, "EchoFloats", Vec::<f64>::new()).await;
    f.echo(&dial().await, "EchoInners", Vec::<Inner>::new())
        .await;
    f.echo(&dial().await, "EchoMap", BTreeMap::<String, i64>::new())
        .await;
    f.echo(&dial().await, "EchoIntKeys", BTreeMap::<i64, String>::new())
        .await;
    f.echo(
        &dial().await,
        "EchoGroups",
        BTreeMap::<String, Vec<Inner>>::new(),
    )
    .await;
    failures
}
