//! Facts: what is known about one alert, as named values that evidence rules test and quote.
//!
//! The names are the vocabulary of `rules/*.toml`; a rule using a name not listed in [`KEYS`]
//! fails to load. Facts are computed once per alert into a reused [`Facts`] table.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::net::IpAddr;

use crate::dissect::{AppFacts, Dissection, FieldClass};
use crate::knowledge::{AllocationAt, Knowledge};
use crate::model::{Alert, Direction, Host, IpProto};
use crate::signature::context::RuleAnalysis;
use crate::signature::lint::Weakness;
use crate::signature::parse::OptKind;

/// A fact's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(Cow<'static, str>),
    Num(f64),
    Bool(bool),
}

impl Value {
    pub fn truthy(&self) -> bool {
        match self {
            Value::Str(s) => !s.is_empty(),
            Value::Num(n) => *n != 0.0,
            Value::Bool(b) => *b,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{}", *n as i64),
            // Chance estimates run to 1e-20 and below: digits after many zeros are unreadable.
            Value::Num(n) if *n != 0.0 && n.abs() < 1e-3 => write!(f, "{n:.1e}"),
            Value::Num(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

macro_rules! keys {
    ($($name:literal => $doc:literal,)*) => {
        /// Every fact name, with what it means (printed by `fpx facts`).
        pub const KEYS: &[(&str, &str)] = &[$(($name, $doc),)*];
    };
}

keys! {
    "alert.proto" => "transport protocol in lower case (tcp, udp, icmp, ...)",
    "alert.date" => "the alert's date, YYYY-MM-DD, when its timestamp has a known year",
    "alert.date_source" => "where the year came from: written, flag, surrounding_text, file_mtime",
    "alert.direction" => "to_server or to_client, as the sensor or the flow join says",
    "signature.msg" => "the signature's message",
    "signature.id" => "gid:sid:rev",
    "signature.gid" => "generator id",
    "signature.sid" => "signature id, when known",
    "signature.intent" => "what the signature claims (p2p, malware-c2, dos, scan, exploit, policy, protocol-anomaly)",
    "signature.intent_description" => "the intent in words",
    "signature.intent_source" => "where the intent reading comes from",
    "signature.peer" => "the peer the claim needs: internet or any",
    "signature.known" => "whether fpx knows the signature's content (from --rules or knowledge/signatures.toml)",
    "signature.summary" => "what the signature matches, in words",
    "signature.source" => "where the signature facts come from",
    "signature.rev" => "revision of the rule text fpx uses",
    "signature.contents" => "the signature's contents in hex",
    "signature.content_min_len" => "length in bytes of its longest content (the strongest anchor it has)",
    "signature.dest_port" => "the destination port the rule names, when it names one",
    "signature.dest_port_matches" => "the alert's destination port is the one port the rule names",
    "signature.has_flow" => "whether the rule restricts flow direction/state",
    "src.ip" => "source address (or label)",
    "dest.ip" => "destination address (or label)",
    "src.port" => "source port",
    "dest.port" => "destination port",
    "src.label" => "true when the source is a sanitised label, not an address",
    "dest.label" => "true when the destination is a sanitised label, not an address",
    "src.known_prefix" => "the prefix a sanitised source label still shows (1.11.0.0/16 of 1.11.XX.XX)",
    "dest.known_prefix" => "the prefix a sanitised destination label still shows; the destination facts hold for every address in it",
    "src.special" => "name of the most specific IANA special-purpose block holding the source",
    "src.special_rfc" => "its RFC",
    "dest.special" => "name of the most specific IANA special-purpose block holding the destination",
    "dest.special_rfc" => "its RFC",
    "src.private" => "source is private-use, link-local or unique-local space",
    "dest.private" => "destination is private-use, link-local or unique-local space",
    "dest.home" => "destination lies in $HOME_NET (--home-net, --vars, else the RFC 1918 ranges): an inside host",
    "src.home" => "source lies in $HOME_NET: an inside host",
    "home_net.given" => "HOME_NET came from --vars or --home-net, not fpx's default",
    "vars.home_net" => "$HOME_NET as the user set it, with where it came from",
    "vars.external_net" => "$EXTERNAL_NET as the user set it, with where it came from",
    "vars.external_net_any" => "the user set $EXTERNAL_NET to any, so it holds the inside hosts too",
    "src.inside_not_home" => "the source is private-use or unique-local space that the given HOME_NET leaves out",
    "dest.inside_not_home" => "the destination is private-use or unique-local space that the given HOME_NET leaves out",
    "dest.multicast_home" => "the given HOME_NET holds the destination, a multicast group",
    "rule.src_var" => "the address variable the rule's source is written as (EXTERNAL_NET, HOME_NET, ...)",
    "rule.dest_var" => "the address variable the rule's destination is written as",
    "rule.external_side" => "the side of the alert (source, destination) that the rule writes as $EXTERNAL_NET and that holds an inside host",
    "rule.external_host" => "that inside host",
    "rule.external_why" => "why $EXTERNAL_NET held it: EXTERNAL_NET is any, or HOME_NET leaves the host's range out",
    "feedback.scoped_benign" => "analysts' verdicts (--feedback) calling this signature on these hosts false_positive or benign_trigger",
    "feedback.scoped_attack" => "analysts' verdicts calling this signature on these hosts true_positive",
    "feedback.broad_benign" => "benign verdicts about the signature on any host, or about these hosts under any signature",
    "feedback.broad_attack" => "true_positive verdicts about the signature on any host, or these hosts under any signature",
    "feedback.scoped_quotes" => "the latest scoped verdicts: analyst, date, verdict and note",
    "feedback.broad_quotes" => "the latest broad verdicts",
    "dest.global" => "destination is globally reachable unicast",
    "dest.multicast" => "destination is a multicast address",
    "dest.multicast_scope" => "multicast scope of the destination (link-local, site-local, ...)",
    "dest.multicast_scope_name" => "name of that scope block",
    "dest.multicast_scope_rfc" => "the RFC defining the scope",
    "dest.multicast_scope_note" => "what the scope means for forwarding",
    "dest.multicast_group" => "the registered group name of the destination",
    "dest.multicast_protocol" => "the protocol using that group",
    "dest.group_service" => "the protocol whose registered group (or broadcast) and port the destination is: llmnr for 224.0.0.252:5355, mdns for 224.0.0.251 or ff02::fb :5353, ssdp for 239.255.255.250:1900, nbns for broadcast :137",
    "dest.group_service_name" => "its name",
    "dest.group_service_rfc" => "its RFC",
    "dest.multicast_rfc" => "the group's RFC",
    "dest.broadcast" => "destination is the limited broadcast address",
    "dest.unallocated_at_date" => "destination /8 was still held by IANA at the alert's date",
    "dest.allocation_block" => "the destination's /8",
    "dest.allocation_designation" => "who holds that /8 now",
    "dest.allocation_date" => "when it was allocated (YYYY-MM)",
    "dest.allocation_source" => "the registry consulted",
    "src.port_service" => "protocol of the service registered on the source port",
    "src.port_service_name" => "its name",
    "src.port_service_rfc" => "its RFC",
    "dest.port_service" => "protocol of the service registered on the destination port",
    "dest.port_service_name" => "its name",
    "dest.port_service_rfc" => "its RFC",
    "src.port_ephemeral" => "source port lies in an ephemeral port range",
    "dest.port_ephemeral" => "destination port lies in an ephemeral port range (false when both sides use the same registered service port)",
    "dest.port_symmetric" => "both sides use the same registered service port (mDNS, LLMNR, NetBIOS, NTP, IKE talk port to port)",
    "dest.port_ephemeral_ranges" => "the ephemeral ranges holding the destination port",
    "dest.port_ephemeral_sources" => "the sources of those ranges",
    "payload.present" => "whether payload bytes are known",
    "payload.len" => "payload length in bytes",
    "payload.protocol" => "application protocol recognised in the payload",
    "payload.protocol_name" => "that protocol's usual written name (LLMNR, HTTP, mDNS)",
    "payload.protocol_rfc" => "its defining document",
    "payload.recognised_by" => "how the protocol was recognised, in words",
    "payload.message" => "what the payload is, in words: 'the HTTP response', or which bytes of a message an earlier alert of its stream explained",
    "payload.continues_alert" => "the earlier alert whose payload opened the message this payload continues",
    "payload.is_response" => "the payload is a response (HTTP status line, DNS QR bit, ...)",
    "payload.from_server" => "the payload travels from the server side to the client: a response, a download (from the message, the sensor's direction, who opened the flow, or a service port sending to an ephemeral one)",
    "payload.is_request" => "the payload is a request or query",
    "payload.start_line" => "HTTP start line, or the SSDP method line",
    "payload.content_type" => "HTTP Content-Type",
    "payload.dns_qname" => "the queried name (DNS family)",
    "payload.dns_netbios_name" => "the decoded NetBIOS name (NBNS)",
    "payload.dns_kind" => "standard query, response, NBSTAT query, ...",
    "payload.body_magic" => "file type found at the start of the body",
    "payload.body_magic_class" => "its class: media, document, archive, executable",
    "payload.body_magic_binary" => "whether that body is binary",
    "payload.body_magic_source" => "the format's specification",
    "payload.body_offset" => "where the body starts",
    "payload.indicator" => "id of an exploit-like pattern found in the payload",
    "payload.indicator_description" => "that pattern in words",
    "payload.indicator_source" => "its source (CAPEC, CVE)",
    "payload.indicator_offset" => "where it was found",
    "match.offset" => "where the signature's longest content first matches in the payload",
    "match.len" => "its length",
    "match.hex" => "the matched bytes in hex",
    "match.field" => "the dissected field holding the match",
    "match.field_class" => "that field's class",
    "match.in_binary_body" => "the match lies inside a binary (media, binary) body",
    "match.count" => "how many times that content occurs in the payload",
    "match.chance_per_packet" => "expected chance occurrences of that content in a payload of this length, if its bytes were random",
    "packet.decoded" => "the alert's logged packet was decoded",
    "packet.bad_checksum" => "the logged packet's IP or transport checksum is wrong",
    "packet.anomalies" => "what the decoder found unusual in the logged packet",
    "activity.id" => "the routine activity the alert's traffic is (knowledge/benign-activity.toml): wpad-lookup, ssdp-discovery, curl-client, testmyids, ...",
    "activity.name" => "its name",
    "activity.kind" => "os-feature, discovery, sync-client, tool, test-traffic or scanner",
    "activity.what" => "what the activity is and who does it, in words",
    "payload.igmp_kind" => "the IGMP message (IGMPv2 membership report, leave group, query, RGMP ...)",
    "activity.by_protocol_only" => "the activity was told by protocol, port and addressing alone (the dissection's own evidence says as much)",
    "activity.source" => "the vendor document or RFC that says so",
    "activity.named_by_signature" => "the signature's msg names this activity (a POLICY rule about Dropbox on Dropbox traffic)",
    "payload.well_formed" => "the dissector recognised the payload's protocol and found nothing malformed in it",
    "payload.anomalies" => "what the dissector found malformed in the payload (names, lengths past the end, loops)",
    "match.mapping" => "each matched payload content mapped onto the dissected fields it covers (content |32 00 00 00| at bytes 0–3 = LLMNR transaction ID 0x3200 and flags 0x0000)",
    "match.chance_per_10k" => "expected chance matches of the rule's contents per 10,000 packets like this one (field classes of the matched bytes, positions inspected)",
    "match.only_in_random_bytes" => "every matched payload content lies in random-like bytes (random IDs, media or binary data)",
    "rule.source" => "file and line of the rule text fpx analyses (from --rules or the EVE alert.rule)",
    "rule.chosen_by" => "how that revision was chosen: exact, older, latest, eve_rule",
    "rule.chosen_why" => "the choice in words",
    "rule.sid_from" => "how the sid of an alert that carried none was found (sid-msg.map, the rule set's msg)",
    "rule.text" => "the rule as fpx parsed it",
    "rule.flow" => "the rule's flow option (to_server,established), when it has one",
    "rule.classification" => "the rule's classtype, described by classification.config when given",
    "rule.references" => "the rule's references as links",
    "rule.replay_verdict" => "replay of the rule on the alert's bytes: reproduced, partial, not_reproduced",
    "rule.replay_reason" => "why the replay did not reproduce the match, or what it could not evaluate",
    "rule.match_ranges" => "every byte range an option matched, with its buffer (payload 0..4, payload 6..10)",
    "rule.header_match" => "how the rule header's addresses and ports matched the alert, in words",
    "rule.header_matches" => "whether the header matches the alert (absent when it cannot be decided)",
    "rule.excludes_this_alert" => "the analysed rule's header or flow would not match this alert",
    "rule.exclusion" => "why it would not, in words (rev 4 of sid 247 requires flow:to_server,established, which this server-to-client packet fails)",
    "rule.later_rev" => "a later revision of the same sid in the given rule sets",
    "rule.later_rev_source" => "file and line of that revision",
    "rule.later_rev_changes" => "what the later revision changed against the analysed one",
    "rule.later_rev_excludes_this_alert" => "the later revision's header or flow would NOT match this alert",
    "rule.later_rev_exclusion" => "why it would not, in words (rev 4 adds !224.0.0.0/4 to the destination — exactly this alert)",
    "rule.weakness" => "the analysed rule's lint findings, in words",
    "rule.weak" => "the rule has a short unanchored content, or inspects payloads over TCP without flow",
    "flow.client_is_src" => "the alert's source opened the flow",
    "flow.client" => "the endpoint that opened the flow (sent the first SYN, or the first packet)",
    "flow.pkts_toserver" => "packets seen from client to server",
    "flow.pkts_toclient" => "packets seen from server to client",
    "flow.handshake_seen" => "a TCP handshake was seen for the flow",
    "flow.dest_is_server" => "the alert's destination is the side that accepted the connection (it answered the SYN, or a flow or connection record names it the responder)",
    "flow.server_answered" => "the side that accepted the connection sent traffic back in this flow, as far as the input shows (its packets, alerts or a flow record's counters)",
    "flow.records_from_dest" => "records (alerts, context events) in the input sent by the alert's destination in this flow",
    "flow.server_answer_seen" => "how the input shows the accepting side answering, in words",
    "host.dest_group" => "the destination is a group address (multicast or broadcast): it never sends, so it never answers",
    "host.dest_answered" => "the destination host (or its other address behind NAT) sent or answered anything anywhere in the input",
    "host.dest_listens" => "the destination host accepted connections on the destination port somewhere in the input",
    "host.src_peers" => "distinct hosts the source sent records to anywhere in the input (8 stands for 8 or more)",
    "host.src_ports" => "distinct destination ports (with protocol) the source sent to anywhere in the input (8 or more as 8)",
    "host.src_opened" => "connections the source opened anywhere in the input (its SYNs, connection records naming it the originator)",
    "host.src_first_peer" => "the first host the source opened a connection to",
    "host.src_nat_alias" => "the source's other address behind NAT, from firewall logs",
    "host.dest_nat_alias" => "the destination's other address behind NAT, from firewall logs",
    "context.read" => "context logs (firewall, Zeek) were read before this alert",
    "context.src_connections" => "connections of the source in the context logs read before the alert",
    "context.src_dns_queries" => "DNS queries the source made, in the context logs read before the alert",
    "context.dest_connections" => "connections of the destination in the context logs",
    "context.dest_dns_queries" => "DNS queries the destination made, in the context logs",
    "context.dest_answered" => "the destination was seen sending, or answering a connection, in the context logs",
    "payload.tls_sni" => "the server name (SNI) a TLS ClientHello asks for",
    "payload.tls_alpn" => "ALPN protocols a TLS hello offers or the server chose, comma-separated (h2, http/1.1)",
    "payload.tls_handshake" => "TLS handshake messages in clear, in order (ClientHello; ServerHello, Certificate, ServerHelloDone)",
    "payload.tls_version" => "the version a TLS hello states, else the first record's (TLS 1.2)",
    "payload.tls_cert_subject" => "CN and O of the first certificate's subject (CN=www.example.org)",
    "payload.tls_cert_issuer" => "CN and O of the first certificate's issuer",
    "payload.smb_version" => "SMB1, SMB2 or SMB3 (encrypted); empty for a NetBIOS session control message",
    "payload.smb_command" => "the first SMB message's command (NEGOTIATE, SESSION_SETUP, TREE_CONNECT, TREE_CONNECT_ANDX, ...)",
    "payload.smb_status" => "its NTSTATUS, named (0xc0000022 (STATUS_ACCESS_DENIED)); responses only",
    "payload.smb_tree_path" => "the share a tree connect names (\\\\HOST\\IPC$)",
    "payload.dhcp_message_type" => "DHCP message type, option 53 (DISCOVER, OFFER, REQUEST, ACK, ...)",
    "payload.dhcp_hostname" => "DHCP host name, option 12",
    "payload.dhcp_vendor_class" => "DHCP vendor class identifier, option 60 (MSFT 5.0, android-dhcp-13)",
    "payload.ntp_mode" => "NTP mode, named: client, server, symmetric active/passive, broadcast, control (6), private (7)",
    "payload.ntp_request" => "NTP mode 6 opcode or mode 7 request code, named; monlist for MON_GETLIST and MON_GETLIST_1 (CVE-2013-5211)",
    "payload.ntp_items" => "items in a mode 7 response (monlist entries)",
    "payload.bittorrent_kind" => "handshake, dht_query, dht_response or dht_error",
    "payload.bittorrent_method" => "a DHT query's method (ping, find_node, get_peers, announce_peer)",
    "payload.bittorrent_info_hash" => "the torrent info_hash the message names, in hex",
    "payload.bittorrent_client" => "the peer's client from its peer_id prefix, or the DHT version string",
    "payload.irc_command" => "the first IRC line's command (NICK, JOIN, PRIVMSG, 001, ...)",
    "payload.irc_commands" => "every IRC line's command, in order",
    "payload.irc_channel" => "the first channel an IRC JOIN, PART or PRIVMSG names",
    "payload.ddos_tool" => "the classic DDoS tool whose control message the payload is (trinoo, tfn, stacheldraht, mstream; knowledge/ddos-tools.toml)",
    "payload.ddos_tool_name" => "its name",
    "payload.ddos_command" => "the exact command word found at the tool's position (aaa, *HELLO*, skillz)",
    "payload.ddos_channel" => "who sends it to whom (master→agent)",
    "payload.ddos_source" => "the analysis or rule that documents that channel",
}

/// A list of fact names with their meaning: the alert vocabulary [`KEYS`], or another stage's
/// (the cluster stage has its own), so that one rule engine serves both.
pub type Vocabulary = &'static [(&'static str, &'static str)];

/// Index of a fact name in [`KEYS`]. Facts are set by name about a hundred times per alert,
/// so the names are hashed rather than compared one by one (a linear search measured 4 % of
/// the explain benchmark). The hash reads the name's length and its first and last eight bytes
/// (two loads and a multiply) into an open-addressed table of a quarter load: names that share
/// a prefix (`flow.`, `host.`) differ in their ends. Hashing every byte with FNV-1a into a
/// `HashMap` measured 4.2 % of `explain --format json` on the EVE benchmark (scripts/bench.sh),
/// SipHash 7 % before it; this table took the whole run to 0.99x of its time with FNV-1a.
pub fn key_index(name: &str) -> Option<usize> {
    static TABLE: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let size = (KEYS.len() * 4).next_power_of_two();
        let mut t = vec![u16::MAX; size];
        for (i, (k, _)) in KEYS.iter().enumerate() {
            let mut at = name_hash(k) & (size - 1);
            while t[at] != u16::MAX {
                at = (at + 1) & (size - 1);
            }
            t[at] = i as u16;
        }
        t
    });
    let mask = table.len() - 1;
    let mut at = name_hash(name) & mask;
    loop {
        let i = *table.get(at)?;
        if i == u16::MAX {
            return None;
        }
        if KEYS.get(usize::from(i)).is_some_and(|(k, _)| *k == name) {
            return Some(usize::from(i));
        }
        at = (at + 1) & mask;
    }
}

/// The hash of [`key_index`]: length, first and last eight bytes.
fn name_hash(name: &str) -> usize {
    let b = name.as_bytes();
    let word = |s: &[u8]| {
        let mut w = [0u8; 8];
        w[..s.len()].copy_from_slice(s);
        u64::from_le_bytes(w)
    };
    let n = b.len();
    let (head, tail) = (word(&b[..n.min(8)]), word(&b[n.saturating_sub(8)..]));
    let h = (head ^ tail.rotate_left(29) ^ n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 32) as usize
}

/// Index of a fact name in a vocabulary.
pub fn index_in(keys: Vocabulary, name: &str) -> Option<usize> {
    // The alert vocabulary is looked up per fact per alert: hashed. Others (clusters, a few
    // hundred lookups per run) are searched.
    if std::ptr::eq(keys, KEYS) {
        return key_index(name);
    }
    keys.iter().position(|(k, _)| *k == name)
}

/// The facts of one alert (or of one cluster): one slot per key of its vocabulary.
#[derive(Clone, Debug)]
pub struct Facts {
    keys: Vocabulary,
    values: Vec<Option<Value>>,
}

impl Default for Facts {
    fn default() -> Self {
        Facts::with_vocabulary(KEYS)
    }
}

impl Facts {
    /// An empty table over another vocabulary.
    pub fn with_vocabulary(keys: Vocabulary) -> Self {
        Facts {
            keys,
            values: vec![None; keys.len()],
        }
    }

    pub fn vocabulary(&self) -> Vocabulary {
        self.keys
    }

    /// Forgets every value.
    pub fn clear(&mut self) {
        self.values.iter_mut().for_each(|v| *v = None);
    }

    /// Sets a fact by name; returns false (and sets nothing) when the name is not in the
    /// vocabulary. For stages that add facts of their own, such as alert context.
    pub fn set_named(&mut self, name: &str, v: Value) -> bool {
        match index_in(self.keys, name) {
            Some(i) => {
                self.values[i] = Some(v);
                true
            }
            None => false,
        }
    }

    pub fn get(&self, idx: usize) -> Option<&Value> {
        self.values.get(idx).and_then(|v| v.as_ref())
    }

    pub fn get_named(&self, name: &str) -> Option<&Value> {
        index_in(self.keys, name).and_then(|i| self.get(i))
    }

    fn set(&mut self, name: &'static str, v: Value) {
        // Names are checked by the unit test `every_set_key_exists`; an unknown name here is a
        // programming error, caught in debug builds.
        if !self.set_named(name, v) {
            debug_assert!(false, "unknown fact key {name}");
        }
    }

    fn unset(&mut self, name: &'static str) {
        if let Some(i) = key_index(name) {
            self.values[i] = None;
        }
    }

    fn s(&mut self, name: &'static str, v: impl Into<Cow<'static, str>>) {
        self.set(name, Value::Str(v.into()));
    }

    fn n(&mut self, name: &'static str, v: f64) {
        self.set(name, Value::Num(v));
    }

    fn b(&mut self, name: &'static str, v: bool) {
        self.set(name, Value::Bool(v));
    }

    /// All present facts, for JSON debugging output.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.keys
            .iter()
            .zip(&self.values)
            .filter_map(|((k, _), v)| v.as_ref().map(|v| (*k, v)))
    }
}

/// What is known about the signature that fired, from its rule text or from knowledge.
#[derive(Clone, Debug, Default)]
pub struct SignatureInfo {
    /// The rule's or the knowledge base's msg, for alerts that carry none (unified2).
    pub msg: Option<String>,
    pub rev: Option<u32>,
    pub contents: Vec<Vec<u8>>,
    pub dest_port: Option<u16>,
    pub flow: Option<String>,
    pub summary: String,
    pub source: String,
}

/// The facts of an alert that depend on its signature alone (its gid, sid, rev, msg and
/// classification, and what is known of its rule): the same for every alert of the
/// signature, so the explain job computes them once per signature.
#[derive(Clone, Debug, Default)]
pub struct SignatureFacts {
    values: Vec<(usize, Value)>,
}

impl SignatureFacts {
    /// The signature facts of `alert`, as [`compute`] sets them.
    pub fn of(alert: &Alert<'_>, sig: Option<&SignatureInfo>, kb: &Knowledge) -> Self {
        let mut f = Facts::default();
        signature_facts(&mut f, alert, signature_msg(alert, sig), sig, kb);
        SignatureFacts {
            values: f
                .values
                .into_iter()
                .enumerate()
                .filter_map(|(i, v)| Some((i, v?)))
                .collect(),
        }
    }

