//! Go's names for Rust types, for the `/debug/rpc` page: a method's argument and reply types as
//! Go's page would print them (`string`, `*string`, `[2]string`, `map[string]int64`), read from
//! the type as written in the source (`String`, `Result<String, E>`, `[String; 2]`,
//! `HashMap<String, i64>`).
//!
//! The translation is syntactic and best effort: std's scalars, strings and collections map to
//! Go's (`Vec<T>` is `[]T`, `Option<T>` is `*T`, `Box`, `Arc` and references are looked
//! through, `Empty` and `()` are `struct {}`, `serde_json::Value` is `interface {}`); any other
//! type keeps its last path segment (`rpc_services::WatchFromArgs` is `WatchFromArgs`, generic
//! arguments in Go's `Name[A,B]` form). What cannot be read (a tuple, a trait object) is shown
//! as written.

/// The Go name of an argument type written as `rust` in the source.
pub(crate) fn arg(rust: &str) -> String {
    parse(rust)
        .and_then(|ty| go(&ty))
        .unwrap_or_else(|| rust.to_owned())
}

/// The Go name of a reply written as `rust` (the method's return type): the pointer Go's
/// method takes, to the `Ok` type of a `Result`.
pub(crate) fn reply(rust: &str) -> String {
    let Some(ty) = parse(rust) else {
        return rust.to_owned();
    };
    let ok = match &ty {
        Ty::Path { name, args } if name == "Result" && !args.is_empty() => args.first(),
        _ => Some(&ty),
    };
    match ok.and_then(go) {
        Some(name) => format!("*{name}"),
        None => rust.to_owned(),
    }
}

/// A Rust type, as far as the page needs it.
#[derive(Debug, PartialEq)]
enum Ty {
    /// `a::b::Name<Args>`: the last segment and its generic arguments.
    Path { name: String, args: Vec<Ty> },
    /// `[T; N]`.
    Array(Box<Ty>, String),
    /// `[T]`.
    Slice(Box<Ty>),
    /// `(A, B, ...)`; `()` is empty.
    Tuple(Vec<Ty>),
}

/// Go's name for `ty`, or `None` where Go has no such type.
fn go(ty: &Ty) -> Option<String> {
    Some(match ty {
        Ty::Array(elem, len) => format!("[{len}]{}", go(elem)?),
        Ty::Slice(elem) => format!("[]{}", go(elem)?),
        Ty::Tuple(elems) if elems.is_empty() => "struct {}".to_owned(),
        Ty::Tuple(_) => return None,
        Ty::Path { name, args } => match (name.as_str(), args.as_slice()) {
            ("String" | "str", []) => "string".to_owned(),
            ("bool", []) => "bool".to_owned(),
            ("i8" | "i16" | "i32" | "i64", []) => format!("int{}", &name[1..]),
            ("u8" | "u16" | "u32" | "u64", []) => format!("uint{}", &name[1..]),
            ("f32" | "f64", []) => format!("float{}", &name[1..]),
            ("isize", []) => "int".to_owned(),
            ("usize", []) => "uint".to_owned(),
            ("char", []) => "int32".to_owned(),
            ("Empty", []) => "struct {}".to_owned(),
            ("Value", []) => "interface {}".to_owned(),
            ("ByteBuf" | "Bytes", []) => "[]uint8".to_owned(),
            ("Box" | "Arc" | "Rc" | "Cow", [inner]) => go(inner)?,
            ("Option", [inner]) => format!("*{}", go(inner)?),
            ("Vec" | "VecDeque" | "LinkedList" | "HashSet" | "BTreeSet" | "IndexSet", [elem]) => {
                format!("[]{}", go(elem)?)
            }
            ("HashMap" | "BTreeMap" | "IndexMap", [key, value]) => {
                format!("map[{}]{}", go(key)?, go(value)?)
            }
            (_, []) => name.clone(),
            (_, args) => {
                let args: Option<Vec<String>> = args.iter().map(go).collect();
                format!("{name}[{}]", args?.join(","))
            }
        },
    })
}

/// Parses a whole type, or `None` if it is not one this module reads.
fn parse(text: &str) -> Option<Ty> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, pos: 0 };
    let ty = parser.ty(0)?;
    (parser.pos == parser.tokens.len()).then_some(ty)
}

/// Types nested deeper than this are shown as written (the text comes from source code, but a
/// bound keeps the recursion obviously finite).
const MAX_DEPTH: usize = 32;

