//! One connection to a Redis server: URL parsing, the handshake (AUTH, SELECT), commands,
//! pipelines, and typed helpers for the stream commands a consumer group needs.
//!
//! Error messages name the server as `redis://host:port[/db]` and never hold the password.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufReader, Read, Write};
use std::net::{Ipv6Addr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use thiserror::Error;

use super::resp::{self, Reply, RespError};

/// The port Redis listens on unless told otherwise.
const DEFAULT_PORT: u16 = 6379;

/// The accepted URL form, for error messages.
const URL_FORM: &str = "redis://[[user]:password@]host[:port][/db]";

/// An encoded command buffer larger than this is dropped after use rather than kept: one
/// large XADD should not pin its size for the life of the connection.
const KEEP_BUFFER: usize = 1 << 20;

/// Where and how to connect: `redis://[[user]:password@]host[:port][/db]`.
///
/// `Display` and `Debug` never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Url {
    /// A host name or IP address; an IPv6 address without its brackets.
    pub host: String,
    pub port: u16,
    /// The ACL user for `AUTH user password`; `None` authenticates as the default user.
    pub user: Option<String>,
    pub password: Option<String>,
    /// The database to `SELECT`, when given.
    pub db: Option<u32>,
}

/// A URL that is not `redis://[[user]:password@]host[:port][/db]`. The message never
/// quotes the URL, which may hold a password.
#[derive(Debug, Error)]
#[error("invalid Redis URL: {0}")]
pub struct UrlError(String);

impl Url {
    pub fn parse(s: &str) -> Result<Url, UrlError> {
        let rest = strip_scheme(s)?;
        // The last `@` ends the credentials, so a password may hold `@` and `/`.
        let (userinfo, hostpart) = match rest.rfind('@') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            Some(u) => parse_userinfo(u)?,
            None => (None, None),
        };
        let (authority, db) = match hostpart.split_once('/') {
            Some((authority, db)) => (authority, parse_db(db)?),
            None => (hostpart, None),
        };
        let (host, port) = parse_host_port(authority)?;
        Ok(Url {
            host,
            port,
            user,
            password,
            db,
        })
    }
}

impl std::str::FromStr for Url {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Url, UrlError> {
        Url::parse(s)
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "redis://[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "redis://{}:{}", self.host, self.port)?;
        }
        match self.db {
            Some(db) => write!(f, "/{db}"),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Url")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("db", &self.db)
            .finish()
    }
}

/// The part after `redis://`; other schemes are refused by name.
fn strip_scheme(s: &str) -> Result<&str, UrlError> {
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err(UrlError(format!("no scheme; expected {URL_FORM}")));
    };
    if scheme.eq_ignore_ascii_case("redis") {
        return Ok(rest);
    }
    let why = if scheme.eq_ignore_ascii_case("rediss") {
        "rediss:// (Redis over TLS) is not supported".to_string()
    } else if scheme.eq_ignore_ascii_case("unix") || scheme.eq_ignore_ascii_case("redis+unix") {
        "Unix socket URLs are not supported".to_string()
    } else if is_scheme_name(scheme) {
        format!("unsupported scheme {scheme:?}")
    } else {
        // Not a scheme name: maybe credentials written without one; do not echo them.
        "no scheme".to_string()
    };
    Err(UrlError(format!("{why}; expected {URL_FORM}")))
}

/// RFC 3986 scheme characters, and short: text that can be quoted back safely.
fn is_scheme_name(s: &str) -> bool {
    (1..=16).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// `user:password` or `:password`, %-decoded. A user without a password is refused: AUTH
/// needs one, and sending none would fail later with a less clear message.
fn parse_userinfo(u: &str) -> Result<(Option<String>, Option<String>), UrlError> {
    let Some((user, password)) = u.split_once(':') else {
        return Err(UrlError(format!(
            "credentials without a ':' before the password; expected {URL_FORM}"
        )));
    };
    match (user.is_empty(), password.is_empty()) {
        (true, true) => Ok((None, None)),
        (false, true) => Err(UrlError("a user with an empty password".into())),
        (true, false) => Ok((None, Some(percent_decode(password, "password")?))),
        (false, false) => Ok((
            Some(percent_decode(user, "user")?),
            Some(percent_decode(password, "password")?),
        )),
    }
}

/// `%XX` escapes decoded; `what` names the part in errors, which never quote it.
fn percent_decode(s: &str, what: &str) -> Result<String, UrlError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let hi = bytes.get(i + 1).copied().and_then(hex_value);
        let lo = bytes.get(i + 2).copied().and_then(hex_value);
        let (Some(hi), Some(lo)) = (hi, lo) else {
            return Err(UrlError(format!("an invalid %-escape in the {what}")));
        };
        out.push((hi << 4) | lo);
        i += 3;
    }
    String::from_utf8(out).map_err(|_| UrlError(format!("the {what} is not UTF-8 once decoded")))
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn parse_host_port(authority: &str) -> Result<(String, u16), UrlError> {
    if authority.is_empty() {
        return Err(UrlError(format!("no host; expected {URL_FORM}")));
    }
    if let Some(rest) = authority.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(UrlError("an IPv6 address without its closing ]".into()));
        };
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(UrlError("not an IPv6 address inside [ ]".into()));
        }
        let port = match after {
            "" => DEFAULT_PORT,
            _ => match after.strip_prefix(':') {
                Some(p) => parse_port(p)?,
                None => return Err(UrlError("text after the ] of an IPv6 address".into())),
            },
        };
        return Ok((host.to_string(), port));
    }
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, parse_port(port)?),
        None => (authority, DEFAULT_PORT),
    };
    if host.is_empty() {
        return Err(UrlError(format!("no host; expected {URL_FORM}")));
    }
    Ok((host.to_string(), port))
}

