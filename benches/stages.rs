//! Where the time goes: each reader on its own, and each stage of judging an alert on alerts
//! already read, with criterion's rates (bytes or alerts per second). `benches/pipeline.rs`
//! and `scripts/bench.sh` give whole-job and whole-process ratios; these show which part of
//! the job a change moved.
//!
//! Inputs are built in memory from the files bundled with the crate (`examples/` and the real
//! Snort 3 and Suricata output in `tests/fixtures/`), repeated to a few MiB; nothing outside
//! the repository is read.
//!
//! - `readers/*`: one reader over an in-memory buffer into a sink that only counts.
//! - `stages/*`: per alert of the EVE buffer, in the order the explain job runs them: reading
//!   (the EVE reader again, per alert), dissection, facts (the known signature's, the alert's
//!   own, its flow's and hosts' from the state, the address variables'), the evidence rules,
//!   scoring, and the JSON line of the explained alert (without a cluster); `explain` is the
//!   whole job (`--threads 1`, JSON report) over the same alerts written to a temporary file,
//!   for reference: it also clusters, keeps the state and suggests.
//! - `setup/explain_one_alert`: the whole job over one alert, which is what every run costs
//!   before its alerts (loading knowledge and rules); `explain` includes it once.
//!
//! Run: `cargo bench --bench stages` (a filter such as `-- stages/` or `-- readers/eve`
//! selects benchmarks; `-- --quick` is a short run). Compare rates within one run: absolute
//! times on shared machines are noise.

use std::borrow::Cow;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use fpx::dissect::{self, Dissection};
use fpx::evidence::{self, Evidence, Facts, GivenVars, RuleBook, SignatureInfo, Value};
use fpx::explain::{self, ExplainConfig};
use fpx::input::{self, Flow, ReadContext, ReadError, ReadOptions, Sink};
use fpx::knowledge::{Knowledge, KnownSignature};
use fpx::model::{Alert, ContextEvent, Engine, Provenance, SkipReason};
use fpx::report::{json, Explained, Format};
use fpx::score::{self, Score};
use fpx::signature::SignatureContext;
use fpx::state::State;

/// Bytes each reader's input is repeated to.
const READER_BYTES: usize = 4 << 20;

/// Bytes of the EVE input the stages and the whole job run on (756 alerts, a third of them
/// carrying 6 KiB packets).
const STAGE_BYTES: usize = 2 << 20;

const EVE_FILES: [&str; 5] = [
    include_str!("../examples/attacks.eve.json"),
    include_str!("../examples/seed000-llmnr-xunlei.eve.json"),
    include_str!("../examples/pcap-join/seed003.eve.json"),
    include_str!("../tests/fixtures/suricata/seed003-segments/eve.json"),
    include_str!("../tests/fixtures/suricata/mstream-handler/eve.json"),
];

const FAST_FILES: [&str; 4] = [
    include_str!("../examples/pcap-join/seed003.fast"),
    include_str!("../tests/fixtures/snort3/seed000-llmnr/alert_fast.txt"),
    include_str!("../tests/fixtures/suricata/seed003-segments/fast.log"),
    include_str!("../tests/fixtures/suricata/mstream-handler/fast.log"),
];

const FULL_FILE: &str = include_str!("../examples/seed003-mstream-gif.full.txt");

const SNORT3_JSON: &str = include_str!("../tests/fixtures/snort3/seed000-llmnr/alert_json.txt");

/// Snort 3.11.1's unified2 spool of seed 000: type 114 events, each with its type 2 packet.
const SNORT3_U2: &[u8] = include_bytes!("../tests/fixtures/snort3/seed000-llmnr/unified2.log");

/// Copies made by `vary` from their number, one after another, until `bytes` are reached.
fn repeat(bytes: usize, mut vary: impl FnMut(usize) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + (64 << 10));
    let mut k = 0;
    while out.len() < bytes {
        out.extend_from_slice(&vary(k));
        k += 1;
    }
    out
}

