//! `HelloService` (seed 4.1/4.3.1): the smallest service there is.

use std::convert::Infallible;

use netrpc::service;

/// `HelloService.Hello(string) string`: returns `"hello:" + request`.
#[derive(Clone, Copy, Debug, Default)]
pub struct HelloService;

service! {
    impl HelloService {
        #[rpc("Hello")]
        /// Returns `"hello:" + request`.
        pub async fn hello(&self, request: String) -> Result<String, Infallible> {
            Ok(format!("hello:{request}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn greets() {
        assert_eq!(
            HelloService.hello("world".into()).await.unwrap(),
            "hello:world"
        );
        assert_eq!(HelloService.hello(String::new()).await.unwrap(), "hello:");
    }
}
