//! Reading a server's `/debug/rpc` page: the services and methods (with argument and reply types
//! and call counts) of any server that serves Go's debug page, a Go program that called
//! `rpc.HandleHTTP` (or `Server.HandleHTTP` with a debug path of its own) or a netrpc
//! [`Server`](crate::Server) on an `http://` listener or a shared port, whose page has Go's
//! layout. `netrpc list` is built on it.
//!
//! Go renders the page from the template in `net/rpc/debug.go`: `<title>Services</title>`, then
//! per service a line `Service NAME` between `<hr>`s and a table with one row per method,
//! `<td>Method(ArgType, ReplyType) error</td><td>Calls</td>`, everything HTML-escaped. [`parse`]
//! reads that without trusting it: it never panics, reads any layout of tags and whitespace,
//! decodes HTML entities, and keeps a row it cannot split into types with empty types rather
//! than dropping it. [`fetch`] bounds what it reads to [`MAX_PAGE`] bytes.
//!
//! ```
//! use netrpc::debug_page::{ListedMethod, parse};
//!
//! let page = "<html><title>Services</title><hr>Service Arith<hr><table>\
//!     <tr><td>Multiply(main.Args, *int) error</td><td>3</td></tr></table></html>";
//! let services = parse(page).expect("a debug page");
//! assert_eq!(services[0].name, "Arith");
//! assert_eq!(
//!     services[0].methods,
//!     [ListedMethod {
//!         name: "Multiply".into(),
//!         arg: "main.Args".into(),
//!         reply: "*int".into(),
//!         calls: Some(3),
//!     }]
//! );
//! ```

use serde::Serialize;

/// The most bytes of page [`fetch`] reads (head not included).
pub const MAX_PAGE: usize = 4 * 1024 * 1024;

/// A service as the page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListedService {
    /// The name it is registered under.
    pub name: String,
    /// Its methods, in the page's order (Go's and netrpc's pages sort them by name). Empty for a
    /// netrpc per-connection service no connection has built yet.
    pub methods: Vec<ListedMethod>,
}

/// A method as the page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListedMethod {
    /// The name callers use after the dot.
    pub name: String,
    /// The argument type as the page names it (Go's `reflect` name, e.g. `string`,
    /// `*main.Args`); empty if the row did not say.
    pub arg: String,
    /// The reply type as the page names it, a pointer in Go's (`*string`); empty if the row did
    /// not say.
    pub reply: String,
    /// Calls started since the server began; `None` if the row's count is not a number.
    pub calls: Option<u64>,
}

/// The services a debug page lists, or `None` if `html` is not one (it has no
/// `<title>Services</title>`).
pub fn parse(html: &str) -> Option<Vec<ListedService>> {
    let mut reader = PageReader::default();
    let pieces = Pieces { rest: html };
    for piece in pieces {
        reader.take(piece);
    }
    reader.finish()
}

/// What [`parse`] has seen so far.
#[derive(Default)]
struct PageReader {
    is_debug_page: bool,
    in_title: bool,
    title: String,
    services: Vec<ListedService>,
    /// The cells of the row being read, if inside a `<tr>`.
    row: Option<Vec<String>>,
    /// The text of the cell being read, if inside a `<td>`.
    cell: Option<String>,
}

impl PageReader {
    fn take(&mut self, piece: Piece<'_>) {
        match piece {
            Piece::Tag { name, closing } => self.tag(name, closing),
            Piece::Text(text) => {
                if self.in_title {
                    self.title.push_str(text);
                } else if let Some(cell) = &mut self.cell {
                    cell.push_str(text);
                } else if let Some(name) = text.trim().strip_prefix("Service ") {
                    self.end_row();
                    self.services.push(ListedService {
                        name: unescape(name.trim()),
                        methods: Vec::new(),
                    });
                }
            }
        }
    }

    fn tag(&mut self, name: &str, closing: bool) {
        match (name, closing) {
            ("title", false) => {
                self.in_title = true;
                self.title.clear();
            }
            ("title", true) => {
                self.in_title = false;
                if unescape(self.title.trim()) == "Services" {
                    self.is_debug_page = true;
                }
            }
            ("tr", false) => {
                self.end_row();
                self.row = Some(Vec::new());
            }
            ("tr" | "table", true) => self.end_row(),
            ("td", false) => {
                self.end_cell();
                self.cell = Some(String::new());
            }
            ("td", true) => self.end_cell(),
            _ => {}
        }
    }

    fn end_cell(&mut self) {
        if let Some(cell) = self.cell.take() {
            if let Some(row) = &mut self.row {
                row.push(unescape(cell.trim()));
            }
        }
    }