fn parse_port(p: &str) -> Result<u16, UrlError> {
    match p.parse::<u16>() {
        Ok(port) if port != 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(port),
        // An IPv6 address written bare splits at its first ':' into a "port" like "1".
        _ if p.contains(':') => Err(UrlError(
            "an IPv6 address must be in brackets, as in redis://[::1]:6379".into(),
        )),
        _ => Err(UrlError("the port is not a number from 1 to 65535".into())),
    }
}

/// The path after the host: empty, or a database number.
fn parse_db(db: &str) -> Result<Option<u32>, UrlError> {
    if db.is_empty() {
        return Ok(None);
    }
    match db.parse::<u32>() {
        Ok(n) if db.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
        _ => Err(UrlError(
            "the database after the host is not a number, as in redis://host/0".into(),
        )),
    }
}

/// What went wrong talking to the server. `url` is the server as [`Url`] displays it.
#[derive(Debug, Error)]
pub enum ClientError {
    /// Resolving, connecting, writing or setting a socket option failed; `what` says which.
    #[error("{url}: {what}: {source}")]
    Io {
        url: String,
        what: &'static str,
        #[source]
        source: io::Error,
    },
    /// Reading a reply failed: I/O, the connection closed, or bytes that are not RESP2.
    #[error("{url}: {source}")]
    Reply {
        url: String,
        #[source]
        source: RespError,
    },
    /// The server answered a command with an error reply, as it wrote it (`BUSYGROUP ...`).
    #[error("Redis error: {0}")]
    Server(String),
    /// AUTH or SELECT while connecting was refused.
    #[error("{url}: {command} refused: {message}")]
    Handshake {
        url: String,
        command: &'static str,
        message: String,
    },
    /// A reply of the wrong shape for its command.
    #[error("{url}: {command}: unexpected reply: {detail}")]
    Unexpected {
        url: String,
        command: &'static str,
        detail: String,
    },
    /// An earlier read or write failed part way, so replies may no longer match commands.
    #[error("{url}: the connection is unusable after an earlier error; reconnect")]
    Broken { url: String },
}

/// One stream entry. `fields` is empty for an entry deleted while it was pending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Entry {
    /// The value of the first field called `name`.
    pub fn field(&self, name: &[u8]) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(k, _)| k.as_slice() == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// What XAUTOCLAIM did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoClaimed {
    /// Where the next call starts; `0-0` when the whole pending list was scanned.
    pub next_start: String,
    /// Entries now pending for the claiming consumer.
    pub entries: Vec<Entry>,
    /// Pending ids no longer in the stream, removed from the pending list (Redis 7; always
    /// empty from Redis 6.2, which does not report them).
    pub deleted: Vec<String>,
}

/// The summary form of XPENDING.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingSummary {
    /// Entries delivered to the group and not yet acknowledged.
    pub count: i64,
    pub smallest_id: Option<String>,
    pub largest_id: Option<String>,
    /// Each consumer with pending entries, and how many.
    pub consumers: Vec<(String, i64)>,
}

/// A connection. Commands are strictly request then reply; after an I/O or protocol error
/// the connection is marked broken and refuses further commands, since it may be part way
/// through a reply.
pub struct Client {
    reader: BufReader<Box<dyn Read + Send>>,
    writer: Box<dyn Write + Send>,
    /// The socket itself, for timeouts; `None` over other streams (tests).
    tcp: Option<TcpStream>,
    /// The server without credentials, for messages.
    name: String,
    /// Bytes of replies read so far: error offsets count in the whole connection.
    offset: u64,
    /// The encoded command(s), reused.
    out: Vec<u8>,
    /// SHA1 of each script already loaded, by script text.
    scripts: HashMap<String, String>,
    read_timeout: Option<Duration>,
    broken: bool,
}

impl Client {
    /// Connects, with `timeout` for the connect and as the read and write timeout, then
    /// authenticates and selects the database if `url` says so.
    pub fn connect(url: &Url, timeout: Duration) -> Result<Client, ClientError> {
        let name = url.to_string();
        let stream = open(url, &name, timeout)?;
        let setup = |r: io::Result<()>, what| r.map_err(|e| io_error(&name, what, e));
        setup(stream.set_nodelay(true), "set TCP_NODELAY")?;
        setup(stream.set_read_timeout(Some(timeout)), "set read timeout")?;
        setup(stream.set_write_timeout(Some(timeout)), "set write timeout")?;
        let reader = stream
            .try_clone()
            .map_err(|e| io_error(&name, "clone socket", e))?;
        let writer = stream
            .try_clone()
            .map_err(|e| io_error(&name, "clone socket", e))?;
        let mut client = Client::over(name, Box::new(reader), Box::new(writer));
        client.tcp = Some(stream);
        client.read_timeout = Some(timeout);
        client.handshake(url)?;
        Ok(client)
    }

    /// A client over any pair of streams, without timeouts.
    fn over(name: String, reader: Box<dyn Read + Send>, writer: Box<dyn Write + Send>) -> Client {
        Client {
            reader: BufReader::new(reader),
            writer,
            tcp: None,
            name,
            offset: 0,
            out: Vec::new(),
            scripts: HashMap::new(),
            read_timeout: None,
            broken: false,
        }
    }

    fn handshake(&mut self, url: &Url) -> Result<(), ClientError> {
        if let Some(password) = &url.password {
            let mut args: Vec<&[u8]> = vec![b"AUTH"];
            if let Some(user) = &url.user {
                args.push(user.as_bytes());
            }
            args.push(password.as_bytes());
            self.setup_command("AUTH", &args)?;
        }
        if let Some(db) = url.db {
            let db = db.to_string();
            self.setup_command("SELECT", &[b"SELECT", db.as_bytes()])?;
        }
        Ok(())
    }