#[derive(Debug, PartialEq)]
enum Token {
    /// An identifier or a number.
    Word(String),
    /// `'a`.
    Lifetime,
    /// One of `< > , ; [ ] ( ) &`, or `::`.
    Punct(&'static str),
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let punct = match c {
            c if c.is_whitespace() => continue,
            '<' => "<",
            '>' => ">",
            ',' => ",",
            ';' => ";",
            '[' => "[",
            ']' => "]",
            '(' => "(",
            ')' => ")",
            '&' => "&",
            ':' if chars.next_if(|&(_, c)| c == ':').is_some() => "::",
            '\'' => {
                while chars.next_if(|&(_, c)| is_word(c)).is_some() {}
                tokens.push(Token::Lifetime);
                continue;
            }
            c if is_word(c) => {
                let mut end = start + c.len_utf8();
                while let Some((i, c)) = chars.next_if(|&(_, c)| is_word(c)) {
                    end = i + c.len_utf8();
                }
                tokens.push(Token::Word(text.get(start..end)?.to_owned()));
                continue;
            }
            _ => return None,
        };
        tokens.push(Token::Punct(punct));
    }
    Some(tokens)
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn eat(&mut self, punct: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Punct(p)) if *p == punct);
        if found {
            self.pos += 1;
        }
        found
    }

    fn word(&mut self) -> Option<String> {
        match self.peek() {
            Some(Token::Word(word)) => {
                let word = word.clone();
                self.pos += 1;
                Some(word)
            }
            _ => None,
        }
    }

    fn ty(&mut self, depth: usize) -> Option<Ty> {
        if depth > MAX_DEPTH {
            return None;
        }
        if self.eat("&") {
            if matches!(self.peek(), Some(Token::Lifetime)) {
                self.pos += 1;
            }
            if matches!(self.peek(), Some(Token::Word(w)) if w == "mut") {
                self.pos += 1;
            }
            return self.ty(depth + 1);
        }
        if self.eat("[") {
            let elem = self.ty(depth + 1)?;
            if self.eat("]") {
                return Some(Ty::Slice(Box::new(elem)));
            }
            if !self.eat(";") {
                return None;
            }
            let len = self.word()?;
            if !len.bytes().all(|b| b.is_ascii_digit()) || !self.eat("]") {
                return None;
            }
            return Some(Ty::Array(Box::new(elem), len));
        }
        if self.eat("(") {
            let elems = self.list(")", depth)?;
            return Some(Ty::Tuple(elems));
        }
        self.eat("::");
        let mut name = self.word()?;
        if matches!(name.as_str(), "dyn" | "impl" | "fn" | "mut") {
            return None;
        }
        let mut args = Vec::new();
        loop {
            if self.eat("<") {
                args = self.list(">", depth)?;
            }
            if !self.eat("::") {
                break;
            }
            // Arguments belong to the last segment only.
            if !args.is_empty() {
                return None;
            }
            name = self.word()?;
        }
        Some(Ty::Path { name, args })
    }

    /// Types separated by commas up to `close` (a trailing comma allowed).
    fn list(&mut self, close: &str, depth: usize) -> Option<Vec<Ty>> {
        let mut items = Vec::new();
        while !self.eat(close) {
            if matches!(self.peek(), Some(Token::Lifetime)) {
                // `Cow<'a, str>`: a lifetime argument says nothing to Go.
                self.pos += 1;
            } else {
                items.push(self.ty(depth + 1)?);
            }
            if !self.eat(",") {
                return self.eat(close).then_some(items);
            }
        }
        Some(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_get_go_names() {
        for (rust, go) in [
            ("String", "string"),
            ("&'static str", "string"),
            ("i64", "int64"),
            ("u8", "uint8"),
            ("usize", "uint"),
            ("f64", "float64"),
            ("bool", "bool"),
            ("char", "int32"),
            ("[String; 2]", "[2]string"),
            ("[ String ; 2 ]", "[2]string"),
            ("Vec<u8>", "[]uint8"),
            ("Vec < Vec < i32 > >", "[][]int32"),
            ("Box<[i16]>", "[]int16"),
            ("std::collections::HashMap<String, i64>", "map[string]int64"),
            (
                "BTreeMap<String, Vec<Option<f32>>>",
                "map[string][]*float32",
            ),
            ("Option<Box<Node>>", "*Node"),
            ("Cow<'static, str>", "string"),
            ("Empty", "struct {}"),
            ("netrpc::Empty", "struct {}"),
            ("()", "struct {}"),
            ("serde_json::Value", "interface {}"),
            ("rpc_services::WatchFromArgs", "WatchFromArgs"),
            ("::std::string::String", "string"),
            ("Pair<i32, String>", "Pair[int32,string]"),
        ] {
            assert_eq!(arg(rust), go, "{rust}");
        }
    }

    #[test]
    fn replies_are_pointers_to_the_ok_type() {
        for (rust, go) in [
            ("Result<String, String>", "*string"),
            ("Result<Empty, &'static str>", "*struct {}"),
            ("std::result::Result<u64, Infallible>", "*uint64"),
            ("Result<WatchFromReply, String>", "*WatchFromReply"),
            ("anyhow::Result<Vec<String>>", "*[]string"),
            ("String", "*string"),
        ] {
            assert_eq!(reply(rust), go, "{rust}");
        }
    }

    #[test]
    fn what_cannot_be_read_is_shown_as_written() {
        for rust in [
            "(i32, String)",
            "Box<dyn Fn()>",
            "impl Serialize",
            "a::<b>::C",
            "[u8; N]",
            "Vec<",
            "Vec<u8>>",
            "#weird",
            "",
        ] {
            assert_eq!(arg(rust), rust, "{rust:?}");
            assert_eq!(reply(rust), rust, "{rust:?}");
        }
        let deep = format!("{}u8{}", "Vec<".repeat(100), ">".repeat(100));
        assert_eq!(arg(&deep), deep);
    }
}
