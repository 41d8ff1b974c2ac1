//! NAT mappings read from firewall logs: the real address of a host and the address it is
//! mapped to on the other side. Cisco ASA names a NAT'ed host by both in its connection
//! messages (`inside:10.1.2.3/8832 (198.51.100.20/8832)` in 302013 to 302016, `laddr` and
//! `gaddr` in 302020/302021) and by the mapped one alone in many 106xxx denies, so without the
//! mapping one host looks like two: one that talks, one that never does.
//!
//! A mapped address with one real host behind it is that host (static or 1:1 NAT). One with
//! several is port address translation, shared by many hosts: it is no one host's alias, and
//! is never merged.

use std::collections::HashMap;

use super::hosts::HostKey;

/// Mappings kept at most. A firewall has as many as it has NAT'ed hosts; 50 000 covers a
/// large site, and a mapping beyond the cap is counted in [`NatTable::untracked`], never
/// guessed.
pub const MAX_MAPPINGS: usize = 50_000;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Mapping {
    real: HostKey,
    /// More than one real host was seen behind the mapped address (PAT).
    shared: bool,
}

/// Real ↔ mapped addresses, bounded by [`MAX_MAPPINGS`].
#[derive(Debug, Default)]
pub struct NatTable {
    by_mapped: HashMap<HostKey, Mapping>,
    by_real: HashMap<HostKey, HostKey>,
    pub untracked: u64,
}

impl NatTable {
    /// Notes that `real` appears as `mapped` on the other side of the firewall.
    pub fn add(&mut self, real: HostKey, mapped: HostKey) {
        if real == mapped {
            return;
        }
        match self.by_mapped.get_mut(&mapped) {
            Some(m) => {
                if m.real != real {
                    m.shared = true;
                }
            }
            None => {
                if self.by_mapped.len() >= MAX_MAPPINGS {
                    self.untracked += 1;
                    return;
                }
                self.by_mapped.insert(
                    mapped.clone(),
                    Mapping {
                        real: real.clone(),
                        shared: false,
                    },
                );
                self.by_real.entry(real).or_insert(mapped);
            }
        }
    }

    /// The other address of the same host, when the logs show one: the real address behind a
    /// mapped one, or the mapped address of a real one. `None` for shared (PAT) addresses.
    pub fn alias(&self, k: &HostKey) -> Option<&HostKey> {
        if let Some(m) = self.by_mapped.get(k) {
            return (!m.shared).then_some(&m.real);
        }
        let mapped = self.by_real.get(k)?;
        self.by_mapped
            .get(mapped)
            .filter(|m| !m.shared)
            .map(|_| mapped)
    }

    pub fn len(&self) -> usize {
        self.by_mapped.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_mapped.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> HostKey {
        HostKey::Ip(s.parse().unwrap())
    }

    #[test]
    fn one_to_one_mappings_are_aliases_and_shared_ones_are_not() {
        let mut n = NatTable::default();
        n.add(k("10.1.2.3"), k("198.51.100.20"));
        assert_eq!(n.alias(&k("198.51.100.20")), Some(&k("10.1.2.3")));
        assert_eq!(n.alias(&k("10.1.2.3")), Some(&k("198.51.100.20")));
        n.add(k("10.1.2.4"), k("198.51.100.1"));
        n.add(k("10.1.2.5"), k("198.51.100.1"));
        assert_eq!(n.alias(&k("198.51.100.1")), None, "PAT address");
        assert_eq!(n.alias(&k("10.1.2.5")), None);
        assert_eq!(n.alias(&k("10.9.9.9")), None);
    }
}