    fn apply(&self, out: &mut Facts) {
        for (i, v) in &self.values {
            out.values[*i] = Some(v.clone());
        }
    }
}

/// The signature's msg: the alert's, else (unified2 records carry none) the rule's or the
/// knowledge's.
fn signature_msg<'a>(alert: &'a Alert<'_>, sig: Option<&'a SignatureInfo>) -> Option<&'a str> {
    alert
        .msg
        .as_deref()
        .or_else(|| sig.and_then(|s| s.msg.as_deref()))
}

/// Computes the facts of `alert` into `out` (cleared first).
pub fn compute(
    out: &mut Facts,
    alert: &Alert<'_>,
    dis: &Dissection,
    sig: Option<&SignatureInfo>,
    kb: &Knowledge,
) {
    compute_with(out, alert, dis, sig, None, kb);
}

/// [`compute`], with the signature facts already computed for the alert's signature
/// ([`SignatureFacts::of`] with the same `sig`).
pub fn compute_with(
    out: &mut Facts,
    alert: &Alert<'_>,
    dis: &Dissection,
    sig: Option<&SignatureInfo>,
    known: Option<&SignatureFacts>,
    kb: &Knowledge,
) {
    out.clear();
    let proto = alert.proto;
    if let Some(p) = proto {
        match p.lower_name() {
            Some(n) => out.s("alert.proto", n),
            None => out.s("alert.proto", p.to_string()),
        }
    }
    let date = alert.timestamp.date();
    if let Some((y, m, d)) = date {
        out.s("alert.date", format!("{y:04}-{m:02}-{d:02}"));
        out.s("alert.date_source", alert.timestamp.year_source.as_str());
    }
    if let Some(d) = alert.direction {
        out.s("alert.direction", d.as_str());
    }

    let msg = signature_msg(alert, sig);
    match known {
        Some(k) => k.apply(out),
        None => signature_facts(out, alert, msg, sig, kb),
    }
    if let Some(p) = sig.and_then(|s| s.dest_port) {
        out.b("signature.dest_port_matches", alert.dest.port == Some(p));
    }

    // Endpoints.
    host_facts(out, &alert.src.host, true, date, kb);
    host_facts(out, &alert.dest.host, false, date, kb);
    if let Some(p) = alert.src.port {
        out.n("src.port", f64::from(p));
    }
    if let Some(p) = alert.dest.port {
        out.n("dest.port", f64::from(p));
    }
    if let Some(proto) = proto.filter(|p| p.has_ports()) {
        port_facts(out, proto, alert.src.port, true, kb);
        port_facts(out, proto, alert.dest.port, false, kb);
        group_service_facts(out);
        // A registered service port on both sides (mDNS 5353, LLMNR 5355, NetBIOS 137, NTP
        // 123, IKE 500 talk from their port to their port) is that service, never a port a
        // client picked: whatever the ephemeral ranges say.
        let same = alert.src.port.is_some() && alert.src.port == alert.dest.port;
        if same && out.get_named("dest.port_service").is_some() {
            out.b("src.port_ephemeral", false);
            out.b("dest.port_ephemeral", false);
            out.b("dest.port_symmetric", true);
        }
    }

    // Payload.
    let payload = alert.payload.as_deref();
    out.b("payload.present", payload.is_some());
    if let Some(p) = payload {
        out.n("payload.len", p.len() as f64);
    }
    dissection_facts(out, dis);
    activity_facts(out, alert, dis, msg, kb);
    if dis.protocol.is_some() {
        out.b("payload.well_formed", dis.anomalies.is_empty());
        if !dis.anomalies.is_empty() {
            out.s("payload.anomalies", dis.anomalies.join(", "));
        }
    }
    if let Some(p) = payload {
        indicator_facts(out, p, kb);
        if let Some(sig) = sig {
            match_facts(out, p, dis, sig);
        }
    }

    if let Some(pkt) = &alert.packet {
        packet_facts(out, pkt);
    }

    // Flow.
    if let Some(flow) = &alert.flow {
        if let Some(client) = &flow.client {
            out.b(
                "flow.client_is_src",
                client.host == alert.src.host
                    && (client.port.is_none() || client.port == alert.src.port),
            );
            let text = match client.port {
                Some(p) => format!("{}:{p}", client.host),
                None => client.host.to_string(),
            };
            out.s("flow.client", text);
        }
        if let Some(n) = flow.pkts_toserver {
            out.n("flow.pkts_toserver", n as f64);
        }
        if let Some(n) = flow.pkts_toclient {
            out.n("flow.pkts_toclient", n as f64);
        }
        if let Some(h) = flow.handshake_seen {
            out.b("flow.handshake_seen", h);
        }
    }
    // Which way the payload travels, from the first that tells: the message itself (a
    // response), the sensor's direction, who opened the flow, then the ports (from a service
    // port to an ephemeral one, as a download from rsync's 873 to a client's port does).
    let flag = |out: &Facts, k: &str| matches!(out.get_named(k), Some(Value::Bool(true)));
    let by_ports = || {
        (out.get_named("src.port_service").is_some()
            && flag(out, "dest.port_ephemeral")
            && out.get_named("dest.port_service").is_none())
        .then_some(true)
    };
    let from_server = dis
        .is_response
        .or(match alert.direction {
            Some(Direction::ToClient) => Some(true),
            Some(Direction::ToServer) => Some(false),
            _ => None,
        })
        .or(match out.get_named("flow.client_is_src") {
            Some(Value::Bool(b)) => Some(!b),
            _ => None,
        })
        .or_else(by_ports);
    if let Some(f) = from_server {
        out.b("payload.from_server", f);
    }
    if alert.direction.is_none() {
        if let Some(r) = dis.is_response {
            let d = if r {
                Direction::ToClient
            } else {
                Direction::ToServer
            };
            out.s("alert.direction", d.as_str());
        }
    }
}

