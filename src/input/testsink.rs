//! A sink that keeps what the context readers produce, in owned form, for their unit tests.

use crate::model::{
    Action, Alert, ContextEvent, ContextKind, Endpoint, IpProto, Location, Provenance, SkipReason,
    YearSource,
};

use super::{Flow, Sink};

/// One event, flattened to what the tests look at.
#[derive(Debug, Default)]
pub struct Seen {
    pub line: u64,
    pub kind: Option<ContextKind>,
    pub subtype: Option<String>,
    pub src: String,
    pub dest: String,
    pub proto: Option<IpProto>,
    pub action: Option<Action>,
    pub ip_len: Option<u32>,
    pub tcp_flags: Option<String>,
    pub flow_key: Option<String>,
    pub date: Option<(i32, u32, u32)>,
    pub unix_micros: Option<i64>,
    pub year_source: Option<YearSource>,
    pub fields: Vec<(String, String)>,
}

impl Seen {
    pub fn field(&self, k: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }
}

fn ep(e: &Option<Endpoint<'_>>) -> String {
    match e {
        None => String::new(),
        Some(Endpoint { host, port: None }) => host.to_string(),
        Some(Endpoint {
            host,
            port: Some(p),
        }) => format!("{host}:{p}"),
    }
}

#[derive(Debug, Default)]
pub struct Collect {
    pub events: Vec<Seen>,
    pub skipped: Vec<(SkipReason, Option<String>)>,
}

impl Sink for Collect {
    fn alert(&mut self, _alert: Alert<'_>) -> Flow {
        panic!("context readers emit no alerts");
    }

    fn context(&mut self, e: ContextEvent<'_>) -> Flow {
        let Location::Line(line) = e.source.location else {
            panic!("context events are located by line");
        };
        self.events.push(Seen {
            line,
            kind: Some(e.kind),
            subtype: e.subtype.as_deref().map(str::to_string),
            src: ep(&e.src),
            dest: ep(&e.dest),
            proto: e.proto,
            action: e.action,
            ip_len: e.ip_len,
            tcp_flags: e.tcp_flags.as_deref().map(str::to_string),
            flow_key: e.flow_key.as_deref().map(str::to_string),
            date: e.timestamp.as_ref().and_then(|t| t.date()),
            unix_micros: e.timestamp.as_ref().and_then(|t| t.unix_micros),
            year_source: e.timestamp.as_ref().map(|t| t.year_source),
            fields: e
                .fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        });
        Flow::Continue
    }

    fn skipped(&mut self, reason: SkipReason, _at: &Provenance<'_>, detail: Option<&str>) -> Flow {
        self.skipped.push((reason, detail.map(str::to_string)));
        Flow::Continue
    }
}

/// Every context reader over mutated copies of a line of its format: each byte in turn
/// replaced by characters that the parsers split on, and by bytes that are not UTF-8 or split
/// a multi-byte character. Nothing may panic, and every line must be accounted for.
#[test]
fn mutated_lines_never_panic() {
    use super::ReadContext;
    type Reader = fn(
        &mut dyn std::io::BufRead,
        &ReadContext<'_>,
        &mut dyn Sink,
    ) -> Result<(), super::ReadError>;
    let cases: [(Reader, &str); 6] = [
        (super::ipchains::read, "Aug 10 05:15:48 h kernel: Packet log: input REJECT eth0 PROTO=6 10.0.0.1:1 10.0.0.2:445 L=40 S=0x00 I=1 F=0x4000 T=128 SYN (#1)"),
        (super::netfilter::read, "2015-03-07T05:09:30.04+02:00 h kernel: [1.2] DROP: IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=40 TTL=1 ID=2 PROTO=TCP SPT=1 DPT=2 WINDOW=3 SYN URGP=0"),
        (super::netfilter::read, "0 1 PVEFW 20/Jun/2022:13:09:14 +0200 REJECT: OUT=v SRC=10.0.0.1 DST=10.0.0.2 LEN=60 PROTO=UDP SPT=1 DPT=2"),
        (super::cisco_asa::read, "<166>Dec 30 2003 02:13:28: %ASA-6-302013: Built outbound TCP connection 7 for outside:10.0.0.1/80 (10.0.0.1/80) to inside:10.0.0.2/5 (10.0.0.2/5)"),
        (super::pflog::read, "<134>1 2024-02-03T04:05:06+01:00 o filterlog 1 - - 9,,,1,v,match,block,in,4,0x0,,64,1,0,DF,6,tcp,60,10.0.0.1,10.0.0.2,1,2,0,S,1,,6,,mss"),
        (super::zeek::read, "{\"_path\":\"conn\",\"ts\":\"2018-03-24T17:15:20.5Z\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1}"),
    ];
    let ctx = ReadContext {
        path: "x",
        year: None,
        mtime_year: Some(2020),
    };
    let subs: [&[u8]; 8] = [
        b" ",
        b":",
        b"/",
        b".",
        b"=",
        b"\xff",
        b"\xc3\xa9",
        b"\xe2\x82",
    ];
    for (read, line) in cases {
        let bytes = line.as_bytes();
        for i in 0..bytes.len() {
            for sub in subs {
                let mut m = bytes[..i].to_vec();
                m.extend_from_slice(sub);
                m.extend_from_slice(&bytes[i + 1..]);
                let mut sink = Collect::default();
                read(&mut m.as_slice(), &ctx, &mut sink).unwrap();
                assert_eq!(
                    sink.events.len() + sink.skipped.len(),
                    1,
                    "{}",
                    String::from_utf8_lossy(&m)
                );
            }
        }
    }
}
