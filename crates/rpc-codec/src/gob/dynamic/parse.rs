//! [`GoType::parse`]: Go type syntax.

use super::{Field, GoType};

/// How deep a type may nest (Go's own limit for gob is about the same).
const MAX_DEPTH: usize = 128;

/// The largest array length accepted (a zero value of the array is written out in full).
const MAX_ARRAY: usize = 1 << 20;

impl GoType {
    /// Parses Go type syntax: `bool`, `int`, `int8`…`int64`, `uint`, `uint8`…`uint64`,
    /// `uintptr`, `byte`, `rune`, `float32`, `float64`, `string`, `[]T` (`[]byte` is
    /// [`GoType::Bytes`]), `[N]T`, `map[K]V`, `struct { A int; B, C string }` (fields separated
    /// by `;` or newlines), `*T`, `interface{}` (or `any`), `time.Time`, `time.Duration`,
    /// `big.Int`, `big.Rat` and `big.Float` (`*big.Int` is a pointer to `big.Int`, as in Go).
    ///
    /// The error is one line naming the problem and where it is:
    ///
    /// ```
    /// use rpc_codec::gob::dynamic::GoType;
    ///
    /// let ty = GoType::parse("map[string][]*struct{ A int; B, C string }").unwrap();
    /// assert_eq!(ty.to_string(), "map[string][]*struct { A int; B string; C string }");
    /// assert_eq!(
    ///     GoType::parse("[]integer").unwrap_err(),
    ///     "unknown type \"integer\" at byte 2 of \"[]integer\""
    /// );
    /// ```
    pub fn parse(src: &str) -> Result<GoType, String> {
        let mut parser = Parser { src, pos: 0 };
        let ty = parser.ty(0)?;
        parser.space(true);
        if parser.pos < src.len() {
            return Err(parser.error(&format!("unexpected {:?} after the type", parser.rest())));
        }
        Ok(ty)
    }
}

