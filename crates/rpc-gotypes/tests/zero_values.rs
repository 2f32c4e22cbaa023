//! netrpc fills a value that Go left out (or sent as JSON `null`) with Go's zero value,
//! through `rpc_proto::zero`: each type here reads it as its [`Default`].

use rpc_gotypes::{BigFloat, BigInt, BigRat, ByteString, Duration, Marshaled, MarshalerKind, Time};

#[test]
fn zero_deserializer_gives_the_default() {
    assert_eq!(rpc_proto::zero::value::<Time>().unwrap(), Time::default());
    assert_eq!(
        rpc_proto::zero::value::<Duration>().unwrap(),
        Duration::default()
    );
    assert_eq!(
        rpc_proto::zero::value::<BigInt>().unwrap(),
        BigInt::default()
    );
    assert_eq!(
        rpc_proto::zero::value::<BigFloat>().unwrap(),
        BigFloat::default()
    );
    assert_eq!(
        rpc_proto::zero::value::<BigRat>().unwrap(),
        BigRat::default()
    );
    assert_eq!(
        rpc_proto::zero::value::<Marshaled>().unwrap(),
        Marshaled::default()
    );
    assert_eq!(
        rpc_proto::zero::value::<ByteString>().unwrap(),
        ByteString::default()
    );
    assert_eq!(Marshaled::default().kind(), MarshalerKind::GobEncoder);
    assert!(Time::default().is_zero());
}

#[test]
fn zero_inside_a_struct() {
    #[derive(serde::Deserialize, Debug, PartialEq, Default)]
    struct Reply {
        at: Time,
        n: BigInt,
        r: BigRat,
        s: ByteString,
        m: Marshaled,
    }
    assert_eq!(rpc_proto::zero::value::<Reply>().unwrap(), Reply::default());
}