/// The alert lines of the bundled EVE files (payloads, and packets in the Suricata 8 runs),
/// repeated with another `flow_id` in each copy so that copies are other flows.
fn eve_input(bytes: usize) -> Vec<u8> {
    let lines: Vec<&str> = EVE_FILES
        .iter()
        .flat_map(|f| f.lines())
        .filter(|l| l.contains("\"event_type\":\"alert\""))
        .collect();
    repeat(bytes, |k| {
        let mut copy = String::new();
        for l in &lines {
            copy.push_str(&with_flow_id(l, k));
            copy.push('\n');
        }
        copy.into_bytes()
    })
}

/// `line` with copy `k`'s flow id (the original's plus `k` times a large step).
fn with_flow_id(line: &str, k: usize) -> Cow<'_, str> {
    const KEY: &str = "\"flow_id\":";
    let Some(at) = line.find(KEY).map(|i| i + KEY.len()) else {
        return Cow::Borrowed(line);
    };
    let digits = line[at..].bytes().take_while(u8::is_ascii_digit).count();
    let Ok(id) = line[at..at + digits].parse::<u64>() else {
        return Cow::Borrowed(line);
    };
    let id = id.wrapping_add(k as u64 * 1_000_003) % (1 << 52);
    Cow::Owned(format!("{}{id}{}", &line[..at], &line[at + digits..]))
}

fn fast_input() -> Vec<u8> {
    let text: String = FAST_FILES
        .iter()
        .flat_map(|f| f.lines())
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    repeat(READER_BYTES, |_| text.as_bytes().to_vec())
}

/// The full alerts of seed 003, without the mail text before them.
fn full_input() -> Vec<u8> {
    let start = FULL_FILE.find("[**]").expect("seed 003 has full alerts");
    let mut alerts = FULL_FILE[start..].trim_end().to_string();
    alerts.push_str("\n\n");
    repeat(READER_BYTES, |_| alerts.as_bytes().to_vec())
}