    /// Ends the row being read: a method of the last service, if it has a name.
    fn end_row(&mut self) {
        self.end_cell();
        let Some(cells) = self.row.take() else {
            return;
        };
        let (Some(signature), Some(service)) = (cells.first(), self.services.last_mut()) else {
            return;
        };
        if signature.is_empty() {
            return;
        }
        let (name, arg, reply) = split_signature(signature);
        service.methods.push(ListedMethod {
            name: name.to_owned(),
            arg: arg.to_owned(),
            reply: reply.to_owned(),
            calls: cells.get(1).and_then(|calls| calls.trim().parse().ok()),
        });
    }

    fn finish(mut self) -> Option<Vec<ListedService>> {
        self.end_row();
        self.is_debug_page.then_some(self.services)
    }
}

/// Splits Go's `Name(ArgType, ReplyType) error` (or `Name(ArgType) ReplyType`) into its name and
/// types. A comma inside brackets, braces or parentheses (`main.Pair[int,string]`) is part of a
/// type.
fn split_signature(text: &str) -> (&str, &str, &str) {
    let Some(open) = text.find('(') else {
        return (text.trim(), "", "");
    };
    let name = text.get(..open).unwrap_or_default().trim();
    let mut depth = 0usize;
    let mut comma = None;
    let mut close = None;
    for (i, c) in text.char_indices().skip_while(|&(i, _)| i < open) {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            ',' if depth == 1 && comma.is_none() => comma = Some(i),
            _ => {}
        }
    }
    let inside_end = close.unwrap_or(text.len());
    let after = close
        .and_then(|close| text.get(close + 1..))
        .unwrap_or_default();
    match comma {
        Some(comma) => (
            name,
            text.get(open + 1..comma).unwrap_or_default().trim(),
            text.get(comma + 1..inside_end).unwrap_or_default().trim(),
        ),
        None => (
            name,
            text.get(open + 1..inside_end).unwrap_or_default().trim(),
            after.trim(),
        ),
    }
}

/// Decodes HTML character references: `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` `&nbsp;` and
/// numeric ones (`&#34;`, `&#x2B;`, as Go's `html/template` writes them). Anything else is kept
/// as written.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        let after = rest.get(amp + 1..).unwrap_or_default();
        // The longest reference decoded is `&#x10FFFF;`.
        let decoded = after
            .bytes()
            .take(10)
            .position(|b| b == b';')
            .and_then(|semi| {
                let name = after.get(..semi)?;
                Some((reference(name)?, semi))
            });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = after.get(semi + 1..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character a reference's name (between `&` and `;`) stands for.
fn reference(name: &str) -> Option<char> {
    let code = match name {
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "amp" => return Some('&'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        "nbsp" => return Some(' '),
        _ => {
            let number = name.strip_prefix('#')?;
            match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            }
        }
    };
    char::from_u32(code).filter(|c| *c != '\0')
}

/// A piece of HTML: a tag (its lowercased name) or the text between tags.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Tag { name: &'a str, closing: bool },
    Text(&'a str),
}

/// Splits HTML into [`Piece`]s. A comment is skipped; a `<` that never closes ends the page.
struct Pieces<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let Some(lt) = self.rest.find('<') else {
                let text = self.rest;
                self.rest = "";
                return Some(Piece::Text(text));
            };
            if lt > 0 {
                let text = self.rest.get(..lt).unwrap_or_default();
                self.rest = self.rest.get(lt..).unwrap_or_default();
                return Some(Piece::Text(text));
            }
            let after = self.rest.get(1..).unwrap_or_default();
            if let Some(comment) = after.strip_prefix("!--") {
                self.rest = comment
                    .find("-->")
                    .and_then(|end| comment.get(end + 3..))
                    .unwrap_or_default();
                continue;
            }
            let Some(gt) = after.find('>') else {
                self.rest = "";
                return None;
            };
            let inner = after.get(..gt).unwrap_or_default();
            self.rest = after.get(gt + 1..).unwrap_or_default();
            let (closing, inner) = match inner.strip_prefix('/') {
                Some(inner) => (true, inner),
                None => (false, inner),
            };
            let end = inner
                .find(|c: char| c.is_ascii_whitespace() || c == '/')
                .unwrap_or(inner.len());
            let name = inner.get(..end).unwrap_or_default();
            return Some(Piece::Tag {
                name: tag_name(name),
                closing,
            });
        }
    }
}

/// The tags the reader cares about, matched without regard to case; others as written.
fn tag_name(name: &str) -> &str {
    ["title", "tr", "td", "table"]
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(name))
        .unwrap_or(name)
}

#[cfg(feature = "http")]
pub use fetch::{DebugPageError, fetch};

#[cfg(feature = "http")]
mod fetch {
    use std::io;

    use rpc_transport::{Address, http};

    use super::{ListedService, MAX_PAGE, parse};

