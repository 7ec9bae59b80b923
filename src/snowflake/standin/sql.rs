//! The SQL the stand-in understands: exactly the shapes parking-iot sends, parsed with a small
//! tokenizer that respects quoted identifiers, string literals and comments (so hostile names
//! with quotes, semicolons or unicode are read as Snowflake reads them).
//!
//! Shapes: `CREATE DATABASE|SCHEMA|PIPE|VIEW [IF NOT EXISTS] name ...`,
//! `CREATE [ICEBERG] TABLE [IF NOT EXISTS] name (col type ..., ...) ...`,
//! `INSERT INTO name (col, ...) VALUES (v, ...), ...` where each v is `?`, `NULL`,
//! `CURRENT_TIMESTAMP()`, a number or a string literal, `SELECT COUNT(*) FROM name`,
//! `SELECT CURRENT_VERSION(), CURRENT_USER(), CURRENT_ROLE(), CURRENT_WAREHOUSE()`,
//! `SELECT SYSTEM$WAIT(n)`, and `BEGIN`/`COMMIT`/`ROLLBACK`.

/// A token.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// An identifier as stored: unquoted upper-cased, quoted exact.
    Ident(String),
    /// A string literal's value.
    Str(String),
    /// A number.
    Num(String),
    /// `?`.
    Placeholder,
    /// Any other character.
    Punct(char),
}

/// Splits a request into statements at `;` outside quotes and comments.
pub fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                cur.push(c);
                while let Some(d) = chars.next() {
                    cur.push(d);
                    if d == '\\' && c == '\'' {
                        if let Some(e) = chars.next() {
                            cur.push(e);
                        }
                    } else if d == c {
                        if chars.peek() == Some(&c) {
                            cur.push(c);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        cur.push('\n');
                        break;
                    }
                }
            }
            ';' => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_string());
                }
                cur.clear();
            }
            c => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// Tokenizes one statement; `Err` describes unbalanced quotes.
pub fn tokenize(sql: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let b: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && b.get(i + 1) == Some(&'-') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '"' || c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err(format!("unterminated {c} quote")),
                    Some('\\') if c == '\'' => {
                        match b.get(i + 1) {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some(&d) => s.push(d),
                            None => return Err("unterminated escape".into()),
                        }
                        i += 2;
                    }
                    Some(&d) if d == c => {
                        if b.get(i + 1) == Some(&c) {
                            s.push(c);
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    }
                    Some(&d) => {
                        s.push(d);
                        i += 1;
                    }
                }
            }
            toks.push(if c == '"' { Tok::Ident(s) } else { Tok::Str(s) });
        } else if c == '?' {
            toks.push(Tok::Placeholder);
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '-' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while i < b.len()
                && (b[i].is_ascii_digit() || b[i] == '.' || b[i] == 'e' || b[i] == 'E')
            {
                i += 1;
            }
            toks.push(Tok::Num(b[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_' || b[i] == '$') {
                i += 1;
            }
            let word: String = b[start..i].iter().collect();
            toks.push(Tok::Ident(word.to_uppercase()));
        } else {
            toks.push(Tok::Punct(c));
            i += 1;
        }
    }
    Ok(toks)
}

/// Counts `?` placeholders outside quotes and comments.
pub fn count_placeholders(sql: &str) -> usize {
    tokenize(sql)
        .map(|t| t.iter().filter(|t| **t == Tok::Placeholder).count())
        .unwrap_or(0)
}

/// A value in a VALUES tuple.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `?`: the next binding.
    Placeholder,
    /// `NULL`.
    Null,
    /// `CURRENT_TIMESTAMP()`.
    Now,
    /// A literal.
    Literal(String),
}

/// A parsed statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// CREATE DATABASE / SCHEMA / PIPE.
    CreateObject {
        /// `DATABASE`, `SCHEMA`, `PIPE` or `VIEW`.
        kind: String,
        /// Qualified name parts.
        name: Vec<String>,
    },
    /// CREATE [ICEBERG] TABLE.
    CreateTable {
        /// Qualified name parts.
        name: Vec<String>,
        /// Column names.
        columns: Vec<String>,
        /// Iceberg table.
        iceberg: bool,
    },
    /// INSERT ... VALUES.
    Insert {
        /// Qualified name parts.
        table: Vec<String>,
        /// Columns named.
        columns: Vec<String>,
        /// Tuples.
        rows: Vec<Vec<Value>>,
    },
    /// SELECT COUNT(*) FROM t.
    Count {
        /// Qualified name parts.
        table: Vec<String>,
    },
    /// The connection test query.
    TestQuery,
    /// SELECT SYSTEM$WAIT(n): a slow statement.
    Wait(f64),
    /// BEGIN / COMMIT / ROLLBACK.
    Transaction,
}