fn snort3_json_input() -> Vec<u8> {
    let mut text = SNORT3_JSON.trim_end().to_string();
    text.push('\n');
    repeat(READER_BYTES, |_| text.as_bytes().to_vec())
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The records of a unified2 spool: type and body.
fn u2_records(spool: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= spool.len() {
        let (ty, len) = (be32(spool, at), be32(spool, at + 4) as usize);
        out.push((ty, &spool[at + 8..at + 8 + len]));
        at += 8 + len;
    }
    out
}

fn push_record(out: &mut Vec<u8>, ty: u32, body: &[u8]) {
    out.extend_from_slice(&ty.to_be_bytes());
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
}

/// Snort 3's spool repeated, each copy with other event ids (body offset 4 of events and
/// packets alike).
fn snort3_u2_input() -> Vec<u8> {
    let records = u2_records(SNORT3_U2);
    repeat(READER_BYTES, |k| {
        let mut copy = Vec::new();
        for (ty, body) in &records {
            let mut b = body.to_vec();
            let id = be32(&b, 4).wrapping_add(k as u32 * 16);
            b[4..8].copy_from_slice(&id.to_be_bytes());
            push_record(&mut copy, *ty, &b);
        }
        copy
    })
}

/// The same events as Snort 2.9 writes them: each type 114 event as a 60-byte type 104
/// (event v2, IPv4), followed by the same packet record.
fn snort2_u2_input() -> Vec<u8> {
    let records = u2_records(SNORT3_U2);
    repeat(READER_BYTES, |k| {
        let mut copy = Vec::new();
        for (ty, body) in &records {
            let id = be32(body, 4).wrapping_add(k as u32 * 16).to_be_bytes();
            if *ty == 114 {
                let mut e = [0u8; 60];
                e[0..16].copy_from_slice(&body[0..16]); // sensor, event id, second, microsecond
                e[4..8].copy_from_slice(&id);
                e[16..20].copy_from_slice(&body[20..24]); // sid before gid in Snort 2
                e[20..24].copy_from_slice(&body[16..20]);
                e[24..36].copy_from_slice(&body[24..36]); // rev, classification, priority
                e[36..40].copy_from_slice(&body[60..64]); // IPv4 of the mapped addresses
                e[40..44].copy_from_slice(&body[76..80]);
                e[44..48].copy_from_slice(&body[84..88]); // ports
                e[48] = body[93]; // protocol
                e[51] = body[94]; // blocked
                e[52..56].copy_from_slice(&body[80..84]); // MPLS label
                e[56..58].copy_from_slice(&body[88..90]); // VLAN
                push_record(&mut copy, 104, &e);
            } else {
                let mut b = body.to_vec();
                b[4..8].copy_from_slice(&id);
                push_record(&mut copy, *ty, &b);
            }
        }
        copy
    })
}

/// Counts what a reader gives; does nothing else.
#[derive(Default)]
struct Count {
    alerts: u64,
    context: u64,
    /// Records skipped for a reason other than being separator text.
    skipped: u64,
}

impl Sink for Count {
    fn alert(&mut self, a: Alert<'_>) -> Flow {
        black_box(&a);
        self.alerts += 1;
        Flow::Continue
    }
    fn context(&mut self, _: ContextEvent<'_>) -> Flow {
        self.context += 1;
        Flow::Continue
    }
    fn skipped(&mut self, why: SkipReason, _: &Provenance<'_>, _: Option<&str>) -> Flow {
        // Full alerts are separated by `=+=+...` lines, which the reader skips as text.
        if why != SkipReason::SURROUNDING_TEXT && why != SkipReason::BLANK {
            self.skipped += 1;
        }
        Flow::Continue
    }
}

/// Keeps every alert a reader gives.
#[derive(Default)]
struct Keep(Vec<Alert<'static>>);

impl Sink for Keep {
    fn alert(&mut self, a: Alert<'_>) -> Flow {
        self.0.push(a.into_owned());
        Flow::Continue
    }
    fn context(&mut self, _: ContextEvent<'_>) -> Flow {
        Flow::Continue
    }
    fn skipped(&mut self, _: SkipReason, _: &Provenance<'_>, _: Option<&str>) -> Flow {
        Flow::Continue
    }
}

type Reader =
    fn(&mut dyn std::io::BufRead, &ReadContext<'_>, &mut dyn Sink) -> Result<(), ReadError>;

const CTX: ReadContext<'static> = ReadContext {
    path: "bench",
    year: Some(2001),
    mtime_year: None,
};

fn read_into(read: Reader, data: &[u8], sink: &mut dyn Sink) {
    let mut r: &[u8] = data;
    read(&mut r, &CTX, sink).expect("bench input reads");
}

fn readers(c: &mut Criterion) {
    let inputs: [(&str, Reader, Vec<u8>); 6] = [
        ("eve", input::eve::read, eve_input(READER_BYTES)),
        ("fast", input::fast::read, fast_input()),
        ("full", input::full::read, full_input()),
        (
            "unified2_snort2",
            input::unified2::read_unified2,
            snort2_u2_input(),
        ),
        (
            "unified2_snort3",
            input::unified2::read_unified2,
            snort3_u2_input(),
        ),
        ("snort3_json", input::snort_json::read, snort3_json_input()),
    ];
    let mut g = c.benchmark_group("readers");
    configure(&mut g);
    for (name, read, data) in &inputs {
        // Every record of every input is an alert: a reader that skipped some would be
        // measured on less work.
        let mut n = Count::default();
        read_into(*read, data, &mut n);
        assert!(
            n.alerts > 0 && n.context == 0 && n.skipped == 0,
            "{name}: {} alerts, {} context records, {} skipped",
            n.alerts,
            n.context,
            n.skipped
        );
        eprintln!("readers/{name}: {} bytes, {} alerts", data.len(), n.alerts);
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| {
                let mut n = Count::default();
                read_into(*read, data, &mut n);
                n.alerts
            })
        });
    }
    g.finish();
}