/// The facts of the signature that fired (see [`SignatureFacts`]), from its rule text or
/// from knowledge.
fn signature_facts(
    out: &mut Facts,
    alert: &Alert<'_>,
    msg: Option<&str>,
    sig: Option<&SignatureInfo>,
    kb: &Knowledge,
) {
    if let Some(m) = msg {
        out.s("signature.msg", m.to_string());
    }
    out.s("signature.id", alert.signature_id());
    out.n("signature.gid", f64::from(alert.gid));
    if let Some(sid) = alert.sid {
        out.n("signature.sid", f64::from(sid));
    }
    let intent = kb
        .intents_of(msg, None)
        .next()
        .or_else(|| kb.intents_of(None, alert.classification.as_deref()).next())
        .or_else(|| kb.intent_of_gid(alert.gid));
    if let Some(i) = intent {
        out.s("signature.intent", i.intent.clone());
        out.s("signature.intent_description", i.description.clone());
        out.s("signature.intent_source", i.source.clone());
        out.s("signature.peer", i.peer.clone());
    }
    out.b("signature.known", sig.is_some());
    if let Some(sig) = sig {
        out.s("signature.summary", sig.summary.clone());
        out.s("signature.source", sig.source.clone());
        if let Some(r) = sig.rev {
            out.n("signature.rev", f64::from(r));
        }
        let hex: Vec<String> = sig.contents.iter().map(|c| hex_bytes(c)).collect();
        out.s("signature.contents", hex.join(", "));
        if let Some(longest) = sig.contents.iter().map(Vec::len).max() {
            out.n("signature.content_min_len", longest as f64);
        }
        if let Some(p) = sig.dest_port {
            out.n("signature.dest_port", f64::from(p));
        }
        out.b("signature.has_flow", sig.flow.is_some());
    }
}

