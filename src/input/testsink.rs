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