struct Parser<'s> {
    src: &'s str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or_default()
    }

    fn error(&self, problem: &str) -> String {
        if self.src.len() > 80 {
            format!("{problem} at byte {}", self.pos)
        } else {
            format!("{problem} at byte {} of {:?}", self.pos, self.src)
        }
    }

    /// Skips spaces and tabs, and newlines too if `newlines`; says whether it skipped a
    /// newline.
    fn space(&mut self, newlines: bool) -> bool {
        let mut newline = false;
        let rest = self.src.get(self.pos..).unwrap_or_default();
        for c in rest.chars() {
            match c {
                ' ' | '\t' | '\r' => {}
                '\n' if newlines => newline = true,
                _ => break,
            }
            self.pos += c.len_utf8();
        }
        newline
    }

    fn eat(&mut self, c: char) -> bool {
        self.space(false);
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, context: &str) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(&format!("expected {c:?} {context}")))
        }
    }

    fn ident(&mut self) -> &str {
        self.space(false);
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(self.rest().len());
        self.pos += len;
        self.src.get(start..self.pos).unwrap_or_default()
    }

    fn ty(&mut self, depth: usize) -> Result<GoType, String> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("type nests deeper than {MAX_DEPTH} levels")));
        }
        self.space(false);
        if self.eat('*') {
            return Ok(GoType::Pointer(Box::new(self.ty(depth + 1)?)));
        }
        if self.eat('[') {
            if self.eat(']') {
                return Ok(match self.ty(depth + 1)? {
                    GoType::Uint8 => GoType::Bytes,
                    elem => GoType::Slice(Box::new(elem)),
                });
            }
            self.space(false);
            let start = self.pos;
            let digits = self.ident().to_owned();
            let len = match digits.parse::<usize>() {
                Ok(len) if len <= MAX_ARRAY => len,
                Ok(_) => {
                    self.pos = start;
                    return Err(
                        self.error(&format!("array length {digits} is larger than {MAX_ARRAY}"))
                    );
                }
                Err(_) => {
                    self.pos = start;
                    return Err(self.error("expected an array length or ']'"));
                }
            };
            self.expect(']', "after the array length")?;
            return Ok(GoType::Array(len, Box::new(self.ty(depth + 1)?)));
        }
        let start = self.pos;
        let mut name = self.ident().to_owned();
        if !name.is_empty() && self.rest().starts_with('.') {
            // A qualified name: `time.Time`.
            self.pos += 1;
            let member = self.src.get(self.pos..).unwrap_or_default();
            let len = member
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(member.len());
            name = format!("{name}.{}", &member[..len]);
            self.pos += len;
        }
        Ok(match name.as_str() {
            "bool" => GoType::Bool,
            "int" => GoType::Int,
            "int8" => GoType::Int8,
            "int16" => GoType::Int16,
            "int32" | "rune" => GoType::Int32,
            "int64" => GoType::Int64,
            "uint" | "uintptr" => GoType::Uint,
            "uint8" | "byte" => GoType::Uint8,
            "uint16" => GoType::Uint16,
            "uint32" => GoType::Uint32,
            "uint64" => GoType::Uint64,
            "float32" => GoType::Float32,
            "float64" => GoType::Float64,
            "string" => GoType::String,
            "map" => {
                self.expect('[', "after map")?;
                let key_at = self.pos;
                let key = self.ty(depth + 1)?;
                if matches!(key, GoType::Slice(_) | GoType::Bytes | GoType::Map(..)) {
                    self.pos = key_at;
                    return Err(self.error(&format!("invalid map key type {key}")));
                }
                self.expect(']', "after the map key type")?;
                GoType::Map(Box::new(key), Box::new(self.ty(depth + 1)?))
            }
            "struct" => self.fields(depth)?,
            "time.Time" => GoType::Time,
            "time.Duration" => GoType::Duration,
            "big.Int" => GoType::BigInt,
            "big.Rat" => GoType::BigRat,
            "big.Float" => GoType::BigFloat,
            "any" => GoType::Interface,
            "interface" => {
                self.expect('{', "after interface")?;
                if !self.eat('}') {
                    return Err(self.error("only the empty interface (interface{}) is supported"));
                }
                GoType::Interface
            }
            other => {
                self.pos = start;
                return Err(self.error(&match other {
                    "" if self.rest().is_empty() => "expected a type".to_string(),
                    "" => format!("expected a type, found {:?}", self.rest()),
                    "error" => "interface types with methods are not supported".to_string(),
                    "complex64" | "complex128" => "complex types are not supported".to_string(),
                    "chan" | "func" => format!("gob cannot send {other} types"),
                    _ => format!("unknown type {other:?}"),
                }));
            }
        })
    }

    /// The `{ ... }` of a struct type.
    fn fields(&mut self, depth: usize) -> Result<GoType, String> {
        self.expect('{', "after struct")?;
        let mut fields: Vec<Field> = Vec::new();
        loop {
            self.space(true);
            while self.eat(';') {
                self.space(true);
            }
            if self.eat('}') {
                return Ok(GoType::Struct(fields));
            }
            let mut names = Vec::new();
            loop {
                let at = self.pos;
                let name = self.ident().to_owned();
                if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                    self.pos = at;
                    return Err(self.error("expected a field name"));
                }
                if fields.iter().any(|f| f.name == name) || names.contains(&name) {
                    self.pos = at;
                    return Err(self.error(&format!("duplicate field {name}")));
                }
                names.push(name);
                if !self.eat(',') {
                    break;
                }
            }
            self.space(false);
            if self.rest().starts_with([';', '}', '\n']) || self.rest().is_empty() {
                return Err(self.error(&format!(
                    "field {} has no type (embedded fields are not supported)",
                    names.join(", ")
                )));
            }
            let ty = self.ty(depth + 1)?;
            for name in names {
                fields.push(Field::new(name, ty.clone()));
            }
            let newline = self.space(true);
            if !(newline || self.rest().starts_with([';', '}'])) {
                return Err(self.error("expected ';' or '}' after a field"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> GoType {
        GoType::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn scalars_and_aliases() {
        for (src, ty) in [
            ("bool", GoType::Bool),
            ("int", GoType::Int),
            ("int8", GoType::Int8),
            ("rune", GoType::Int32),
            ("int64", GoType::Int64),
            ("uint", GoType::Uint),
            ("uintptr", GoType::Uint),
            ("byte", GoType::Uint8),
            ("uint64", GoType::Uint64),
            ("float32", GoType::Float32),
            (" float64 ", GoType::Float64),
            ("string", GoType::String),
            ("[]byte", GoType::Bytes),
            ("[]uint8", GoType::Bytes),
        ] {
            assert_eq!(parse(src), ty, "{src}");
        }
    }

    #[test]
    fn composites_print_back() {
        for (src, printed) in [
            ("[]string", "[]string"),
            ("[2]string", "[2]string"),
            ("[ 4 ]byte", "[4]uint8"),
            ("map[string]int", "map[string]int"),
            ("map[int64][]*float64", "map[int64][]*float64"),
            ("struct{}", "struct {}"),
            (
                "struct { A int; B, C string }",
                "struct { A int; B string; C string }",
            ),
            (
                "struct {\n  Name string\n  Inner struct { X []int }\n}",
                "struct { Name string; Inner struct { X []int } }",
            ),
            ("*struct{A int;}", "*struct { A int }"),
            ("[][]byte", "[][]uint8"),
            ("interface{}", "interface {}"),
            ("[]any", "[]interface {}"),
            ("map[string]interface { }", "map[string]interface {}"),
            ("time.Time", "time.Time"),
            ("*big.Int", "*big.Int"),
            (
                "struct { At time.Time; Wait time.Duration; N big.Rat; F *big.Float }",
                "struct { At time.Time; Wait time.Duration; N big.Rat; F *big.Float }",
            ),
        ] {
            let ty = parse(src);
            assert_eq!(ty.to_string(), printed, "{src}");
            assert_eq!(parse(printed), ty, "{printed}");
        }
    }

    #[test]
    fn errors_name_the_problem() {
        for (src, error) in [
            ("", "expected a type at byte 0 of \"\""),
            (
                "integer",
                "unknown type \"integer\" at byte 0 of \"integer\"",
            ),
            ("[]", "expected a type at byte 2 of \"[]\""),
            (
                "[x]int",
                "expected an array length or ']' at byte 1 of \"[x]int\"",
            ),
            (
                "[2 int",
                "expected ']' after the array length at byte 3 of \"[2 int\"",
            ),
            (
                "map[[]int]bool",
                "invalid map key type []int at byte 4 of \"map[[]int]bool\"",
            ),
            (
                "map[string",
                "expected ']' after the map key type at byte 10 of \"map[string\"",
            ),
            (
                "struct { A int B int }",
                "expected ';' or '}' after a field at byte 15 of \"struct { A int B int }\"",
            ),
            (
                "struct { A int; A string }",
                "duplicate field A at byte 16 of \"struct { A int; A string }\"",
            ),
            (
                "struct { Embedded }",
                "field Embedded has no type (embedded fields are not supported) at byte 18 of \"struct { Embedded }\"",
            ),
            (
                "interface{ String() string }",
                "only the empty interface (interface{}) is supported at byte 11 of \"interface{ String() string }\"",
            ),
            (
                "error",
                "interface types with methods are not supported at byte 0 of \"error\"",
            ),
            (
                "time.Month",
                "unknown type \"time.Month\" at byte 0 of \"time.Month\"",
            ),
            (
                "complex128",
                "complex types are not supported at byte 0 of \"complex128\"",
            ),
            (
                "chan int",
                "gob cannot send chan types at byte 0 of \"chan int\"",
            ),
            (
                "int int",
                "unexpected \"int\" after the type at byte 4 of \"int int\"",
            ),
            (
                "[99999999999]int",
                "array length 99999999999 is larger than 1048576 at byte 1 of \"[99999999999]int\"",
            ),
        ] {
            assert_eq!(GoType::parse(src).unwrap_err(), error, "{src}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[]".repeat(100_000) + "int";
        let err = GoType::parse(&deep).unwrap_err();
        assert!(
            err.starts_with("type nests deeper than 128 levels"),
            "{err}"
        );
        let ok = "*".repeat(100) + "int";
        assert!(GoType::parse(&ok).is_ok());
    }
}