    /// A handshake command; its error reply (which never echoes the password) is a
    /// [`ClientError::Handshake`].
    fn setup_command(&mut self, command: &'static str, args: &[&[u8]]) -> Result<(), ClientError> {
        match self.cmd(args) {
            Ok(_) => Ok(()),
            Err(ClientError::Server(message)) => Err(ClientError::Handshake {
                url: self.name.clone(),
                command,
                message,
            }),
            Err(e) => Err(e),
        }
    }

    /// How long a read waits for the server; `None` waits for ever. Blocking stream reads
    /// add their block time to it (see [`Client::xreadgroup`]).
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<(), ClientError> {
        self.apply_read_timeout(timeout)?;
        self.read_timeout = timeout;
        Ok(())
    }

    fn apply_read_timeout(&self, timeout: Option<Duration>) -> Result<(), ClientError> {
        match &self.tcp {
            Some(tcp) => tcp
                .set_read_timeout(timeout)
                .map_err(|e| io_error(&self.name, "set read timeout", e)),
            None => Ok(()),
        }
    }

    /// Sends one command and reads its reply; an error reply is [`ClientError::Server`].
    pub fn cmd(&mut self, args: &[&[u8]]) -> Result<Reply, ClientError> {
        self.usable()?;
        self.out.clear();
        resp::encode(&mut self.out, args);
        self.send()?;
        match self.receive()? {
            Reply::Error(message) => Err(ClientError::Server(message)),
            reply => Ok(reply),
        }
    }