fn host_facts(
    out: &mut Facts,
    host: &Host<'_>,
    is_src: bool,
    date: Option<(i32, u32, u32)>,
    kb: &Knowledge,
) {
    let k = |src: &'static str, dst: &'static str| if is_src { src } else { dst };
    // A sanitised label (`1.11.XX.XX`, `224.0.0.XX`) keeps its visible prefix: what holds for
    // every address of that prefix is said of the host, and the text says where it came from.
    let (ip, known) = match host {
        Host::Ip(ip) => (Some(*ip), None),
        Host::Label { known, .. } => {
            out.b(k("src.label", "dest.label"), true);
            (None, *known)
        }
    };
    match known {
        Some(net) => {
            out.s(
                k("src.ip", "dest.ip"),
                format!("{host} (from the known prefix {net})"),
            );
            out.s(k("src.known_prefix", "dest.known_prefix"), net.to_string());
        }
        None => out.s(k("src.ip", "dest.ip"), host.to_string()),
    }
    let special = match (ip, known) {
        (Some(ip), _) => kb.special_blocks(ip).next(),
        (None, Some(net)) => kb.special_blocks_of_net(net).next(),
        (None, None) => None,
    };
    if let Some(b) = special {
        out.s(k("src.special", "dest.special"), b.name.clone());
        out.s(k("src.special_rfc", "dest.special_rfc"), b.rfc.clone());
        let private = !b.global && b.forwardable || b.name.starts_with("Link");
        out.b(k("src.private", "dest.private"), private);
    } else if ip.is_some() {
        out.b(k("src.private", "dest.private"), false);
    }
    if is_src {
        return;
    }
    // The address the destination facts are decided on, and the prefix length every claim
    // must hold for: the address itself, or the first address of a label's known prefix.
    let (ip, bits) = match (ip, known) {
        (Some(ip), _) => (ip, if ip.is_ipv4() { 32 } else { 128 }),
        (None, Some(net)) => (net.network(), net.prefix()),
        (None, None) => return,
    };
    let whole = bits == if ip.is_ipv4() { 32 } else { 128 };
    // Multicast is the first 4 bits (IPv4) or 8 (IPv6); a label must show them.
    let multicast = ip.is_multicast() && bits >= if ip.is_ipv4() { 4 } else { 8 };
    if whole || multicast {
        out.b("dest.multicast", multicast);
    }
    if whole {
        out.b(
            "dest.broadcast",
            matches!(ip, IpAddr::V4(v4) if v4.is_broadcast()),
        );
    }
    let at = date.map(|(y, m, _)| (y, m));
    // The registry is kept by /8: a label showing its first octet decides it.
    let allocation = kb.allocation(ip, at).filter(|_| bits >= 8);
    // An address in a block IANA had not allocated (or reserves) at the date is not a
    // reachable Internet host, whatever the special-purpose registry says of it now.
    let unrouted = matches!(
        allocation,
        Some(AllocationAt::NotYetAllocated { .. } | AllocationAt::Reserved { .. })
    );
    if whole || multicast || unrouted || special.is_some_and(|b| !b.global) {
        out.b(
            "dest.global",
            !multicast && !unrouted && special.is_none_or(|b| b.global),
        );
    }
    if let Some(s) = kb.multicast_scope(ip).filter(|s| s.prefix.prefix() <= bits) {
        out.s("dest.multicast_scope", s.scope.clone());
        out.s("dest.multicast_scope_name", s.name.clone());
        out.s("dest.multicast_scope_rfc", s.rfc.clone());
        out.s("dest.multicast_scope_note", s.note.clone());
    }
    if let Some(g) = kb.multicast_group(ip).filter(|_| whole) {
        out.s("dest.multicast_group", g.name.clone());
        out.s("dest.multicast_protocol", g.protocol.clone());
        out.s("dest.multicast_rfc", g.rfc.clone());
    }
    if let Some(a) = allocation {
        let b = a.block();
        out.s("dest.allocation_block", b.prefix.to_string());
        out.s("dest.allocation_designation", b.designation.clone());
        out.s("dest.allocation_date", b.date.clone());
        out.s("dest.allocation_source", b.source.clone());
        out.b(
            "dest.unallocated_at_date",
            matches!(a, AllocationAt::NotYetAllocated { .. }),
        );
    }
}