    /// Why [`fetch`] found no services.
    #[non_exhaustive]
    #[derive(Debug, thiserror::Error)]
    pub enum DebugPageError {
        /// The address's transport does not carry HTTP.
        #[error(
            "{addr} serves no debug page over {transport}:// (give an http://, tcp:// or unix:// address)"
        )]
        NoHttp {
            /// The address.
            addr: String,
            /// Its transport.
            transport: &'static str,
        },
        /// Connecting, sending or reading failed, or the answer was not HTTP or too long.
        #[error("GET {path} from {addr}: {source}")]
        Io {
            /// The address.
            addr: String,
            /// The page's path.
            path: String,
            /// What failed.
            #[source]
            source: io::Error,
        },
        /// The server answered, but not with a page (`404 Not Found`: nothing at that path).
        #[error("GET {path} from {addr}: {status}")]
        Status {
            /// The address.
            addr: String,
            /// The page's path.
            path: String,
            /// The status code.
            code: u16,
            /// The status as sent, e.g. `404 Not Found`.
            status: String,
        },
        /// The page is not a net/rpc debug page.
        #[error("GET {path} from {addr}: not a net/rpc debug page (no <title>Services</title>)")]
        NotDebugPage {
            /// The address.
            addr: String,
            /// The page's path.
            path: String,
        },
    }

    /// Fetches the debug page at `path` (Go's is `/debug/rpc`) from the server at `addr`
    /// (`http://`, or `tcp://` and `unix://` for a netrpc server that shares its port with HTTP)
    /// and [`parse`]s it. Reads at most [`MAX_PAGE`] bytes of page; does not time out (wrap it
    /// in [`tokio::time::timeout`]).
    pub async fn fetch(addr: &Address, path: &str) -> Result<Vec<ListedService>, DebugPageError> {
        let failed = |source| DebugPageError::Io {
            addr: addr.to_string(),
            path: path.to_owned(),
            source,
        };
        let (raw, host) = match addr {
            Address::Http { host_port, .. } | Address::Tcp(host_port) => {
                (Address::Tcp(host_port.clone()), host_port.as_str())
            }
            Address::Unix(_) => (addr.clone(), "localhost"),
            other => {
                return Err(DebugPageError::NoHttp {
                    addr: other.to_string(),
                    transport: other.transport(),
                });
            }
        };
        let connection = rpc_transport::dial(&raw).await.map_err(failed)?;
        let mut stream = connection.into_stream().await.map_err(failed)?;
        let response = http::get(&mut stream, host, path, MAX_PAGE)
            .await
            .map_err(failed)?;
        if response.code != 200 {
            return Err(DebugPageError::Status {
                addr: addr.to_string(),
                path: path.to_owned(),
                code: response.code,
                status: response.status,
            });
        }
        parse(&String::from_utf8_lossy(&response.body)).ok_or_else(|| {
            DebugPageError::NotDebugPage {
                addr: addr.to_string(),
                path: path.to_owned(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::status::{MethodStatus, ServiceStatus, render};
    use crate::service::Method;

    fn method(name: &str, arg: &str, reply: &str, calls: Option<u64>) -> ListedMethod {
        ListedMethod {
            name: name.into(),
            arg: arg.into(),
            reply: reply.into(),
            calls,
        }
    }

    /// What Go's `rpc.HandleHTTP` serves (Go 1.26, byte for byte but for the call counts) for
    /// the seed's services and one more method whose types its template escapes.
    const GO_PAGE: &str = "<html>\n\t<body>\n\t<title>Services</title>\n\t\n\t<hr>\n\tService \
        HelloService\n\t<hr>\n\t\t<table>\n\t\t<th align=center>Method</th><th \
        align=center>Calls</th>\n\t\t\n\t\t\t<tr>\n\t\t\t<td align=left \
        font=fixed>Hello(string, *string) error</td>\n\t\t\t<td \
        align=center>3</td>\n\t\t\t</tr>\n\t\t\n\t\t</table>\n\t\n\t<hr>\n\tService \
        KVStoreService\n\t<hr>\n\t\t<table>\n\t\t<th align=center>Method</th><th \
        align=center>Calls</th>\n\t\t\n\t\t\t<tr>\n\t\t\t<td align=left \
        font=fixed>Get(string, *string) error</td>\n\t\t\t<td \
        align=center>0</td>\n\t\t\t</tr>\n\t\t\n\t\t\t<tr>\n\t\t\t<td align=left \
        font=fixed>Set([2]string, *struct {}) error</td>\n\t\t\t<td \
        align=center>12</td>\n\t\t\t</tr>\n\t\t\n\t\t\t<tr>\n\t\t\t<td align=left \
        font=fixed>Tagged(struct { A int &#34;json:\\&#34;a,omitempty\\&#34;&#34; }, \
        *map[string]chan&lt;- int) error</td>\n\t\t\t<td \
        align=center>1</td>\n\t\t\t</tr>\n\t\t\n\t\t</table>\n\t\n\t</body>\n\t</html>";

    #[test]
    fn reads_go_s_page() {
        let services = parse(GO_PAGE).unwrap();
        assert_eq!(
            services,
            [
                ListedService {
                    name: "HelloService".into(),
                    methods: vec![method("Hello", "string", "*string", Some(3))],
                },
                ListedService {
                    name: "KVStoreService".into(),
                    methods: vec![
                        method("Get", "string", "*string", Some(0)),
                        method("Set", "[2]string", "*struct {}", Some(12)),
                        method(
                            "Tagged",
                            r#"struct { A int "json:\"a,omitempty\"" }"#,
                            "*map[string]chan<- int",
                            Some(1)
                        ),
                    ],
                },
            ]
        );
    }

    #[test]
    fn reads_netrpc_s_page() {
        static KV: [Method; 2] = [
            Method {
                name: "Get",
                arg: "String",
                reply: "Result<String, String>",
            },
            Method {
                name: "Set",
                arg: "[String; 2]",
                reply: "Result<Empty, String>",
            },
        ];
        let page = render(&[
            ServiceStatus {
                name: "HelloService".into(),
                methods: Vec::new(),
            },
            ServiceStatus {
                name: "KVStoreService".into(),
                methods: KV
                    .iter()
                    .zip([2, 0])
                    .map(|(method, calls)| MethodStatus {
                        method: *method,
                        calls,
                    })
                    .collect(),
            },
        ]);
        assert_eq!(
            parse(&page).unwrap(),
            [
                ListedService {
                    name: "HelloService".into(),
                    methods: Vec::new(),
                },
                ListedService {
                    name: "KVStoreService".into(),
                    methods: vec![
                        method("Get", "string", "*string", Some(2)),
                        method("Set", "[2]string", "*struct {}", Some(0)),
                    ],
                },
            ]
        );
    }

    #[test]
    fn other_pages_are_not_debug_pages() {
        for page in [
            "",
            "404 page not found\n",
            "<html><title>Other</title>Service X</html>",
            "<title>Services",
        ] {
            assert_eq!(parse(page), None, "{page:?}");
        }
        assert_eq!(parse("<TITLE> Services </TITLE>"), Some(Vec::new()));
    }

    #[test]
    fn odd_rows_are_kept_as_far_as_they_can_be_read() {
        let page = "<title>Services</title>\
            <tr><td>Orphan(int, *int) error</td><td>1</td></tr>\
            Service S\
            <TR><TD>NoParens</TD><TD>x</TD></TR>\
            <tr><td>Old(String) Result&lt;String, String&gt;</td><td>7</td></tr>\
            <tr><td>Generic(main.Pair[int,string], *int) error</td><td>2</td>\
            <tr><td>Open(int, *int</td><td>-1</td>\
            <tr><td></td><td>5</td></tr>\
            <tr><td>Nested(<b>int</b>, *int) error<!-- a comment -->\
            </td><td> 4 </td></tr><td>stray</td>";
        let services = parse(page).unwrap();
        assert_eq!(services.len(), 1);
        assert_eq!(
            services[0].methods,
            [
                method("NoParens", "", "", None),
                method("Old", "String", "Result<String, String>", Some(7)),
                method("Generic", "main.Pair[int,string]", "*int", Some(2)),
                method("Open", "int", "*int", None),
                method("Nested", "int", "*int", Some(4)),
            ]
        );
    }

    #[test]
    fn entities_are_decoded() {
        for (text, plain) in [
            ("a &lt;b&gt; &amp; &quot;c&quot; &apos;", "a <b> & \"c\" '"),
            ("&#43;&#x2b;&#X2B;", "+++"),
            (
                "&unknown; & &#; &#xZZ; &#0; &#1114112;",
                "&unknown; & &#; &#xZZ; &#0; &#1114112;",
            ),
            ("&amp;lt;", "&lt;"),
            ("tail &", "tail &"),
            ("é&nbsp;世", "é 世"),
        ] {
            assert_eq!(unescape(text), plain, "{text}");
        }
    }

    #[test]
    fn never_panics_on_fragments() {
        let pieces = [
            "<", ">", "</", "<td", "</td>", "<tr>", "<title>", "Services", "</title>", "Service ",
            "x", "(", ")", ",", "&", "&#", ";", "é", "<!--", "-->", "[", "{", "\n",
        ];
        // Every sequence of three pieces, and GO_PAGE cut at every byte.
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let _ = parse(&format!("{a}{b}{c}"));
                }
            }
        }
        for end in (0..GO_PAGE.len()).filter(|&end| GO_PAGE.is_char_boundary(end)) {
            let _ = parse(&GO_PAGE[..end]);
        }
    }
}