    /// Sends all commands in one write, then reads one reply per command, in order. Error
    /// replies stay in the result as [`Reply::Error`]: the other commands still ran.
    pub fn pipeline(&mut self, cmds: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>, ClientError> {
        self.usable()?;
        if cmds.is_empty() {
            return Ok(Vec::new());
        }
        self.out.clear();
        for cmd in cmds {
            resp::encode_args(&mut self.out, cmd);
        }
        self.send()?;
        let mut replies = Vec::with_capacity(cmds.len());
        for _ in cmds {
            replies.push(self.receive()?);
        }
        Ok(replies)
    }

    fn usable(&self) -> Result<(), ClientError> {
        if self.broken {
            return Err(ClientError::Broken {
                url: self.name.clone(),
            });
        }
        Ok(())
    }

    /// Writes the encoded buffer.
    fn send(&mut self) -> Result<(), ClientError> {
        let written = self
            .writer
            .write_all(&self.out)
            .and_then(|()| self.writer.flush());
        if self.out.capacity() > KEEP_BUFFER {
            self.out = Vec::new();
        }
        written.map_err(|e| {
            self.broken = true;
            io_error(&self.name, "write", e)
        })
    }

    fn receive(&mut self) -> Result<Reply, ClientError> {
        resp::read_reply_at(&mut self.reader, &mut self.offset).map_err(|source| {
            self.broken = true;
            ClientError::Reply {
                url: self.name.clone(),
                source,
            }
        })
    }

    fn unexpected(&self, command: &'static str, detail: String) -> ClientError {
        ClientError::Unexpected {
            url: self.name.clone(),
            command,
            detail,
        }
    }

    /// `XGROUP CREATE key group start_id MKSTREAM`: `Ok(true)` if created, `Ok(false)` if
    /// the group already exists, so every consumer can call it at start.
    pub fn xgroup_create(
        &mut self,
        key: &str,
        group: &str,
        start_id: &str,
    ) -> Result<bool, ClientError> {
        let args: [&[u8]; 6] = [
            b"XGROUP",
            b"CREATE",
            key.as_bytes(),
            group.as_bytes(),
            start_id.as_bytes(),
            b"MKSTREAM",
        ];
        match self.cmd(&args) {
            Ok(_) => Ok(true),
            Err(ClientError::Server(m)) if m.starts_with("BUSYGROUP") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `XREADGROUP GROUP group consumer COUNT count [BLOCK block_ms] STREAMS key id`: `id`
    /// is `>` for new entries or `0` for this consumer's own pending ones. A timeout is an
    /// empty result. While blocking, the read timeout is extended by `block_ms` (none at
    /// all for `BLOCK 0`, which waits for ever), so a quiet stream is not a broken
    /// connection.
    pub fn xreadgroup(
        &mut self,
        group: &str,
        consumer: &str,
        key: &str,
        count: usize,
        block_ms: Option<u64>,
        id: &str,
    ) -> Result<Vec<Entry>, ClientError> {
        let count = count.to_string();
        let block = block_ms.map(|ms| ms.to_string());
        let mut args: Vec<&[u8]> = vec![
            b"XREADGROUP",
            b"GROUP",
            group.as_bytes(),
            consumer.as_bytes(),
            b"COUNT",
            count.as_bytes(),
        ];
        if let Some(block) = &block {
            args.extend([b"BLOCK".as_slice(), block.as_bytes()]);
        }
        args.extend([b"STREAMS".as_slice(), key.as_bytes(), id.as_bytes()]);
        let reply = match block_ms {
            Some(ms) => self.cmd_blocking(&args, ms)?,
            None => self.cmd(&args)?,
        };
        decode_xread(reply).map_err(|d| self.unexpected("XREADGROUP", d))
    }

    /// [`Client::cmd`] for a command the server may hold for `block_ms` before replying.
    fn cmd_blocking(&mut self, args: &[&[u8]], block_ms: u64) -> Result<Reply, ClientError> {
        let normal = self.read_timeout;
        let during = match normal {
            Some(t) if block_ms > 0 => t.checked_add(Duration::from_millis(block_ms)),
            _ => None,
        };
        self.apply_read_timeout(during)?;
        let reply = self.cmd(args);
        let restored = self.apply_read_timeout(normal);
        let reply = reply?;
        restored?;
        Ok(reply)
    }

    /// `XAUTOCLAIM key group consumer min_idle_ms start COUNT count`: takes over entries
    /// pending for at least `min_idle_ms` with another consumer (one that died, say).
    pub fn xautoclaim(
        &mut self,
        key: &str,
        group: &str,
        consumer: &str,
        min_idle_ms: u64,
        start: &str,
        count: usize,
    ) -> Result<AutoClaimed, ClientError> {
        let min_idle = min_idle_ms.to_string();
        let count = count.to_string();
        let args: [&[u8]; 8] = [
            b"XAUTOCLAIM",
            key.as_bytes(),
            group.as_bytes(),
            consumer.as_bytes(),
            min_idle.as_bytes(),
            start.as_bytes(),
            b"COUNT",
            count.as_bytes(),
        ];
        let reply = self.cmd(&args)?;
        decode_autoclaim(reply).map_err(|d| self.unexpected("XAUTOCLAIM", d))
    }

    /// `XACK key group id...`: how many of `ids` were pending and are now acknowledged.
    pub fn xack(&mut self, key: &str, group: &str, ids: &[&str]) -> Result<i64, ClientError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut args: Vec<&[u8]> = vec![b"XACK", key.as_bytes(), group.as_bytes()];
        args.extend(ids.iter().map(|id| id.as_bytes()));
        let reply = self.cmd(&args)?;
        self.integer("XACK", reply)
    }

    /// `XADD key [MAXLEN ~ n] * field value...`, as Suricata writes records (trimming
    /// approximately, which is cheap for the server); returns the new entry's id.
    pub fn xadd(
        &mut self,
        key: &str,
        maxlen: Option<usize>,
        fields: &[(&[u8], &[u8])],
    ) -> Result<String, ClientError> {
        let maxlen = maxlen.map(|n| n.to_string());
        let mut args: Vec<&[u8]> = vec![b"XADD", key.as_bytes()];
        if let Some(n) = &maxlen {
            args.extend([b"MAXLEN".as_slice(), b"~", n.as_bytes()]);
        }
        args.push(b"*");
        for (name, value) in fields {
            args.extend([*name, *value]);
        }
        let reply = self.cmd(&args)?;
        match reply.into_string() {
            Some(id) => Ok(id),
            None => Err(self.unexpected("XADD", "an id that is not a string".into())),
        }
    }

    /// `XPENDING key group`: the group's pending entries, summarised.
    pub fn xpending_summary(
        &mut self,
        key: &str,
        group: &str,
    ) -> Result<PendingSummary, ClientError> {
        let reply = self.cmd(&[b"XPENDING", key.as_bytes(), group.as_bytes()])?;
        decode_pending_summary(reply).map_err(|d| self.unexpected("XPENDING", d))
    }

    /// `XLEN key`: entries in the stream (0 if there is none).
    pub fn xlen(&mut self, key: &str) -> Result<i64, ClientError> {
        let reply = self.cmd(&[b"XLEN", key.as_bytes()])?;
        self.integer("XLEN", reply)
    }

    /// `DEL key...`: how many of `keys` existed.
    pub fn del(&mut self, keys: &[&str]) -> Result<i64, ClientError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let mut args: Vec<&[u8]> = vec![b"DEL"];
        args.extend(keys.iter().map(|k| k.as_bytes()));
        let reply = self.cmd(&args)?;
        self.integer("DEL", reply)
    }

    /// Runs a Lua script by its SHA1 (`EVALSHA`), loading it once per connection with
    /// `SCRIPT LOAD` so the script text is sent once; if the server has lost it (`NOSCRIPT`:
    /// a restart, `SCRIPT FLUSH`) it is sent whole with `EVAL`, which also reloads it.
    pub fn eval(
        &mut self,
        script: &str,
        keys: &[&str],
        args: &[&[u8]],
    ) -> Result<Reply, ClientError> {
        let sha = self.script_sha(script)?;
        let numkeys = keys.len().to_string();
        let mut tail: Vec<&[u8]> = vec![numkeys.as_bytes()];
        tail.extend(keys.iter().map(|k| k.as_bytes()));
        tail.extend_from_slice(args);
        let mut command: Vec<&[u8]> = vec![b"EVALSHA", sha.as_bytes()];
        command.extend_from_slice(&tail);
        match self.cmd(&command) {
            Err(ClientError::Server(m)) if m.starts_with("NOSCRIPT") => {
                command[0] = b"EVAL";
                command[1] = script.as_bytes();
                self.cmd(&command)
            }
            other => other,
        }
    }

    /// The SHA1 of `script`, loading it on first use.
    fn script_sha(&mut self, script: &str) -> Result<String, ClientError> {
        if let Some(sha) = self.scripts.get(script) {
            return Ok(sha.clone());
        }
        let reply = self.cmd(&[b"SCRIPT", b"LOAD", script.as_bytes()])?;
        let Some(sha) = reply.into_string() else {
            return Err(self.unexpected("SCRIPT LOAD", "a SHA1 that is not a string".into()));
        };
        self.scripts.insert(script.to_string(), sha.clone());
        Ok(sha)
    }

    fn integer(&self, command: &'static str, reply: Reply) -> Result<i64, ClientError> {
        reply
            .as_int()
            .ok_or_else(|| self.unexpected(command, format!("{}, not an integer", kind(&reply))))
    }
}

/// Resolves the host and connects to its first address that answers.
fn open(url: &Url, name: &str, timeout: Duration) -> Result<TcpStream, ClientError> {
    let addrs = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| io_error(name, "resolve", e))?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    let e = last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"));
    Err(io_error(name, "connect", e))
}

