//! The Redis client against a real redis-server: the consumer-group flow fpx uses on
//! Suricata's EVE stream, scripts, pipelines and authentication.

use std::time::{Duration, Instant};

use fpx::redis::{Client, ClientError, Reply, Url};

use super::redis_server::RedisServer;

const TIMEOUT: Duration = Duration::from_secs(5);

fn connect(url: &str) -> Client {
    let url = Url::parse(url).unwrap_or_else(|e| panic!("{e}"));
    Client::connect(&url, TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
}

/// An EVE record as Suricata writes it into the stream.
fn eve_line(n: usize) -> String {
    format!(
        r#"{{"timestamp":"2024-05-01T10:00:0{n}.000000+0000","event_type":"alert","src_ip":"10.0.0.{n}","alert":{{"signature_id":{n}}}}}"#
    )
}

/// Appends exactly as Suricata does: `XADD key MAXLEN ~ 100000 * eve line`.
fn suricata_xadd(c: &mut Client, key: &str, line: &str) -> String {
    let args: [&[u8]; 8] = [
        b"XADD",
        key.as_bytes(),
        b"MAXLEN",
        b"~",
        b"100000",
        b"*",
        b"eve",
        line.as_bytes(),
    ];
    c.cmd(&args).unwrap().into_string().unwrap()
}

#[test]
fn creating_a_group_twice_reports_that_it_exists() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let key = server.unique_key("group");
    let mut c = connect(&server.url);
    assert!(c.xgroup_create(&key, "fpx", "$").unwrap());
    assert!(!c.xgroup_create(&key, "fpx", "$").unwrap());
    // MKSTREAM made the stream.
    assert_eq!(c.xlen(&key).unwrap(), 0);
    assert_eq!(c.del(&[&key]).unwrap(), 1);
}

#[test]
fn two_consumers_split_suricata_entries_and_acknowledge_them() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let key = server.unique_key("split");
    let mut c = connect(&server.url);
    c.xgroup_create(&key, "fpx", "$").unwrap();
    let mut ids = Vec::new();
    for n in 0..4 {
        let line = eve_line(n);
        let id = if n % 2 == 0 {
            suricata_xadd(&mut c, &key, &line)
        } else {
            c.xadd(&key, Some(100_000), &[(b"eve", line.as_bytes())])
                .unwrap()
        };
        ids.push(id);
    }
    assert_eq!(c.xlen(&key).unwrap(), 4);

    let a = c.xreadgroup("fpx", "a", &key, 2, None, ">").unwrap();
    let b = c.xreadgroup("fpx", "b", &key, 10, Some(100), ">").unwrap();
    let got: Vec<&str> = a.iter().chain(&b).map(|e| e.id.as_str()).collect();
    assert_eq!(got, ids, "each entry delivered once, in order");
    assert_eq!((a.len(), b.len()), (2, 2));
    for (n, entry) in a.iter().chain(&b).enumerate() {
        assert_eq!(entry.field(b"eve"), Some(eve_line(n).as_bytes()));
    }

    let pending = c.xpending_summary(&key, "fpx").unwrap();
    assert_eq!(pending.count, 4);
    assert_eq!(pending.smallest_id.as_deref(), Some(ids[0].as_str()));
    assert_eq!(pending.largest_id.as_deref(), Some(ids[3].as_str()));
    assert_eq!(
        pending.consumers,
        vec![("a".to_string(), 2), ("b".to_string(), 2)]
    );

    let a_ids: Vec<&str> = a.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(c.xack(&key, "fpx", &a_ids).unwrap(), 2);
    assert_eq!(
        c.xack(&key, "fpx", &a_ids).unwrap(),
        0,
        "already acknowledged"
    );
    assert_eq!(c.xpending_summary(&key, "fpx").unwrap().count, 2);
    assert!(c
        .xreadgroup("fpx", "a", &key, 10, None, "0")
        .unwrap()
        .is_empty());
    assert_eq!(c.xreadgroup("fpx", "b", &key, 10, None, "0").unwrap(), b);

    // Nothing new: a blocking read times out empty.
    assert!(c
        .xreadgroup("fpx", "a", &key, 10, Some(50), ">")
        .unwrap()
        .is_empty());
    c.del(&[&key]).unwrap();
}

#[test]
fn xautoclaim_moves_an_idle_entry_and_reports_a_deleted_one() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let key = server.unique_key("claim");
    let mut c = connect(&server.url);
    c.xgroup_create(&key, "fpx", "$").unwrap();
    let kept = suricata_xadd(&mut c, &key, &eve_line(1));
    let gone = suricata_xadd(&mut c, &key, &eve_line(2));
    assert_eq!(
        c.xreadgroup("fpx", "a", &key, 10, None, ">").unwrap().len(),
        2
    );

    // Deleted while pending: a's own pending read returns it with no fields.
    let xdel: [&[u8]; 3] = [b"XDEL", key.as_bytes(), gone.as_bytes()];
    assert_eq!(c.cmd(&xdel).unwrap(), Reply::Integer(1));
    let own = c.xreadgroup("fpx", "a", &key, 10, None, "0").unwrap();
    assert_eq!(own.len(), 2);
    assert_eq!(own[0].id, kept);
    assert_eq!(own[0].field(b"eve"), Some(eve_line(1).as_bytes()));
    assert_eq!(
        (own[1].id.as_str(), own[1].fields.len()),
        (gone.as_str(), 0)
    );

    std::thread::sleep(Duration::from_millis(20));
    let claimed = c.xautoclaim(&key, "fpx", "b", 10, "0-0", 10).unwrap();
    assert_eq!(claimed.next_start, "0-0", "the whole pending list scanned");
    assert_eq!(claimed.entries.len(), 1);
    assert_eq!(claimed.entries[0].id, kept);
    assert_eq!(
        claimed.entries[0].field(b"eve"),
        Some(eve_line(1).as_bytes())
    );
    assert_eq!(claimed.deleted, vec![gone]);

    let pending = c.xpending_summary(&key, "fpx").unwrap();
    assert_eq!(pending.count, 1);
    assert_eq!(pending.consumers, vec![("b".to_string(), 1)]);
    c.del(&[&key]).unwrap();
}