fn port_facts(out: &mut Facts, proto: IpProto, port: Option<u16>, is_src: bool, kb: &Knowledge) {
    let Some(port) = port else { return };
    let k = |src: &'static str, dst: &'static str| if is_src { src } else { dst };
    if let Some(s) = kb.services(proto, port).next() {
        out.s(
            k("src.port_service", "dest.port_service"),
            s.protocol.clone(),
        );
        out.s(
            k("src.port_service_name", "dest.port_service_name"),
            s.name.clone(),
        );
        out.s(
            k("src.port_service_rfc", "dest.port_service_rfc"),
            s.rfc.clone(),
        );
    }
    // The source side says only whether its port is ephemeral.
    if is_src {
        out.b(
            "src.port_ephemeral",
            kb.ephemeral_ranges(port).next().is_some(),
        );
        return;
    }
    let mut names = String::new();
    let mut sources = String::new();
    for r in kb.ephemeral_ranges(port) {
        if !names.is_empty() {
            names.push_str("; ");
            sources.push_str("; ");
        }
        let _ = write!(names, "{} {}-{}", r.name, r.low, r.high);
        sources.push_str(&r.source);
    }
    out.b(
        k("src.port_ephemeral", "dest.port_ephemeral"),
        !names.is_empty(),
    );
    if !is_src && !names.is_empty() {
        out.s("dest.port_ephemeral_ranges", names);
        out.s("dest.port_ephemeral_sources", sources);
    }
}

fn packet_facts(out: &mut Facts, pkt: &crate::model::Packet<'_>) {
    use crate::decode::{self, Anomalies, LinkType};
    let d = decode::decode(LinkType(pkt.linktype), &pkt.bytes);
    out.b("packet.decoded", d.ip.is_some());
    let bad = d.anomalies.contains(Anomalies::BAD_IP_CHECKSUM)
        || d.anomalies.contains(Anomalies::BAD_TRANSPORT_CHECKSUM);
    out.b("packet.bad_checksum", bad);
    let names: Vec<&str> = d.anomalies.names().collect();
    if !names.is_empty() {
        out.s("packet.anomalies", names.join(", "));
    }
}

fn dissection_facts(out: &mut Facts, dis: &Dissection) {
    let Some(proto) = dis.protocol else { return };
    out.s("payload.protocol", proto);
    let name = crate::dissect::display_name(proto);
    out.s("payload.protocol_name", name);
    let noun = match dis.is_response {
        Some(true) => " response",
        Some(false) => " request",
        None => " message",
    };
    let start = dis.http.as_ref().map(http_start_line);
    let quoted = start
        .as_deref()
        .map(|l| format!(" '{l}'"))
        .unwrap_or_default();
    let message = match &dis.continues {
        Some(c) => {
            out.n("payload.continues_alert", c.alert_index as f64);
            format!(
                "bytes {}–{} of the {name}{noun}{quoted} that alert {} explained",
                c.start,
                c.end.saturating_sub(1),
                c.alert_index
            )
        }
        None => format!("the {name}{noun}{quoted}"),
    };
    out.s("payload.message", message);
    out.s("payload.recognised_by", dis.recognised_by.clone());
    if let Some(r) = &dis.rfc {
        out.s("payload.protocol_rfc", r.clone());
    }
    if let Some(r) = dis.is_response {
        out.b("payload.is_response", r);
        out.b("payload.is_request", !r);
    }
    if let Some(h) = &dis.http {
        out.s("payload.start_line", http_start_line(h));
        if let Some(ct) = &h.content_type {
            out.s("payload.content_type", ct.clone());
        }
        if let Some(b) = &h.body {
            out.n("payload.body_offset", b.start as f64);
        }
    }
    if let Some(d) = &dis.dns {
        if let Some(q) = &d.qname {
            out.s("payload.dns_qname", q.clone());
        }
        if let Some(n) = &d.decoded_netbios_name {
            out.s("payload.dns_netbios_name", n.clone());
        }
        let kind = match (d.is_response, d.nbstat, d.opcode) {
            (_, true, _) => "NBSTAT query",
            (true, _, _) => "response",
            (false, _, 0) => "standard query",
            (false, _, _) => "query",
        };
        out.s("payload.dns_kind", kind);
    }
    if let Some(s) = &dis.ssdp {
        out.s("payload.start_line", s.method.clone());
    }
    if let Some(m) = &dis.body_magic {
        out.s("payload.body_magic", m.name.clone());
        out.s("payload.body_magic_class", m.class.clone());
        out.b("payload.body_magic_binary", m.binary);
        out.s("payload.body_magic_source", m.source.clone());
    }
    if let Some(a) = &dis.app {
        app_facts(out, a);
    }
}