fn io_error(name: &str, what: &'static str, source: io::Error) -> ClientError {
    ClientError::Io {
        url: name.to_string(),
        what,
        source,
    }
}

/// A reply's type, for messages about replies of the wrong shape.
fn kind(reply: &Reply) -> &'static str {
    match reply {
        Reply::Simple(_) => "a status",
        Reply::Error(_) => "an error",
        Reply::Integer(_) => "an integer",
        Reply::Bulk(_) => "a bulk string",
        Reply::Nil => "nil",
        Reply::Array(_) => "an array",
    }
}

fn array(reply: Reply, what: &str) -> Result<Vec<Reply>, String> {
    match reply {
        Reply::Array(items) => Ok(items),
        other => Err(format!("{what} is {}, not an array", kind(&other))),
    }
}

fn string(reply: Reply, what: &str) -> Result<String, String> {
    let shape = kind(&reply);
    reply
        .into_string()
        .ok_or_else(|| format!("{what} is {shape}, not a UTF-8 string"))
}

fn bytes(reply: Reply, what: &str) -> Result<Vec<u8>, String> {
    let shape = kind(&reply);
    reply
        .into_bytes()
        .ok_or_else(|| format!("{what} is {shape}, not a string"))
}

/// An XREADGROUP reply: nil (timed out) or `[[key, entries]...]`; the entries of every
/// stream, in order.
fn decode_xread(reply: Reply) -> Result<Vec<Entry>, String> {
    if reply.is_nil() {
        return Ok(Vec::new());
    }
    let mut entries = Vec::new();
    for stream in array(reply, "the reply")? {
        let mut pair = array(stream, "a stream")?.into_iter();
        let (Some(_key), Some(list), None) = (pair.next(), pair.next(), pair.next()) else {
            return Err("a stream that is not [key, entries]".into());
        };
        entries.extend(decode_entries(list)?);
    }
    Ok(entries)
}