fn configure(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    // An iteration is a few MiB or a few thousand alerts: ten samples over a few seconds are
    // enough, and keep a full run short on a shared machine.
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
}

/// What the explain job knows about a signature from the knowledge base (its rule text is
/// not given here).
fn known_info(k: &KnownSignature) -> SignatureInfo {
    SignatureInfo {
        msg: Some(k.msg.clone()),
        rev: Some(k.rev),
        contents: k.contents.clone(),
        dest_port: (k.dest_port != 0).then_some(k.dest_port),
        flow: (!k.flow.is_empty()).then(|| k.flow.clone()),
        summary: k.summary.clone(),
        source: k.source.clone(),
    }
}

/// Everything one alert's judgement gathers, stage by stage.
struct Judged {
    alert: Alert<'static>,
    dissection: Dissection,
    signature: Option<SignatureInfo>,
    facts: Facts,
    intent: Option<String>,
    evidence: Vec<Evidence>,
    score: Score,
}

/// The facts of one alert as the explain job gathers them without `--rules`.
fn gather_facts(
    facts: &mut Facts,
    alert: &Alert<'_>,
    dis: &Dissection,
    kb: &Knowledge,
    state: &State<'_>,
    sigs: &SignatureContext,
    given: &GivenVars,
) -> Option<SignatureInfo> {
    let sig = kb
        .known_signature(alert.gid, alert.sid, alert.msg.as_deref())
        .map(known_info);
    evidence::compute_facts(facts, alert, dis, sig.as_ref(), kb);
    state.alert_facts(alert, facts);
    evidence::compute_variable_facts(facts, alert, &sigs.vars, given, None);
    sig
}

fn intent_of(facts: &Facts) -> Option<String> {
    match facts.get_named("signature.intent") {
        Some(Value::Str(s)) => Some(s.to_string()),
        _ => None,
    }
}

fn explained<'e>(j: &'e Judged, index: usize, kb: &'e Knowledge) -> Explained<'e, 'static> {
    Explained {
        index: index as u64 + 1,
        alert: &j.alert,
        dissection: &j.dissection,
        signature: j.signature.as_ref(),
        rule: None,
        evidence: &j.evidence,
        score: &j.score,
        intent: j.intent.as_deref(),
        marks: &[],
        cluster: None,
        context: None,
        provisional: false,
        engine: j.alert.engine.unwrap_or(Engine::Suricata),
        knowledge: kb,
    }
}