/// The start line of an HTTP message as written (`HTTP/1.0 200 OK`, `GET / HTTP/1.1`).
fn http_start_line(h: &crate::dissect::HttpFacts) -> String {
    let line = if h.is_response {
        format!(
            "{} {} {}",
            h.version.as_deref().unwrap_or("HTTP/?"),
            h.status.map_or_else(|| "?".to_string(), |s| s.to_string()),
            h.reason.as_deref().unwrap_or("")
        )
    } else {
        format!(
            "{} {} {}",
            h.method.as_deref().unwrap_or("?"),
            h.uri.as_deref().unwrap_or("?"),
            h.version.as_deref().unwrap_or("")
        )
    };
    line.trim_end().to_string()
}

/// The routine activity the alert shows (knowledge/benign-activity.toml), when it shows one:
/// its query name, HTTP host, path and user agent (from the EVE fields or the payload's own
/// headers), TLS server name, SSDP method, payload bytes, and UDP port to a group address.
fn activity_facts(
    out: &mut Facts,
    alert: &Alert<'_>,
    dis: &Dissection,
    msg: Option<&str>,
    kb: &Knowledge,
) {
    if kb.activities.is_empty() {
        return;
    }
    let payload = alert.payload.as_deref();
    let headers = match (&dis.http, payload) {
        (Some(h), Some(p)) if !h.is_response => {
            &p[..h.headers_end.unwrap_or(p.len()).min(p.len()).min(8192)]
        }
        _ => &[][..],
    };
    let header = |name: &str| -> Option<&str> {
        std::str::from_utf8(headers).ok()?.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    };
    let tls_sni = match out.get_named("payload.tls_sni") {
        Some(Value::Str(s)) => Some(s.to_string()),
        _ => None,
    };
    let mut names: Vec<&str> = Vec::new();
    if let Some(d) = &dis.dns {
        names.extend(d.qname.as_deref());
        names.extend(d.decoded_netbios_name.as_deref());
    }
    let group = matches!(out.get_named("dest.multicast"), Some(Value::Bool(true)))
        || matches!(out.get_named("dest.broadcast"), Some(Value::Bool(true)))
        || matches!(alert.dest.host.ip(), Some(std::net::IpAddr::V4(v)) if v.octets()[3] == 255);
    let seen = crate::knowledge::Seen {
        names,
        http_host: alert
            .app
            .get("http.hostname")
            .or_else(|| header("host"))
            .or(tls_sni.as_deref()),
        http_path: alert
            .app
            .get("http.url")
            .or_else(|| dis.http.as_ref().and_then(|h| h.uri.as_deref())),
        user_agent: alert
            .app
            .get("http.http_user_agent")
            .or_else(|| header("user-agent")),
        payload,
        ssdp_method: dis.ssdp.as_ref().map(|s| s.method.as_str()),
        udp_port: alert
            .dest
            .port
            .filter(|_| alert.proto == Some(crate::model::IpProto::UDP)),
        to_group: group,
        // A malformed message is what a parser exploit sends: only a clean parse says the
        // traffic is the protocol's routine.
        protocol: dis.protocol.filter(|_| dis.anomalies.is_empty()),
    };
    let Some(a) = kb.activity(&seen) else { return };
    out.s("activity.id", a.id.clone());
    out.s("activity.name", a.name.clone());
    out.s("activity.kind", a.kind.clone());
    out.s("activity.what", a.what.clone());
    out.s("activity.source", a.source.clone());
    out.b("activity.by_protocol_only", a.when.by_protocol_only());
    out.b(
        "activity.named_by_signature",
        msg.is_some_and(|m| a.named_by(m)),
    );
}

/// The protocol a destination's address and port name together, without a payload: a
/// registered multicast group on its protocol's registered port, or the limited broadcast on
/// the NetBIOS name-service port.
fn group_service_facts(out: &mut Facts) {
    let text = |out: &Facts, k: &str| match out.get_named(k) {
        Some(Value::Str(s)) => Some(s.to_string()),
        _ => None,
    };
    let port = text(out, "dest.port_service");
    let group = text(out, "dest.multicast_protocol");
    let broadcast = matches!(out.get_named("dest.broadcast"), Some(Value::Bool(true)));
    let service = match (group, port.as_deref()) {
        (Some(g), Some(p)) if g == p => Some(g),
        (None, Some("nbns")) if broadcast => Some("nbns".to_string()),
        _ => None,
    };
    if let Some(s) = service {
        let name = text(out, "dest.port_service_name");
        let rfc = text(out, "dest.port_service_rfc");
        // The short name analysts know (LLMNR) with the registry's long one.
        let short = crate::dissect::display_name(&s);
        let name = match name {
            Some(n) if n != short => format!("{short} ({n})"),
            _ => short.to_string(),
        };
        out.s("dest.group_service_name", name);
        out.s("dest.group_service", s);
        if let Some(r) = rfc {
            out.s("dest.group_service_rfc", r);
        }
    }
}

/// Cap on the payload bytes scanned by indicator patterns: exploit markers sit near the start
/// of a request, and the cap keeps the per-alert cost flat for jumbo stream payloads.
const MAX_INDICATOR_SCAN: usize = 64 * 1024;

fn indicator_facts(out: &mut Facts, payload: &[u8], kb: &Knowledge) {
    let scan = &payload[..payload.len().min(MAX_INDICATOR_SCAN)];
    // Each pattern scans on its own, with its literal prefilter. One `RegexSet` over all of
    // them, asked first whether any matches, measured slower: 1.03x the time of `explain
    // --format json` on the benchmark EVE, and 14 M instructions more to build.
    for ind in &kb.indicators {
        let Some(re) = &ind.regex else { continue };
        if let Some(m) = re.find(scan) {
            out.s("payload.indicator", ind.id.clone());
            out.s("payload.indicator_description", ind.description.clone());
            out.s("payload.indicator_source", ind.source.clone());
            out.n("payload.indicator_offset", m.start() as f64);
            return;
        }
    }
}

fn match_facts(out: &mut Facts, payload: &[u8], dis: &Dissection, sig: &SignatureInfo) {
    // The first of the longest contents: the rule's strongest anchor, in rule order.
    let Some(content) = sig
        .contents
        .iter()
        .reduce(|best, c| if c.len() > best.len() { c } else { best })
    else {
        return;
    };
    if content.is_empty() {
        return;
    }
    let mut count = 0usize;
    let mut first = None;
    for (i, w) in payload.windows(content.len()).enumerate() {
        if w == content.as_slice() {
            count += 1;
            first.get_or_insert(i);
        }
    }
    let positions = payload.len().saturating_sub(content.len()) + 1;
    let chance = positions as f64 * 256f64.powi(-(content.len() as i32));
    out.n(
        "match.chance_per_packet",
        (chance * 1000.0).round() / 1000.0,
    );
    out.n("match.count", count as f64);
    let Some(off) = first else { return };
    out.n("match.offset", off as f64);
    out.n("match.len", content.len() as f64);
    out.s("match.hex", hex_bytes(content));
    if let Some(f) = dis.field_at(off) {
        out.s("match.field", f.name.to_string());
        out.s("match.field_class", f.class.as_str());
        out.b(
            "match.in_binary_body",
            matches!(f.class, FieldClass::MediaBody | FieldClass::BinaryBody),
        );
    } else if let (Some(m), Some(h)) = (&dis.body_magic, &dis.http) {
        let in_body = h.body.as_ref().is_some_and(|b| b.contains(&off));
        out.b("match.in_binary_body", in_body && m.binary);
    }
}