/// A list of entries; nil entries (Redis 6.2's XAUTOCLAIM for deleted ones) are left out.
fn decode_entries(reply: Reply) -> Result<Vec<Entry>, String> {
    if reply.is_nil() {
        return Ok(Vec::new());
    }
    let items = array(reply, "the entries")?;
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        if let Some(entry) = decode_entry(item)? {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// `[id, [field, value...]]`; the fields are nil for an entry deleted while pending.
fn decode_entry(reply: Reply) -> Result<Option<Entry>, String> {
    if reply.is_nil() {
        return Ok(None);
    }
    let mut pair = array(reply, "an entry")?.into_iter();
    let (Some(id), Some(fields), None) = (pair.next(), pair.next(), pair.next()) else {
        return Err("an entry that is not [id, fields]".into());
    };
    let id = string(id, "an entry id")?;
    let fields = decode_fields(fields)?;
    Ok(Some(Entry { id, fields }))
}

/// An entry's field names and values, in order.
type Fields = Vec<(Vec<u8>, Vec<u8>)>;

fn decode_fields(reply: Reply) -> Result<Fields, String> {
    if reply.is_nil() {
        return Ok(Vec::new());
    }
    let items = array(reply, "an entry's fields")?;
    if items.len() % 2 != 0 {
        return Err(format!(
            "an entry with {} field names and values",
            items.len()
        ));
    }
    let mut fields = Vec::with_capacity(items.len() / 2);
    let mut items = items.into_iter();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        fields.push((bytes(name, "a field name")?, bytes(value, "a field value")?));
    }
    Ok(fields)
}

/// `[next_start, entries]` (Redis 6.2) or `[next_start, entries, deleted_ids]` (Redis 7).
fn decode_autoclaim(reply: Reply) -> Result<AutoClaimed, String> {
    let items = array(reply, "the reply")?;
    let n = items.len();
    let mut items = items.into_iter();
    let (Some(next), Some(entries)) = (items.next(), items.next()) else {
        return Err(format!("{n} elements, not 2 or 3"));
    };
    let deleted = match (items.next(), items.next()) {
        (None, _) => Vec::new(),
        (Some(ids), None) => array(ids, "the deleted ids")?
            .into_iter()
            .map(|id| string(id, "a deleted id"))
            .collect::<Result<_, _>>()?,
        (Some(_), Some(_)) => return Err(format!("{n} elements, not 2 or 3")),
    };
    Ok(AutoClaimed {
        next_start: string(next, "the next start id")?,
        entries: decode_entries(entries)?,
        deleted,
    })
}

/// `[count, smallest, largest, [[consumer, count]...]]`, the ids and list nil when nothing
/// is pending; a consumer's count comes as a string.
fn decode_pending_summary(reply: Reply) -> Result<PendingSummary, String> {
    let mut items = array(reply, "the reply")?.into_iter();
    let (Some(count), Some(smallest), Some(largest), Some(consumers), None) = (
        items.next(),
        items.next(),
        items.next(),
        items.next(),
        items.next(),
    ) else {
        return Err("not [count, smallest, largest, consumers]".into());
    };
    let Some(count) = count.as_int() else {
        return Err(format!("the count is {}, not an integer", kind(&count)));
    };
    let optional_id = |r: Reply, what| match r {
        Reply::Nil => Ok(None),
        r => string(r, what).map(Some),
    };
    let mut summary = PendingSummary {
        count,
        smallest_id: optional_id(smallest, "the smallest id")?,
        largest_id: optional_id(largest, "the largest id")?,
        consumers: Vec::new(),
    };
    if !consumers.is_nil() {
        for consumer in array(consumers, "the consumers")? {
            summary.consumers.push(decode_consumer_count(consumer)?);
        }
    }
    Ok(summary)
}

fn decode_consumer_count(reply: Reply) -> Result<(String, i64), String> {
    let mut pair = array(reply, "a consumer")?.into_iter();
    let (Some(name), Some(count), None) = (pair.next(), pair.next(), pair.next()) else {
        return Err("a consumer that is not [name, count]".into());
    };
    let count = match &count {
        Reply::Integer(n) => Some(*n),
        other => other.as_str().and_then(|s| s.parse().ok()),
    };
    let Some(count) = count else {
        return Err("a consumer's count that is not a number".into());
    };
    Ok((string(name, "a consumer name")?, count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn url_error(s: &str) -> String {
        match Url::parse(s) {
            Ok(u) => panic!("{s} parsed as {u:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn url_defaults_and_parts() {
        let u = url("redis://localhost");
        assert_eq!((u.host.as_str(), u.port, u.db), ("localhost", 6379, None));
        assert_eq!((u.user, u.password), (None, None));
        let u = url("redis://10.0.0.5:6380/3");
        assert_eq!((u.host.as_str(), u.port, u.db), ("10.0.0.5", 6380, Some(3)));
        assert_eq!(url("redis://h/").db, None);
        assert_eq!(url("REDIS://h:1").port, 1);
        let u = url("redis://:s3cret@h");
        assert_eq!((u.user, u.password.as_deref()), (None, Some("s3cret")));
        let u = url("redis://fpx:pa:ss@word/x@h:7000/1");
        assert_eq!(u.user.as_deref(), Some("fpx"));
        assert_eq!(u.password.as_deref(), Some("pa:ss@word/x"));
        assert_eq!((u.host.as_str(), u.port, u.db), ("h", 7000, Some(1)));
        let u = url("redis://us%65r:p%40ss%2f@h");
        assert_eq!(u.user.as_deref(), Some("user"));
        assert_eq!(u.password.as_deref(), Some("p@ss/"));
        assert_eq!(url("redis://:@h").password, None);
        assert_eq!("redis://h:9".parse::<Url>().unwrap().port, 9);
    }

    #[test]
    fn url_ipv6_in_brackets() {
        let u = url("redis://[::1]:6390/2");
        assert_eq!((u.host.as_str(), u.port, u.db), ("::1", 6390, Some(2)));
        assert_eq!(u.to_string(), "redis://[::1]:6390/2");
        let u = url("redis://:pw@[fe80::1]");
        assert_eq!((u.host.as_str(), u.port), ("fe80::1", 6379));
        assert!(url_error("redis://::1:6379").contains("brackets"));
        assert!(url_error("redis://[::1:6379").contains("closing ]"));
        assert!(url_error("redis://[nothost]:1").contains("not an IPv6"));
        assert!(url_error("redis://[::1]x").contains("after the ]"));
    }

    #[test]
    fn url_other_schemes_and_bad_parts_are_refused_clearly() {
        assert!(url_error("http://h").contains("unsupported scheme \"http\""));
        assert!(url_error("rediss://h").contains("TLS"));
        assert!(url_error("unix:///run/redis.sock").contains("Unix socket"));
        assert!(url_error("localhost:6379").contains("no scheme"));
        for bad in ["redis://", "redis://:1", "redis://:pw@", "redis://:pw@/0"] {
            assert!(url_error(bad).contains("no host"), "{bad}");
        }
        for bad in [
            "redis://h:",
            "redis://h:0",
            "redis://h:65536",
            "redis://h:+1",
            "redis://h:x",
        ] {
            assert!(url_error(bad).contains("port"), "{bad}");
        }
        for bad in [
            "redis://h/x",
            "redis://h/-1",
            "redis://h/1?x=1",
            "redis://h/+1",
        ] {
            assert!(url_error(bad).contains("database"), "{bad}");
        }
        assert!(url_error("redis://pw@h").contains("':'"));
        assert!(url_error("redis://u:@h").contains("empty password"));
        assert!(url_error("redis://:%zz@h").contains("%-escape"));
        assert!(url_error("redis://:%ff@h").contains("not UTF-8"));
    }

    #[test]
    fn url_never_shows_the_password() {
        let u = url("redis://admin:hunter2@db.example:6380/4");
        assert_eq!(u.to_string(), "redis://db.example:6380/4");
        let debug = format!("{u:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("<hidden>"), "{debug}");
        for bad in [
            "redis://:hunter2@h:x",
            "redis://:hunter2",
            "x:hunter2@h",
            "redis://:hunter2%@h",
        ] {
            let e = url_error(bad);
            assert!(!e.contains("hunter2"), "{bad}: {e}");
        }
    }

    /// Collects what a client writes.
    #[derive(Clone, Default)]
    struct Sent(Arc<Mutex<Vec<u8>>>);

    impl Write for Sent {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sent {
        /// The commands written so far, each as its words.
        fn commands(&self) -> Vec<Vec<String>> {
            let bytes = self.0.lock().unwrap().clone();
            let mut r = &bytes[..];
            let mut out = Vec::new();
            while !r.is_empty() {
                let cmd = resp::read_reply(&mut r).unwrap().into_array().unwrap();
                out.push(cmd.into_iter().map(|a| a.into_string().unwrap()).collect());
            }
            out
        }
    }

    /// A client whose server answers with `replies`, whatever it is sent.
    fn canned(replies: &[u8]) -> (Client, Sent) {
        let sent = Sent::default();
        let client = Client::over(
            "redis://test:6379".into(),
            Box::new(io::Cursor::new(replies.to_vec())),
            Box::new(sent.clone()),
        );
        (client, sent)
    }

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn cmd_writes_resp_and_maps_error_replies() {
        let (mut c, sent) = canned(b"+PONG\r\n-ERR no such thing\r\n");
        assert_eq!(c.cmd(&[b"PING"]).unwrap(), Reply::Simple("PONG".into()));
        match c.cmd(&[b"BOGUS", b"x"]) {
            Err(ClientError::Server(m)) => assert_eq!(m, "ERR no such thing"),
            other => panic!("{other:?}"),
        }
        assert_eq!(sent.commands(), vec![words("PING"), words("BOGUS x")]);
    }

    #[test]
    fn a_protocol_error_breaks_the_connection_and_names_the_offset() {
        let (mut c, _) = canned(b"+OK\r\n$-5\r\n+OK\r\n");
        c.cmd(&[b"PING"]).unwrap();
        let e = c.cmd(&[b"PING"]).unwrap_err().to_string();
        assert_eq!(
            e,
            "redis://test:6379: byte offset 5: bulk string length -5: negative, and not -1"
        );
        let e = c.cmd(&[b"PING"]).unwrap_err();
        assert!(matches!(e, ClientError::Broken { .. }), "{e}");
    }

    #[test]
    fn a_closed_connection_is_reported_as_closed() {
        let (mut c, _) = canned(b"");
        match c.cmd(&[b"PING"]) {
            Err(ClientError::Reply {
                source: RespError::Closed,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pipeline_reads_one_reply_per_command_errors_included() {
        let (mut c, sent) = canned(b"+OK\r\n-ERR wrong\r\n:2\r\n");
        let cmds = vec![
            vec![b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()],
            vec![b"LPUSH".to_vec(), b"k".to_vec(), b"x".to_vec()],
            vec![b"EXISTS".to_vec(), b"k".to_vec(), b"k".to_vec()],
        ];
        let replies = c.pipeline(&cmds).unwrap();
        assert_eq!(
            replies,
            vec![
                Reply::Simple("OK".into()),
                Reply::Error("ERR wrong".into()),
                Reply::Integer(2)
            ]
        );
        assert_eq!(sent.commands().len(), 3);
        assert_eq!(c.pipeline(&[]).unwrap(), vec![]);
    }

    #[test]
    fn group_create_treats_busygroup_as_existing() {
        let (mut c, sent) =
            canned(b"+OK\r\n-BUSYGROUP Consumer Group name already exists\r\n-WRONGTYPE x\r\n");
        assert!(c.xgroup_create("eve", "fpx", "$").unwrap());
        assert!(!c.xgroup_create("eve", "fpx", "$").unwrap());
        assert!(matches!(
            c.xgroup_create("eve", "fpx", "$"),
            Err(ClientError::Server(_))
        ));
        assert_eq!(
            sent.commands()[0],
            words("XGROUP CREATE eve fpx $ MKSTREAM")
        );
    }

    #[test]
    fn xreadgroup_decodes_entries_nil_timeouts_and_deleted_fields() {
        let reply = b"*1\r\n*2\r\n$3\r\neve\r\n*2\r\n\
            *2\r\n$3\r\n1-0\r\n*4\r\n$3\r\neve\r\n$2\r\n{}\r\n$1\r\nx\r\n$0\r\n\r\n\
            *2\r\n$3\r\n2-0\r\n*-1\r\n\
            *-1\r\n";
        let (mut c, sent) = canned(reply);
        let entries = c.xreadgroup("g", "c1", "eve", 10, None, ">").unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].id, "1-0");
        assert_eq!(entries[0].field(b"eve"), Some(&b"{}"[..]));
        assert_eq!(entries[0].field(b"x"), Some(&b""[..]));
        assert_eq!(entries[0].field(b"nope"), None);
        assert_eq!(
            entries[1],
            Entry {
                id: "2-0".into(),
                fields: vec![]
            }
        );
        assert!(c
            .xreadgroup("g", "c1", "eve", 10, Some(100), ">")
            .unwrap()
            .is_empty());
        let cmds = sent.commands();
        assert_eq!(
            cmds[0],
            words("XREADGROUP GROUP g c1 COUNT 10 STREAMS eve >")
        );
        assert_eq!(
            cmds[1],
            words("XREADGROUP GROUP g c1 COUNT 10 BLOCK 100 STREAMS eve >")
        );
    }

    #[test]
    fn stream_decoders_refuse_the_wrong_shapes() {
        let bulk = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
        assert!(decode_xread(Reply::Integer(1)).is_err());
        assert!(decode_xread(Reply::Array(vec![Reply::Array(vec![bulk("k")])])).is_err());
        let odd = Reply::Array(vec![bulk("1-0"), Reply::Array(vec![bulk("eve")])]);
        assert!(decode_entry(odd).unwrap_err().contains("1 field names"));
        let id_not_string = Reply::Array(vec![Reply::Integer(1), Reply::Nil]);
        assert!(decode_entry(id_not_string).is_err());
        assert!(decode_autoclaim(Reply::Array(vec![bulk("0-0")])).is_err());
        assert!(decode_pending_summary(Reply::Array(vec![])).is_err());
    }

    #[test]
    fn xautoclaim_decodes_redis_7_and_redis_6_2_replies() {
        let v7 = b"*3\r\n$3\r\n0-0\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$3\r\neve\r\n$2\r\n{}\r\n\
            *1\r\n$3\r\n2-0\r\n";
        let v62 = b"*2\r\n$3\r\n5-0\r\n*2\r\n*-1\r\n*2\r\n$3\r\n3-0\r\n*0\r\n";
        let mut replies = v7.to_vec();
        replies.extend_from_slice(v62);
        let (mut c, sent) = canned(&replies);
        let a = c.xautoclaim("eve", "g", "b", 0, "0-0", 5).unwrap();
        assert_eq!(a.next_start, "0-0");
        assert_eq!(a.entries.len(), 1);
        assert_eq!(a.entries[0].field(b"eve"), Some(&b"{}"[..]));
        assert_eq!(a.deleted, vec!["2-0".to_string()]);
        let a = c.xautoclaim("eve", "g", "b", 0, "0-0", 5).unwrap();
        assert_eq!(a.next_start, "5-0");
        assert_eq!(a.entries.len(), 1);
        assert_eq!(a.entries[0].id, "3-0");
        assert!(a.deleted.is_empty());
        assert_eq!(
            sent.commands()[0],
            words("XAUTOCLAIM eve g b 0 0-0 COUNT 5")
        );
    }

    #[test]
    fn xpending_summary_decodes_empty_and_busy_groups() {
        let empty = b"*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n";
        let busy = b"*4\r\n:3\r\n$3\r\n1-0\r\n$3\r\n3-0\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n2\r\n*2\r\n$1\r\nb\r\n$1\r\n1\r\n";
        let (mut c, _) = canned(&[&empty[..], &busy[..]].concat());
        assert_eq!(
            c.xpending_summary("eve", "g").unwrap(),
            PendingSummary::default()
        );
        let s = c.xpending_summary("eve", "g").unwrap();
        assert_eq!(s.count, 3);
        assert_eq!(s.smallest_id.as_deref(), Some("1-0"));
        assert_eq!(s.largest_id.as_deref(), Some("3-0"));
        assert_eq!(s.consumers, vec![("a".into(), 2), ("b".into(), 1)]);
    }

    #[test]
    fn small_commands_write_what_suricata_and_redis_expect() {
        let (mut c, sent) = canned(b"$3\r\n1-0\r\n$3\r\n2-0\r\n:2\r\n:7\r\n:1\r\n+OK\r\n");
        let line: &[u8] = br#"{"event_type":"alert"}"#;
        assert_eq!(
            c.xadd("eve", Some(100_000), &[(b"eve", line)]).unwrap(),
            "1-0"
        );
        assert_eq!(c.xadd("eve", None, &[(b"a", b"b")]).unwrap(), "2-0");
        assert_eq!(c.xack("eve", "g", &["1-0", "2-0"]).unwrap(), 2);
        assert_eq!(c.xack("eve", "g", &[]).unwrap(), 0);
        assert_eq!(c.xlen("eve").unwrap(), 7);
        assert_eq!(c.del(&["eve"]).unwrap(), 1);
        assert_eq!(c.del(&[]).unwrap(), 0);
        assert!(matches!(
            c.xlen("eve"),
            Err(ClientError::Unexpected {
                command: "XLEN",
                ..
            })
        ));
        let cmds = sent.commands();
        assert_eq!(
            cmds[0],
            words(r#"XADD eve MAXLEN ~ 100000 * eve {"event_type":"alert"}"#)
        );
        assert_eq!(cmds[1], words("XADD eve * a b"));
        assert_eq!(cmds[2], words("XACK eve g 1-0 2-0"));
        assert_eq!(cmds[3], words("XLEN eve"));
        assert_eq!(cmds[4], words("DEL eve"));
        assert_eq!(cmds.len(), 6);
    }

    #[test]
    fn eval_loads_once_then_falls_back_to_eval_on_noscript() {
        let sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";
        let replies = format!(
            "$40\r\n{sha}\r\n:1\r\n-NOSCRIPT No matching script.\r\n:2\r\n:3\r\n-ERR oops\r\n"
        );
        let (mut c, sent) = canned(replies.as_bytes());
        let script = "return 1";
        assert_eq!(c.eval(script, &["k"], &[b"a"]).unwrap(), Reply::Integer(1));
        assert_eq!(c.eval(script, &["k"], &[b"a"]).unwrap(), Reply::Integer(2));
        assert_eq!(c.eval(script, &[], &[]).unwrap(), Reply::Integer(3));
        assert!(matches!(
            c.eval(script, &[], &[]),
            Err(ClientError::Server(_))
        ));
        let cmds = sent.commands();
        assert_eq!(cmds[0], vec!["SCRIPT", "LOAD", "return 1"]);
        assert_eq!(cmds[1], words(&format!("EVALSHA {sha} 1 k a")));
        assert_eq!(cmds[2], words(&format!("EVALSHA {sha} 1 k a")));
        assert_eq!(cmds[3], vec!["EVAL", "return 1", "1", "k", "a"]);
        assert_eq!(cmds[4], words(&format!("EVALSHA {sha} 0")));
        assert_eq!(cmds.len(), 6);
    }

    #[test]
    fn handshake_sends_auth_and_select_and_hides_the_password_on_refusal() {
        let (mut c, sent) = canned(b"+OK\r\n+OK\r\n");
        c.handshake(&url("redis://fpx:hunter2@h/2")).unwrap();
        assert_eq!(
            sent.commands(),
            vec![words("AUTH fpx hunter2"), words("SELECT 2")]
        );
        let (mut c, _) = canned(b"-WRONGPASS invalid username-password pair\r\n");
        let e = c
            .handshake(&url("redis://:hunter2@h"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "redis://test:6379: AUTH refused: WRONGPASS invalid username-password pair"
        );
    }

    #[test]
    fn connect_refused_names_the_server_without_the_password() {
        // A port just released: nothing listens on it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let u = url(&format!("redis://:hunter2@127.0.0.1:{port}"));
        let e = Client::connect(&u, Duration::from_secs(2))
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.starts_with(&format!("redis://127.0.0.1:{port}: connect: ")),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
    }
}
