//! Context events: records that are not IDS alerts but tell what happened around them
//! (firewall log lines, Zeek conn/dns records, EVE flow/http/dns records).

use std::borrow::Cow;

use super::addr::Endpoint;
use super::alert::Provenance;
use super::proto::IpProto;
use super::time::Timestamp;

/// What kind of context a record is. Stable strings (`context_by_kind` in the summary).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContextKind(pub &'static str);

impl ContextKind {
    pub const EVE_FLOW: ContextKind = ContextKind("eve_flow");
    pub const EVE_OTHER: ContextKind = ContextKind("eve_other");
    pub const IPCHAINS: ContextKind = ContextKind("ipchains");
    pub const NETFILTER: ContextKind = ContextKind("netfilter");
    pub const CISCO_ASA: ContextKind = ContextKind("cisco_asa");
    /// pf, from tcpdump of pflog or from pfSense/OPNsense filterlog (subtype says which).
    pub const PFLOG: ContextKind = ContextKind("pflog");
    pub const ZEEK_CONN: ContextKind = ContextKind("zeek_conn");
    pub const ZEEK_DNS: ContextKind = ContextKind("zeek_dns");
    /// Any other Zeek log; the subtype is its path (`notice`, `weird`, ...).
    pub const ZEEK_OTHER: ContextKind = ContextKind("zeek_other");
}

/// A firewall's or logger's decision on a packet or connection, when it states one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Allow,
    Deny,
    Other,
}

/// One context record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextEvent<'a> {
    pub source: Provenance<'a>,
    pub kind: ContextKind,
    /// The record's own type where the format has several (`flow`, `http`, `dns` for EVE;
    /// the ASA message id; the Zeek log path).
    pub subtype: Option<Cow<'a, str>>,
    pub timestamp: Option<Timestamp<'a>>,
    pub proto: Option<IpProto>,
    pub src: Option<Endpoint<'a>>,
    pub dest: Option<Endpoint<'a>>,
    pub action: Option<Action>,
    /// IP total length as logged.
    pub ip_len: Option<u32>,
    /// TCP flags as logged (`SYN`, `ACK PSH`, `S`, ...), normalised to upper-case letters
    /// `SAFRPU` where the reader can.
    pub tcp_flags: Option<Cow<'a, str>>,
    /// EVE `flow_id` or Zeek `uid` linking the record to alerts.
    pub flow_key: Option<Cow<'a, str>>,
    /// Further named fields worth keeping (`query`, `conn_state`, `history`, ...).
    pub fields: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> ContextEvent<'a> {
    pub fn new(source: Provenance<'a>, kind: ContextKind) -> Self {
        ContextEvent {
            source,
            kind,
            subtype: None,
            timestamp: None,
            proto: None,
            src: None,
            dest: None,
            action: None,
            ip_len: None,
            tcp_flags: None,
            flow_key: None,
            fields: Vec::new(),
        }
    }

    /// The event with every borrowed string copied, to outlive its input buffer.
    pub fn into_owned(self) -> ContextEvent<'static> {
        let own = |c: Cow<'_, str>| -> Cow<'static, str> { Cow::Owned(c.into_owned()) };
        ContextEvent {
            source: self.source.into_owned(),
            kind: self.kind,
            subtype: self.subtype.map(own),
            timestamp: self.timestamp.map(Timestamp::into_owned),
            proto: self.proto,
            src: self.src.map(Endpoint::into_owned),
            dest: self.dest.map(Endpoint::into_owned),
            action: self.action,
            ip_len: self.ip_len,
            tcp_flags: self.tcp_flags.map(own),
            flow_key: self.flow_key.map(own),
            fields: self
                .fields
                .into_iter()
                .map(|(k, v)| (own(k), own(v)))
                .collect(),
        }
    }

    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }
}
