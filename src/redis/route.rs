//! `fpx route`: splits the stream Suricata writes into partition streams by the pair of
//! addresses of each record, so that a worker per partition sees every record of a flow and
//! of its two hosts, as one `fpx explain` of the whole stream would.
//!
//! A consumer group hands entries out one by one, without a key: workers sharing one stream
//! each see a part of every flow. Kafka keeps a key on one consumer by partitioning the topic
//! and giving each partition to one consumer of the group; Redis streams have no partitions,
//! so routers make them: any number of routers share the source stream as a group (routing
//! is a function of the record alone), and each entry is added to its partition stream and
//! acknowledged in one script call, while it is still this router's, so it is routed once.

use std::borrow::Cow;

use serde::Deserialize;

use super::client::{Client, ClientError, Entry};
use super::worker::{Deliver, Fetcher, StreamConfig};

/// Entries a partition stream keeps at most (approximately, `MAXLEN ~`): Suricata's own
/// default for the stream it writes.
pub const PARTITION_MAXLEN: usize = 100_000;

/// For each entry still pending at this router: its record added to its partition stream
/// and the entry acknowledged, atomically. KEYS: the source stream, then the partitions;
/// ARGV: group, consumer, partition MAXLEN (0: untrimmed), then id, partition (0-based) and
/// record triples. Returns how many entries it routed.
const ROUTE_SCRIPT: &str = r"
local routed = 0
for i = 4, #ARGV, 3 do
  local id = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1, ARGV[2])
  if #p == 1 then
    local dest = KEYS[tonumber(ARGV[i + 1]) + 2]
    if ARGV[3] ~= '0' then
      redis.call('XADD', dest, 'MAXLEN', '~', ARGV[3], '*', 'eve', ARGV[i + 2])
    else
      redis.call('XADD', dest, '*', 'eve', ARGV[i + 2])
    end
    redis.call('XACK', KEYS[1], ARGV[1], id)
    routed = routed + 1
  end
end
return routed
";

/// Most partitions: each is a stream key and a worker; the script's arguments name them all.
pub const MAX_PARTITIONS: u32 = 1024;

/// A router's configuration: the source stream as a group, and the partitions.
#[derive(Clone, Debug)]
pub struct RouteConfig {
    pub source: StreamConfig,
    pub partitions: u32,
    /// `None`: untrimmed.
    pub maxlen: Option<usize>,
}

/// The name of partition `p` of stream `key`: `key:p`.
pub fn partition_key(key: &str, p: u32) -> String {
    format!("{key}:{p}")
}

/// The addresses of an EVE record, read without building the rest of it.
#[derive(Deserialize)]
struct Addresses<'a> {
    #[serde(borrow, default)]
    src_ip: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    dest_ip: Option<Cow<'a, str>>,
}

/// The partition of an EVE record: the FNV-1a hash of its two addresses, the lower first so
/// that both directions of a flow (and every flow between the two hosts) fall together. A
/// record without addresses (stats) or that does not parse goes to partition 0.
pub fn partition_of(eve: &[u8], partitions: u32) -> u32 {
    let partitions = partitions.max(1);
    let Ok(a) = serde_json::from_slice::<Addresses<'_>>(eve) else {
        return 0;
    };
    let (Some(src), Some(dest)) = (a.src_ip, a.dest_ip) else {
        return 0;
    };
    let (lo, hi) = if src <= dest {
        (src, dest)
    } else {
        (dest, src)
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in lo.bytes().chain([b'|']).chain(hi.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % u64::from(partitions)) as u32
}

/// Routes until Redis goes away for good (never, unless the process is stopped): reconnects
/// like a worker.
pub fn run(cfg: RouteConfig) -> Result<(), ClientError> {
    let mut fetcher = Fetcher::connect(cfg.source.clone())?;
    let keys: Vec<String> = (0..cfg.partitions)
        .map(|p| partition_key(&cfg.source.key, p))
        .collect();
    let mut router = Router { cfg, keys };
    fetcher.run(&mut router);
    Ok(())
}

struct Router {
    cfg: RouteConfig,
    keys: Vec<String>,
}

impl Deliver for Router {
    fn deliver(&mut self, client: &mut Client, got: Vec<Entry>) -> Result<bool, ClientError> {
        let maxlen = self.cfg.maxlen.unwrap_or(0).to_string();
        let src = &self.cfg.source;
        let parts: Vec<String> = got
            .iter()
            .map(|e| partition_of(e.field(b"eve").unwrap_or(b""), self.cfg.partitions).to_string())
            .collect();
        let mut args: Vec<&[u8]> = vec![
            src.group.as_bytes(),
            src.consumer.as_bytes(),
            maxlen.as_bytes(),
        ];
        for (e, p) in got.iter().zip(&parts) {
            args.push(e.id.as_bytes());
            args.push(p.as_bytes());
            args.push(e.field(b"eve").unwrap_or(b"{}"));
        }
        let mut keys = vec![src.key.as_str()];
        keys.extend(self.keys.iter().map(String::as_str));
        // An entry another router claimed meanwhile is that router's to route.
        client.eval(ROUTE_SCRIPT, &keys, &args)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_of_a_flow_share_a_partition() {
        let a = br#"{"src_ip":"10.0.0.1","dest_ip":"192.0.2.7","payload":"AAAA"}"#;
        let b = br#"{"dest_ip":"10.0.0.1","src_ip":"192.0.2.7"}"#;
        for n in [2, 3, 8, 64] {
            assert_eq!(partition_of(a, n), partition_of(b, n));
            assert!(partition_of(a, n) < n);
        }
    }

    #[test]
    fn host_pairs_spread_and_odd_records_go_to_partition_zero() {
        let parts: std::collections::HashSet<u32> = (0..64)
            .map(|i| {
                let line = format!(r#"{{"src_ip":"10.0.{i}.1","dest_ip":"192.0.2.7"}}"#);
                partition_of(line.as_bytes(), 4)
            })
            .collect();
        assert_eq!(parts.len(), 4, "64 host pairs over 4 partitions");
        assert_eq!(partition_of(br#"{"event_type":"stats"}"#, 4), 0);
        assert_eq!(partition_of(b"not json", 4), 0);
        assert_eq!(partition_of(br#"{"src_ip":"10.0.0.1"}"#, 0), 0);
    }
}
