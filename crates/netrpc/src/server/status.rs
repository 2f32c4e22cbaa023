//! Call counts per method, and the `/debug/rpc` page that lists them as Go's does: Go's layout,
//! one row `Method(ArgType, *ReplyType) error` per method with Go's names for the types (see
//! `go_names`), so that whatever reads Go's page (`netrpc list`) reads netrpc's.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use super::go_names;
use super::service::Method;

/// The call counters of one service's methods, shared by every connection.
pub(crate) struct Stats {
    methods: &'static [Method],
    calls: Box<[AtomicU64]>,
}

impl Stats {
    pub(crate) fn new(methods: &'static [Method]) -> Self {
        Self {
            methods,
            calls: methods.iter().map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Counts a call of `method` (a method the service has).
    pub(crate) fn count(&self, method: &str) {
        if let Some(i) = self.methods.iter().position(|m| m.name == method) {
            if let Some(calls) = self.calls.get(i) {
                calls.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn status(&self, name: &str) -> ServiceStatus {
        let mut methods: Vec<MethodStatus> = self
            .methods
            .iter()
            .zip(self.calls.iter())
            .map(|(method, calls)| MethodStatus {
                method: *method,
                calls: calls.load(Ordering::Relaxed),
            })
            .collect();
        methods.sort_by(|a, b| a.method.name.cmp(b.method.name));
        ServiceStatus {
            name: name.to_owned(),
            methods,
        }
    }
}

/// A registered service as the status page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceStatus {
    /// The name it is registered under.
    pub name: String,
    /// Its methods, sorted by name.
    pub methods: Vec<MethodStatus>,
}

/// One method and how often it has been called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MethodStatus {
    /// The method.
    pub method: Method,
    /// Calls started since the server was built.
    pub calls: u64,
}

/// HTML in the layout of Go's `net/rpc` debug page (`net/rpc/debug.go`).
pub(crate) fn render(services: &[ServiceStatus]) -> String {
    let mut out = String::from("<html>\n\t<body>\n\t<title>Services</title>\n");
    for service in services {
        let _ = write!(
            out,
            "\t<hr>\n\tService {}\n\t<hr>\n\t\t<table>\n\t\t<th align=center>Method</th><th align=center>Calls</th>\n",
            escape(&service.name)
        );
        for m in &service.methods {
            let _ = write!(
                out,
                "\t\t\t<tr>\n\t\t\t<td align=left font=fixed>{}({}, {}) error</td>\n\t\t\t<td align=center>{}</td>\n\t\t\t</tr>\n",
                escape(m.method.name),
                escape(&go_names::arg(m.method.arg)),
                escape(&go_names::reply(m.method.reply)),
                m.calls
            );
        }
        out.push_str("\t\t</table>\n");
    }
    out.push_str("\t</body>\n\t</html>");
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    static METHODS: [Method; 3] = [
        Method {
            name: "Set",
            arg: "[String; 2]",
            reply: "Result<Empty, String>",
        },
        Method {
            name: "Get",
            arg: "String",
            reply: "Result<String, String>",
        },
        Method {
            name: "Tuple",
            arg: "(Vec<u8>, String)",
            reply: "Result<Vec<u8>, String>",
        },
    ];

    #[test]
    fn counts_and_renders_sorted_and_escaped() {
        let stats = Stats::new(&METHODS);
        stats.count("Get");
        stats.count("Get");
        stats.count("Set");
        stats.count("Nope");
        let status = stats.status("KVStoreService");
        assert_eq!(status.methods[0].method.name, "Get");
        assert_eq!(status.methods[0].calls, 2);
        assert_eq!(status.methods[1].calls, 1);
        let page = render(&[status]);
        assert!(page.contains("Service KVStoreService"));
        assert!(page.contains(
            "<td align=left font=fixed>Get(string, *string) error</td>\n\t\t\t<td align=center>2</td>"
        ), "{page}");
        assert!(
            page.contains(">Set([2]string, *struct {}) error</td>"),
            "{page}"
        );
        // A type Go has no name for is shown as written, escaped.
        assert!(
            page.contains(">Tuple((Vec&lt;u8&gt;, String), *[]uint8) error</td>"),
            "{page}"
        );
        assert!(page.starts_with("<html>") && page.ends_with("</html>"));
    }
}
