//! What evidence claims about the world, and which claims exclude each other
//! (`rules/claims.toml`). The evidence of one alert or cluster must never hold two claims
//! that exclude each other; the conformance run checks every corpus file with
//! [`Claims::contradiction`], and rules naming an unknown claim are refused at load time.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    contradiction: Vec<RawContradiction>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContradiction {
    claims: [String; 2],
    reason: String,
}

/// The claims file, embedded.
pub const FILE: &str = include_str!("../../rules/claims.toml");

/// Pairs of claims that cannot both hold, with why.
#[derive(Clone, Debug)]
pub struct Claims {
    pairs: Vec<([String; 2], String)>,
}

impl Claims {
    pub fn embedded() -> Claims {
        Claims::parse(FILE).expect("the embedded claims file parses (tested)")
    }

    pub fn parse(text: &str) -> Result<Claims, String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| format!("rules/claims.toml: {e}"))?;
        Ok(Claims {
            pairs: raw
                .contradiction
                .into_iter()
                .map(|c| (c.claims, c.reason))
                .collect(),
        })
    }

    /// Whether a claim name is known.
    pub fn knows(&self, claim: &str) -> bool {
        self.pairs
            .iter()
            .any(|(p, _)| p[0] == claim || p[1] == claim)
    }

    /// The first pair of the given claims that cannot both hold, with why.
    pub fn contradiction<'c>(&'c self, claims: &[&str]) -> Option<(&'c str, &'c str, &'c str)> {
        self.pairs.iter().find_map(|(p, why)| {
            (claims.contains(&p[0].as_str()) && claims.contains(&p[1].as_str()))
                .then(|| (p[0].as_str(), p[1].as_str(), why.as_str()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_parses_and_finds_contradictions() {
        let c = Claims::embedded();
        assert!(c.knows("dest.silent"));
        let (a, b, why) = c
            .contradiction(&["dest.unreachable", "payload.request", "dest.reachable"])
            .unwrap();
        assert_eq!((a, b), ("dest.reachable", "dest.unreachable"));
        assert!(why.contains("reachable"));
        assert!(c.contradiction(&["dest.silent", "dest.client"]).is_none());
    }
}
