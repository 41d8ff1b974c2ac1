//! Payload dissection (interface; implementations land per protocol).

use std::borrow::Cow;
use std::net::IpAddr;
use std::ops::Range;

use crate::knowledge::Knowledge;
use crate::model::{Alert, IpProto};

pub struct Hint {
    pub proto: Option<IpProto>,
    pub src: Option<IpAddr>,
    pub dest: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dest_port: Option<u16>,
}

#[derive(Clone, Debug, Default)]
pub struct Dissection {
    pub protocol: Option<&'static str>,
    pub recognised_by: String,
    pub rfc: Option<String>,
    pub fields: Vec<Field>,
    pub is_response: Option<bool>,
    pub http: Option<HttpFacts>,
    pub dns: Option<DnsFacts>,
    pub ssdp: Option<SsdpFacts>,
    pub body_magic: Option<BodyMagic>,
    pub anomalies: Vec<&'static str>,
}

impl Dissection {
    pub fn field_at(&self, offset: usize) -> Option<&Field> {
        self.fields.iter().find(|f| f.range.contains(&offset))
    }
}

#[derive(Clone, Debug)]
pub struct Field {
    pub range: Range<usize>,
    pub name: Cow<'static, str>,
    pub class: FieldClass,
    pub value: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldClass {
    RandomId,
    Flags,
    Count,
    Length,
    Code,
    Name,
    HeaderText,
    StartLine,
    TextBody,
    MediaBody,
    BinaryBody,
    Magic,
    Padding,
    Unknown,
}

impl FieldClass {
    pub fn as_str(self) -> &'static str {
        "unknown"
    }
    pub fn is_random_like(self) -> bool {
        false
    }
}

#[derive(Clone, Debug, Default)]
pub struct HttpFacts {
    pub is_response: bool,
    pub method: Option<String>,
    pub uri: Option<String>,
    pub version: Option<String>,
    pub status: Option<u16>,
    pub reason: Option<String>,
    pub content_type: Option<String>,
    pub content_length: Option<u64>,
    pub headers_end: Option<usize>,
    pub body: Option<Range<usize>>,
}

#[derive(Clone, Debug, Default)]
pub struct DnsFacts {
    pub id: u16,
    pub is_response: bool,
    pub opcode: u8,
    pub rcode: u8,
    pub flags: u16,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
    pub qname: Option<String>,
    pub qtype: Option<u16>,
    pub nbstat: bool,
    pub decoded_netbios_name: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct SsdpFacts {
    pub method: String,
    pub target: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct BodyMagic {
    pub offset: usize,
    pub name: String,
    pub mime: String,
    pub class: String,
    pub binary: bool,
    pub source: String,
}

pub fn dissect(alert: &Alert<'_>, kb: &Knowledge) -> Dissection {
    let _ = (alert, kb);
    Dissection::default()
}
