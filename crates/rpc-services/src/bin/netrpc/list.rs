//! `netrpc list`: what a server offers, read from its `/debug/rpc` page (a Go program's that
//! called `rpc.HandleHTTP`, or `netrpc serve`'s, which has Go's layout).
//!
//! One line per method, in the page's order (sorted by service and method):
//! `Service.Method(ArgType, ReplyType) calls=N`, with the types as the page names them (Go's
//! names; the reply is a pointer, as Go's method takes it). A service whose methods the page
//! does not list (a netrpc per-connection service no connection has built yet) gets one line,
//! `Service (no methods listed)`. `--json` prints the services and methods as one JSON value
//! instead.

use std::time::Duration;

use netrpc::debug_page::{DebugPageError, ListedService, fetch};

use crate::Failure;
use crate::cli::{ListArgs, parse_addr};

pub(crate) async fn list(args: ListArgs) -> Result<(), Failure> {
    let addr = parse_addr(&args.addr)?;
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|timeout| !timeout.is_zero())
        .ok_or_else(|| Failure::Usage(format!("--timeout {}: not a duration", args.timeout)))?;
    let services = tokio::time::timeout(timeout, fetch(&addr, &args.debug_path))
        .await
        .map_err(|_| {
            Failure::Link(format!(
                "GET {} from {addr}: no answer within {timeout:?}",
                args.debug_path
            ))
        })?
        .map_err(failure)?;
    let text = if args.json {
        serde_json::to_string(&services).map_err(|err| Failure::Link(err.to_string()))? + "\n"
    } else {
        lines(&services)
    };
    print!("{text}");
    Ok(())
}

/// One line per method (or per service without methods).
fn lines(services: &[ListedService]) -> String {
    let mut out = String::new();
    for service in services {
        if service.methods.is_empty() {
            out.push_str(&format!("{} (no methods listed)\n", service.name));
        }
        for method in &service.methods {
            let calls = method
                .calls
                .map_or_else(|| "?".to_owned(), |calls| calls.to_string());
            out.push_str(&format!(
                "{}.{}({}, {}) calls={calls}\n",
                service.name, method.name, method.arg, method.reply
            ));
        }
    }
    out
}

fn failure(err: DebugPageError) -> Failure {
    match err {
        DebugPageError::Status { code: 404, .. } => Failure::Link(format!(
            "{err} (no debug page there: give the server's debug path with --debug-path)"
        )),
        DebugPageError::NoHttp { .. } => Failure::Usage(err.to_string()),
        err => Failure::Link(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use netrpc::debug_page::ListedMethod;

    use super::*;

    #[test]
    fn one_line_per_method() {
        let method = |name: &str, calls| ListedMethod {
            name: name.into(),
            arg: "string".into(),
            reply: "*string".into(),
            calls,
        };
        let services = [
            ListedService {
                name: "HelloService".into(),
                methods: Vec::new(),
            },
            ListedService {
                name: "KVStoreService".into(),
                methods: vec![method("Get", Some(2)), method("Odd", None)],
            },
        ];
        assert_eq!(
            lines(&services),
            "HelloService (no methods listed)\n\
             KVStoreService.Get(string, *string) calls=2\n\
             KVStoreService.Odd(string, *string) calls=?\n"
        );
    }
}