/// HOME_NET and EXTERNAL_NET as the user gave them (description, and whether `any`): the same
/// for every alert of a run, so described once.
#[derive(Clone, Debug, Default)]
pub struct GivenVars {
    home: Option<(String, bool)>,
    external: Option<(String, bool)>,
}

impl GivenVars {
    pub fn of(vars: &crate::signature::vars::Vars) -> GivenVars {
        GivenVars {
            home: vars.given_addr_var("HOME_NET"),
            external: vars.given_addr_var("EXTERNAL_NET"),
        }
    }
}

/// What the address variables say of an alert: which of its hosts are inside (`src.home`,
/// `dest.home`), and, when the user gave HOME_NET or EXTERNAL_NET, whether the alert shows
/// them set wrong: inside space HOME_NET leaves out, an EXTERNAL_NET of `any`, a HOME_NET
/// holding multicast. With the rule's header, which side its `$EXTERNAL_NET` matched an
/// inside host on. Runs after [`compute`], whose `*.private` facts it reads.
pub fn compute_variables(
    out: &mut Facts,
    alert: &Alert<'_>,
    vars: &crate::signature::vars::Vars,
    given: &GivenVars,
    header: Option<&crate::signature::parse::Header>,
) {
    use crate::signature::parse::AddrExpr;
    let (home, external) = (&given.home, &given.external);
    out.b("home_net.given", home.is_some());
    let sides = [
        (&alert.src.host, "src.private", "source"),
        (&alert.dest.host, "dest.private", "destination"),
    ];
    let mut inside = [None; 2];
    for (i, (host, side, _)) in sides.iter().enumerate() {
        let Some(ip) = host.ip() else { continue };
        let in_home = vars.in_home_net(ip);
        if let Some(h) = in_home {
            out.b(if i == 0 { "src.home" } else { "dest.home" }, h);
        }
        if home.is_none() {
            continue;
        }
        let private = matches!(out.get_named(side), Some(Value::Bool(true)));
        let not_home = private && in_home == Some(false);
        out.b(
            if i == 0 {
                "src.inside_not_home"
            } else {
                "dest.inside_not_home"
            },
            not_home,
        );
        if i == 1 && ip.is_multicast() && in_home == Some(true) {
            out.b("dest.multicast_home", true);
        }
        inside[i] = Some((in_home == Some(true), not_home));
    }
    if let Some((text, _)) = &home {
        out.s("vars.home_net", text.clone());
    }
    let external_any = external.as_ref().is_some_and(|(_, any)| *any);
    if let Some((text, any)) = &external {
        out.s("vars.external_net", text.clone());
        out.b("vars.external_net_any", *any);
    }
    let Some(h) = header else { return };
    let var = |e: &AddrExpr| match e {
        AddrExpr::Var(v) => Some(v.clone()),
        _ => None,
    };
    let vars_of = [var(&h.src), var(&h.dst)];
    if let Some(v) = &vars_of[0] {
        out.s("rule.src_var", v.clone());
    }
    if let Some(v) = &vars_of[1] {
        out.s("rule.dest_var", v.clone());
    }
    for (i, (host, _, word)) in sides.iter().enumerate() {
        if vars_of[i].as_deref() != Some("EXTERNAL_NET") {
            continue;
        }
        let why = match inside[i] {
            Some((true, _)) if external_any => {
                "EXTERNAL_NET is any, so it holds the inside hosts too"
            }
            Some((_, true)) => {
                "HOME_NET leaves its range out, so $EXTERNAL_NET (everything else) holds it"
            }
            _ => continue,
        };
        out.s("rule.external_side", *word);
        out.s("rule.external_host", host.to_string());
        out.s("rule.external_why", why);
        break;
    }
}

/// Adds the facts of the analysed rule to facts already computed by [`compute`]: the replay's
/// matches replace the `match.*` facts that [`compute`] estimated from the contents alone.
pub fn compute_rule(out: &mut Facts, alert: &Alert<'_>, dis: &Dissection, ra: &RuleAnalysis) {
    let r = &ra.rule;
    out.s("rule.source", r.origin.to_string());
    out.s("rule.chosen_by", ra.chosen_by.as_str());
    out.s("rule.chosen_why", ra.chosen_why.clone());
    if let Some(f) = ra.sid_from {
        out.s("rule.sid_from", f);
    }
    out.s("rule.text", ra.rule_text());
    if let Some(f) = r.flow() {
        out.s("rule.flow", f.join(","));
    }
    if let Some(c) = &ra.classification {
        out.s("rule.classification", c.clone());
    }
    if !ra.references.is_empty() {
        out.s("rule.references", ra.references.join("; "));
    }
    out.s("rule.replay_verdict", ra.replay.verdict.as_str());
    if let Some(why) = ra.replay.reason() {
        out.s("rule.replay_reason", why);
    }
    let ranges: Vec<String> = ra
        .replay
        .steps
        .iter()
        .flat_map(|s| {
            s.ranges
                .iter()
                .map(move |x| format!("{} {}..{}", s.buffer, x.start, x.end))
        })
        .collect();
    if !ranges.is_empty() {
        out.s("rule.match_ranges", ranges.join(", "));
    }
    if let Some(h) = &ra.header {
        let words: Vec<String> = h
            .sides
            .iter()
            .map(|(side, m)| format!("{side}: {}", m.why))
            .collect();
        out.s("rule.header_match", words.join("; "));
        if let Some(m) = h.matches {
            out.b("rule.header_matches", m);
        }
    }
    out.b("rule.excludes_this_alert", ra.exclusion.is_some());
    if let Some(x) = &ra.exclusion {
        out.s("rule.exclusion", x.clone());
    }
    if let Some(l) = &ra.later {
        if let Some(rev) = l.rule.rev {
            out.n("rule.later_rev", f64::from(rev));
        }
        out.s("rule.later_rev_source", l.rule.origin.to_string());
        let changes = if l.changes.is_empty() {
            "no change to what it matches".to_string()
        } else {
            l.changes.join("; ")
        };
        out.s("rule.later_rev_changes", changes);
        out.b("rule.later_rev_excludes_this_alert", l.exclusion.is_some());
        if let Some(x) = &l.exclusion {
            out.s("rule.later_rev_exclusion", x.clone());
        }
    }
    if !ra.weaknesses.is_empty() {
        let w: Vec<&str> = ra.weaknesses.iter().map(|f| f.message.as_str()).collect();
        out.s("rule.weakness", w.join("; "));
    }
    // Missing flow only weakens rules that look into payloads: a stream-event or decoder rule
    // without content has no direction to get wrong.
    let inspects_payload = r.contents().any(|c| !c.negated)
        || r.options.iter().any(|o| matches!(o.kind, OptKind::Pcre(_)));
    out.b(
        "rule.weak",
        ra.weaknesses.iter().any(|f| {
            f.weakness == Weakness::SHORT_CONTENT
                || (f.weakness == Weakness::TCP_WITHOUT_FLOW && inspects_payload)
        }),
    );

    // The replay's matches replace the estimate from the contents alone.
    let payload = alert.payload.as_deref();
    if let Some(m) = ra.mapping(dis) {
        out.s("match.mapping", m);
    }
    if let Some(c) = ra.chance_per_10k(dis, payload) {
        out.n("match.chance_per_10k", c);
    }
    out.b("match.only_in_random_bytes", ra.only_in_random_bytes(dis));
    let longest = ra
        .matches
        .iter()
        .filter(|m| m.buffer == "payload")
        .reduce(|best, m| {
            if m.pattern.len() > best.pattern.len() {
                m
            } else {
                best
            }
        });
    if let (Some(m), Some(p)) = (longest, payload) {
        let off = m.range.start;
        out.n("match.offset", off as f64);
        out.n("match.len", m.pattern.len() as f64);
        out.s("match.hex", hex_bytes(&m.pattern));
        let count = if m.pattern.is_empty() || m.nocase {
            None
        } else {
            Some(memchr::memmem::find_iter(p, &m.pattern).count())
        };
        if let Some(c) = count {
            out.n("match.count", c as f64);
        }
        match dis.field_at(off) {
            Some(f) => {
                out.s("match.field", f.name.to_string());
                out.s("match.field_class", f.class.as_str());
                out.b(
                    "match.in_binary_body",
                    matches!(f.class, FieldClass::MediaBody | FieldClass::BinaryBody),
                );
            }
            None => {
                // A field from the contents-only estimate would describe another offset.
                out.unset("match.field");
                out.unset("match.field_class");
                out.unset("match.in_binary_body");
            }
        }
    }
}