#[test]
fn eval_runs_by_sha_and_survives_a_script_flush() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let key = server.unique_key("eval");
    let mut c = connect(&server.url);
    let script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    assert_eq!(c.eval(script, &[&key], &[b"2"]).unwrap(), Reply::Integer(2));
    assert_eq!(
        c.cmd(&[b"SCRIPT", b"FLUSH"]).unwrap(),
        Reply::Simple("OK".into())
    );
    // EVALSHA now fails with NOSCRIPT; EVAL runs it and loads it again.
    assert_eq!(c.eval(script, &[&key], &[b"2"]).unwrap(), Reply::Integer(4));
    assert_eq!(c.eval(script, &[&key], &[b"2"]).unwrap(), Reply::Integer(6));
    match c.eval("return redis.call('NO_SUCH_COMMAND')", &[], &[]) {
        Err(ClientError::Server(m)) => assert!(m.contains("Unknown Redis command"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A script error is a reply, not a broken connection.
    assert_eq!(c.cmd(&[b"PING"]).unwrap(), Reply::Simple("PONG".into()));
    c.del(&[&key]).unwrap();
}

#[test]
fn a_pipeline_answers_in_order_and_select_picks_the_database() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let key = server.unique_key("pipe");
    let k = key.as_bytes().to_vec();
    let mut db1 = connect(&format!("{}/1", server.url));
    let cmds = vec![
        vec![b"SET".to_vec(), k.clone(), b"v".to_vec()],
        vec![b"GET".to_vec(), k.clone()],
        vec![b"INCR".to_vec(), k.clone()],
        vec![b"STRLEN".to_vec(), k.clone()],
    ];
    let replies = db1.pipeline(&cmds).unwrap();
    assert_eq!(replies[0], Reply::Simple("OK".into()));
    assert_eq!(replies[1], Reply::Bulk(b"v".to_vec()));
    assert!(matches!(&replies[2], Reply::Error(m) if m.contains("not an integer")));
    assert_eq!(replies[3], Reply::Integer(1));
    let mut db0 = connect(&server.url);
    assert_eq!(db0.cmd(&[b"GET", &k]).unwrap(), Reply::Nil);
    assert_eq!(db1.del(&[&key]).unwrap(), 1);
}

#[test]
fn a_blocking_read_outlasts_the_read_timeout() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let key = server.unique_key("block");
    let url = Url::parse(&server.url).unwrap();
    let mut c = Client::connect(&url, Duration::from_millis(200)).unwrap();
    c.xgroup_create(&key, "fpx", "$").unwrap();
    let started = Instant::now();
    let got = c.xreadgroup("fpx", "a", &key, 10, Some(600), ">").unwrap();
    assert!(got.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_eq!(c.cmd(&[b"PING"]).unwrap(), Reply::Simple("PONG".into()));
    c.del(&[&key]).unwrap();
}

#[test]
fn auth_with_a_password_works_and_a_wrong_one_is_refused_without_showing_it() {
    let Some(server) = RedisServer::start_with(&["--requirepass", "open-sesame-42"]) else {
        return;
    };
    let with = |userinfo: &str| {
        server
            .url
            .replacen("redis://", &format!("redis://{userinfo}@"), 1)
    };
    let mut c = connect(&with(":open-sesame-42"));
    assert_eq!(c.cmd(&[b"PING"]).unwrap(), Reply::Simple("PONG".into()));
    let mut c = connect(&with("default:open-sesame-42"));
    assert_eq!(c.cmd(&[b"PING"]).unwrap(), Reply::Simple("PONG".into()));

    let mut anonymous = connect(&server.url);
    match anonymous.cmd(&[b"PING"]) {
        Err(ClientError::Server(m)) => assert!(m.starts_with("NOAUTH"), "{m}"),
        other => panic!("{other:?}"),
    }

    let wrong = Url::parse(&with(":wrong-guess-17")).unwrap();
    let e = Client::connect(&wrong, TIMEOUT).err().expect("refused");
    let (shown, debug) = (e.to_string(), format!("{e:?}"));
    assert!(
        shown.starts_with(&format!("{}: AUTH refused: WRONGPASS", server.url)),
        "{shown}"
    );
    for text in [&shown, &debug] {
        assert!(!text.contains("wrong-guess-17"), "{text}");
        assert!(!text.contains("open-sesame-42"), "{text}");
    }
}