fn stages(c: &mut Criterion) {
    let eve = eve_input(STAGE_BYTES);
    let mut kept = Keep::default();
    read_into(input::eve::read, &eve, &mut kept);
    let alerts = kept.0;
    let n = alerts.len() as u64;
    eprintln!("stages: {} bytes of EVE, {n} alerts", eve.len());

    let kb = Knowledge::load(None).expect("embedded knowledge");
    let book: RuleBook = evidence::load_rules(None).expect("embedded evidence rules");
    let sigs = SignatureContext::default();
    let given = GivenVars::of(&sigs.vars);
    // The state as the job has it when the alerts are judged: every alert observed, each
    // dissection recorded for the later segments of its stream.
    let mut state = State::new(&kb, Vec::new());
    for a in &alerts {
        state.observe_alert(a);
    }
    let dissections: Vec<Dissection> = alerts.iter().map(|a| dissect::dissect(a, &kb)).collect();
    for (i, (a, d)) in alerts.iter().zip(&dissections).enumerate() {
        state.flows.explained(a, i as u64 + 1, d);
    }
    let mut scratch = Facts::default();
    let judged: Vec<Judged> = alerts
        .iter()
        .zip(dissections)
        .map(|(a, dis)| {
            let signature = gather_facts(&mut scratch, a, &dis, &kb, &state, &sigs, &given);
            let facts = scratch.clone();
            let intent = intent_of(&facts);
            let mut evidence = Vec::new();
            book.evaluate(&facts, &mut evidence);
            let score = score::score(&book, intent.as_deref(), &evidence);
            Judged {
                alert: a.clone(),
                dissection: dis,
                signature,
                facts,
                intent,
                evidence,
                score,
            }
        })
        .collect();
    let evidence_items: usize = judged.iter().map(|j| j.evidence.len()).sum();
    eprintln!(
        "stages: {:.1} evidence items per alert",
        evidence_items as f64 / n as f64
    );

    let mut g = c.benchmark_group("stages");
    configure(&mut g);
    g.throughput(Throughput::Elements(n));
    g.bench_function("read", |b| {
        b.iter(|| {
            let mut c = Count::default();
            read_into(input::eve::read, &eve, &mut c);
            c.alerts
        })
    });
    g.bench_function("dissect", |b| {
        b.iter(|| {
            for a in &alerts {
                black_box(dissect::dissect(a, &kb));
            }
        })
    });
    g.bench_function("facts", |b| {
        let mut facts = Facts::default();
        b.iter(|| {
            for j in &judged {
                let sig = gather_facts(
                    &mut facts,
                    &j.alert,
                    &j.dissection,
                    &kb,
                    &state,
                    &sigs,
                    &given,
                );
                black_box((&facts, sig));
            }
        })
    });
    g.bench_function("evidence", |b| {
        b.iter(|| {
            for j in &judged {
                let mut ev = Vec::new();
                book.evaluate(&j.facts, &mut ev);
                black_box(ev);
            }
        })
    });
    g.bench_function("score", |b| {
        b.iter(|| {
            for j in &judged {
                black_box(score::score(&book, j.intent.as_deref(), &j.evidence));
            }
        })
    });
    g.bench_function("render_json", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            out.clear();
            for (i, j) in judged.iter().enumerate() {
                json::alert_line(&explained(j, i, &kb), &mut out).expect("rendered");
            }
            out.len()
        })
    });

    // The whole job reads paths: the same buffer, written once to a temporary file.
    let dir = std::env::temp_dir().join(format!("fpx-stages-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let path = dir.join("eve.json");
    std::fs::write(&path, &eve).expect("temporary EVE file");
    let cfg = ExplainConfig {
        inputs: vec![path.display().to_string()],
        read: ReadOptions::default(),
        format: Format::Json,
        knowledge_dir: None,
        evidence_dir: None,
        max_warnings: 0,
        pcaps: vec![],
        signatures: Default::default(),
        report: Default::default(),
        output: None,
        force: false,
        quiet: true,
        progress: false,
        clusters_only: false,
        hold_alerts: explain::HOLD_ALERTS,
        engine: None,
        collect: false,
        feedback: None,
        threads: 1,
        follow: false,
        hold_time: None,
        redis: None,
    };
    g.bench_function("explain", |b| {
        b.iter(|| {
            let s = explain::run(&cfg, std::io::sink(), &mut std::io::sink()).expect("explain");
            assert_eq!(s.alerts, n);
        })
    });
    g.finish();

    // What a run costs before its first alert (knowledge, evidence and cluster rules loaded,
    // the report begun and ended): the job over a file of one alert, to take from `explain`.
    let one = dir.join("one.json");
    let first_line = eve
        .iter()
        .position(|&b| b == b'\n')
        .map_or(eve.len(), |i| i + 1);
    std::fs::write(&one, &eve[..first_line]).expect("temporary EVE file");
    let one_cfg = ExplainConfig {
        inputs: vec![one.display().to_string()],
        ..cfg.clone()
    };
    let mut g = c.benchmark_group("setup");
    configure(&mut g);
    g.bench_function("explain_one_alert", |b| {
        b.iter(|| {
            let s = explain::run(&one_cfg, std::io::sink(), &mut std::io::sink()).expect("explain");
            assert_eq!(s.alerts, 1);
        })
    });
    g.finish();
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, readers, stages);
criterion_main!(benches);