struct P {
    t: Vec<Tok>,
    i: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.t.get(self.i).cloned();
        self.i += 1;
        t
    }
    fn word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(x)) if x == w) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn punct(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect_punct(&mut self, c: char) -> Result<(), String> {
        if self.punct(c) {
            Ok(())
        } else {
            Err(format!(
                "syntax error: expected '{c}' near token {}",
                self.i
            ))
        }
    }
    fn if_not_exists(&mut self) {
        if self.word("IF") {
            self.word("NOT");
            self.word("EXISTS");
        }
    }
    fn name(&mut self) -> Result<Vec<String>, String> {
        let mut parts = Vec::new();
        loop {
            match self.next() {
                Some(Tok::Ident(s)) => parts.push(s),
                other => return Err(format!("syntax error: expected a name, found {other:?}")),
            }
            if !self.punct('.') {
                return Ok(parts);
            }
        }
    }
    fn ident_list(&mut self) -> Result<Vec<String>, String> {
        self.expect_punct('(')?;
        let mut cols = Vec::new();
        loop {
            match self.next() {
                Some(Tok::Ident(s)) => cols.push(s),
                other => return Err(format!("syntax error: expected a column, found {other:?}")),
            }
            if self.punct(')') {
                return Ok(cols);
            }
            self.expect_punct(',')?;
        }
    }
}

/// Parses one statement.
pub fn parse(sql: &str) -> Result<Stmt, String> {
    let toks = tokenize(sql)?;
    let mut p = P { t: toks, i: 0 };
    if p.word("BEGIN") || p.word("COMMIT") || p.word("ROLLBACK") {
        return Ok(Stmt::Transaction);
    }
    if p.word("CREATE") {
        p.word("OR");
        p.word("REPLACE");
        let iceberg = p.word("ICEBERG");
        if p.word("TABLE") {
            p.if_not_exists();
            let name = p.name()?;
            p.expect_punct('(')?;
            // Column definitions: the first identifier after '(' or a top-level ','.
            let mut columns = Vec::new();
            let mut depth = 1;
            let mut expect_name = true;
            while depth > 0 {
                match p.next() {
                    None => return Err("syntax error: unclosed column list".into()),
                    Some(Tok::Punct('(')) => depth += 1,
                    Some(Tok::Punct(')')) => depth -= 1,
                    Some(Tok::Punct(',')) if depth == 1 => expect_name = true,
                    Some(Tok::Ident(s)) if expect_name => {
                        columns.push(s);
                        expect_name = false;
                    }
                    _ => {}
                }
            }
            return Ok(Stmt::CreateTable {
                name,
                columns,
                iceberg,
            });
        }
        for kind in ["DATABASE", "SCHEMA", "PIPE", "VIEW"] {
            if p.word(kind) {
                p.if_not_exists();
                let name = p.name()?;
                return Ok(Stmt::CreateObject {
                    kind: kind.into(),
                    name,
                });
            }
        }
        return Err("the stand-in does not implement this CREATE".into());
    }
    if p.word("INSERT") {
        if !p.word("INTO") {
            return Err("syntax error: INSERT without INTO".into());
        }
        let table = p.name()?;
        let columns = p.ident_list()?;
        if !p.word("VALUES") {
            return Err("the stand-in takes INSERT ... VALUES only".into());
        }
        let mut rows = Vec::new();
        loop {
            p.expect_punct('(')?;
            let mut row = Vec::with_capacity(columns.len());
            loop {
                let v = match p.next() {
                    Some(Tok::Placeholder) => Value::Placeholder,
                    Some(Tok::Ident(w)) if w == "NULL" => Value::Null,
                    Some(Tok::Ident(w)) if w == "CURRENT_TIMESTAMP" => {
                        if p.punct('(') {
                            p.expect_punct(')')?;
                        }
                        Value::Now
                    }
                    Some(Tok::Str(s)) | Some(Tok::Num(s)) => Value::Literal(s),
                    other => return Err(format!("syntax error: unexpected {other:?} in VALUES")),
                };
                row.push(v);
                if p.punct(')') {
                    break;
                }
                p.expect_punct(',')?;
            }
            if row.len() != columns.len() {
                return Err(format!(
                    "Insert value list does not match column list expecting {} but got {}",
                    columns.len(),
                    row.len()
                ));
            }
            rows.push(row);
            if !p.punct(',') {
                break;
            }
        }
        if p.peek().is_some() {
            return Err("syntax error: unexpected text after VALUES".into());
        }
        return Ok(Stmt::Insert {
            table,
            columns,
            rows,
        });
    }
    if p.word("SELECT") {
        if p.word("COUNT") {
            p.expect_punct('(')?;
            p.expect_punct('*')?;
            p.expect_punct(')')?;
            if !p.word("FROM") {
                return Err("syntax error: COUNT(*) without FROM".into());
            }
            return Ok(Stmt::Count { table: p.name()? });
        }
        if p.word("SYSTEM$WAIT") {
            p.expect_punct('(')?;
            let secs = match p.next() {
                Some(Tok::Num(n)) => n.parse::<f64>().unwrap_or(0.0),
                _ => 0.0,
            };
            return Ok(Stmt::Wait(secs));
        }
        if p.word("CURRENT_VERSION") {
            return Ok(Stmt::TestQuery);
        }
    }
    Err("the stand-in does not implement this statement".into())
}