/// `|3E|`-style hex as Snort writes content bytes.
pub fn hex_bytes(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3 + 2);
    s.push('|');
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{x:02X}");
    }
    s.push('|');
    s
}

/// Facts of the protocols whose dissectors report [`AppFacts`].
fn app_facts(out: &mut Facts, a: &AppFacts) {
    let join = |v: &[String]| v.join(", ");
    match a {
        AppFacts::Tls(t) => {
            if let Some(s) = &t.sni {
                out.s("payload.tls_sni", s.clone());
            }
            if !t.alpn.is_empty() {
                out.s("payload.tls_alpn", join(&t.alpn));
            }
            if !t.handshakes.is_empty() {
                out.s("payload.tls_handshake", t.handshakes.join(", "));
            }
            let v = t.hello_version.as_ref().unwrap_or(&t.record_version);
            out.s("payload.tls_version", v.clone());
            if let Some(s) = &t.cert_subject {
                out.s("payload.tls_cert_subject", s.clone());
            }
            if let Some(s) = &t.cert_issuer {
                out.s("payload.tls_cert_issuer", s.clone());
            }
        }
        AppFacts::Smb(s) => {
            out.s("payload.smb_version", s.dialect);
            if let Some(c) = &s.command {
                out.s("payload.smb_command", c.clone());
            }
            if let (Some(st), Some(true)) = (&s.status, s.is_response) {
                out.s("payload.smb_status", st.clone());
            }
            if let Some(t) = &s.tree_path {
                out.s("payload.smb_tree_path", t.clone());
            }
        }
        AppFacts::Dhcp(d) => {
            if let Some(t) = &d.message_type {
                out.s("payload.dhcp_message_type", t.clone());
            }
            if let Some(h) = &d.hostname {
                out.s("payload.dhcp_hostname", h.clone());
            }
            if let Some(v) = &d.vendor_class {
                out.s("payload.dhcp_vendor_class", v.clone());
            }
        }
        AppFacts::Ntp(n) => {
            out.s("payload.ntp_mode", n.mode_name);
            if n.monlist {
                out.s("payload.ntp_request", "monlist");
            } else if let Some(r) = &n.request {
                out.s("payload.ntp_request", r.clone());
            }
            if let Some((items, _)) = n.items {
                out.n("payload.ntp_items", f64::from(items));
            }
        }
        AppFacts::Bittorrent(b) => {
            out.s("payload.bittorrent_kind", b.kind);
            if let Some(m) = &b.method {
                out.s("payload.bittorrent_method", m.clone());
            }
            if let Some(h) = &b.info_hash {
                out.s("payload.bittorrent_info_hash", h.clone());
            }
            if let Some(c) = &b.client {
                out.s("payload.bittorrent_client", c.clone());
            }
        }
        AppFacts::Irc(i) => {
            out.s("payload.irc_command", i.command.clone());
            out.s("payload.irc_commands", join(&i.commands));
            if let Some(c) = &i.channel {
                out.s("payload.irc_channel", c.clone());
            }
        }
        AppFacts::Ddos(d) => {
            out.s("payload.ddos_tool", d.tool.clone());
            out.s("payload.ddos_tool_name", d.tool_name.clone());
            out.s("payload.ddos_command", d.command.clone());
            out.s("payload.ddos_channel", d.channel.clone());
            out.s("payload.ddos_source", d.source.clone());
        }
        AppFacts::Igmp(kind) => out.s("payload.igmp_kind", *kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_generators_have_their_intent_without_a_msg() {
        // Issue #8: Snort 3 decoder events (116:150, 116:151) read from a unified2 spool
        // without its gen-msg.map had no intent, and came out false positives from the flow.
        use crate::model::{InputFormat, Location, Provenance, Timestamp};
        let kb = Knowledge::embedded().unwrap();
        let mut a = Alert::new(
            Provenance {
                path: std::borrow::Cow::Borrowed("t"),
                location: Location::Offset(0),
            },
            InputFormat::Unified2,
            Timestamp::unparsed(""),
        );
        let mut f = Facts::default();
        for (gid, intent) in [
            (116, "protocol-anomaly"),
            (129, "protocol-anomaly"),
            (122, "scan"),
        ] {
            a.gid = gid;
            a.sid = Some(150);
            compute(&mut f, &a, &Dissection::default(), None, &kb);
            assert_eq!(
                f.get_named("signature.intent"),
                Some(&Value::Str(intent.into())),
                "gid {gid}"
            );
        }
        a.gid = 1;
        compute(&mut f, &a, &Dissection::default(), None, &kb);
        assert_eq!(f.get_named("signature.intent"), None);
    }

    #[test]
    fn keys_are_unique() {
        let mut names: Vec<_> = KEYS.iter().map(|(k, _)| *k).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn tiny_numbers_read_in_scientific_notation() {
        assert_eq!(Value::Num(4.5e-19).to_string(), "4.5e-19");
        assert_eq!(Value::Num(0.15).to_string(), "0.15");
        assert_eq!(Value::Num(10_000.0).to_string(), "10000");
    }

    #[test]
    fn hex_formatting() {
        assert_eq!(hex_bytes(&[0x3e]), "|3E|");
        assert_eq!(hex_bytes(&[0x32, 0, 0, 0]), "|32 00 00 00|");
    }

    #[test]
    fn new_protocols_reach_their_facts() {
        use crate::dissect::{dissect_bytes, Hint};
        use crate::model::{InputFormat, Location, Provenance, Timestamp};
        let kb = Knowledge::embedded().unwrap();
        let a = Alert::new(
            Provenance {
                path: std::borrow::Cow::Borrowed("t"),
                location: Location::Offset(0),
            },
            InputFormat::Eve,
            Timestamp::unparsed(""),
        );
        let hint = |proto, sport, dport| Hint {
            proto: Some(proto),
            src_port: Some(sport),
            dest_port: Some(dport),
            ..Hint::default()
        };
        let mut monlist = vec![0x17, 0x00, 0x03, 0x2a];
        monlist.resize(48, 0);
        let cases: [(&[u8], Hint, &str, &str, &str); 3] = [
            (
                &monlist,
                hint(IpProto::UDP, 40000, 123),
                "ntp",
                "payload.ntp_request",
                "monlist",
            ),
            (
                b"aaa l44adsl 10.0.0.5\n",
                hint(IpProto::UDP, 1024, 27444),
                "ddos-tool",
                "payload.ddos_tool",
                "trinoo",
            ),
            (
                b"NICK kristi\r\nUSER kristi 0 * :K\r\n",
                hint(IpProto::TCP, 50000, 6667),
                "irc",
                "payload.irc_command",
                "NICK",
            ),
        ];
        let mut f = Facts::default();
        for (p, h, proto, key, want) in cases {
            let d = dissect_bytes(p, &h, &kb);
            compute(&mut f, &a, &d, None, &kb);
            assert_eq!(
                f.get_named("payload.protocol"),
                Some(&Value::Str(proto.into()))
            );
            assert_eq!(f.get_named(key), Some(&Value::Str(want.into())), "{key}");
        }
    }
}
