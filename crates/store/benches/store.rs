//! Store benchmarks on SQLite (WAL, `synchronous=FULL`): durable append of 1M leaves of 200 bytes
//! in batched transactions (leaves/s printed), and proofs read from the store at 1M leaves.
//!
//! The proof table printed first gives the p50 and p90 of each way of answering, from interleaved
//! rounds of the same run: in memory (`MemoryTree`, the floor), the old uncached path, a cold cache
//! (a fresh one per proof), the warm cache for random leaves and for the most recent leaves, a full
//! mirror (`Store::with_proof_mirror`, whose load time is printed), and the cost of one SQLite
//! query, which bounds every answer that needs a row.
//! Criterion then times the uncached and warm paths and one more append batch.
//!
//! Run with `cargo bench -p store`.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use ledger::{leaf_hash, node_hash, Digest, MemoryTree};
use sqlx::Row;
use store::Store;

const N: usize = 1_000_000;
const LEAF_LEN: usize = 200;
const BATCH: usize = 10_000;
/// Proofs per way of answering per round, and rounds (each round runs every way once, in turn).
const SAMPLES: usize = 400;
const ROUNDS: usize = 5;
/// "Recent" leaves are among the last this many, which an append leaves in the cache.
const RECENT: u64 = 1_024;

fn batch(start: usize) -> Vec<Vec<u8>> {
    (start..start + BATCH)
        .map(|i| {
            let mut leaf = vec![0u8; LEAF_LEN];
            for (j, b) in leaf.iter_mut().enumerate() {
                *b = (i.wrapping_mul(31).wrapping_add(j * 7) % 251) as u8;
            }
            leaf[..8].copy_from_slice(&(i as u64).to_le_bytes());
            leaf
        })
        .collect()
}

/// Appends 1M leaves to a fresh database and prints the durable rate; returns the store and the
/// same tree in memory.
#[expect(clippy::print_stdout, reason = "a benchmark reports to the terminal")]
fn fill(rt: &tokio::runtime::Runtime, url: &str) -> (Store, MemoryTree) {
    rt.block_on(async {
        let store = Store::connect(url).await.unwrap();
        let batches: Vec<Vec<Vec<u8>>> = (0..N / BATCH).map(|k| batch(k * BATCH)).collect();
        let start = Instant::now();
        for b in &batches {
            store.append_leaves(b).await.unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "durable SQLite append: {N} leaves of {LEAF_LEN} bytes in batches of {BATCH}: {secs:.2} s, {:.0} leaves/s",
            N as f64 / secs
        );
        let mut tree = MemoryTree::with_capacity(N);
        for leaf in batches.iter().flatten() {
            tree.push(leaf);
        }
        (store, tree)
    })
}

/// A deterministic generator of numbers below a bound.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) % n
    }
}

/// Timings of one way of answering, pooled over the rounds.
struct Series {
    label: &'static str,
    samples: Vec<Duration>,
}

impl Series {
    fn new(label: &'static str) -> Self {
        Self { label, samples: Vec::with_capacity(SAMPLES * ROUNDS) }
    }

    /// Times `SAMPLES` calls of `f`, each given a fresh value from `setup` made outside the timing.
    async fn time<S, F, Fut, T>(&mut self, mut setup: impl FnMut() -> S, mut f: F)
    where
        F: FnMut(S) -> Fut,
        Fut: Future<Output = T>,
    {
        for _ in 0..SAMPLES {
            let input = setup();
            let start = Instant::now();
            black_box(f(input).await);
            self.samples.push(start.elapsed());
        }
    }

    #[expect(clippy::print_stdout, reason = "a benchmark reports to the terminal")]
    fn report(&mut self) {
        self.samples.sort_unstable();
        let at =
            |p: usize| self.samples[(self.samples.len() * p / 100).min(self.samples.len() - 1)];
        println!(
            "{:<62} p50 {:>8.1} µs   p90 {:>8.1} µs",
            self.label,
            at(50).as_secs_f64() * 1e6,
            at(90).as_secs_f64() * 1e6
        );
    }
}

/// The p50/p90 table: every way of answering, interleaved round by round so that load from other
/// processes on the machine falls on all of them alike.
#[expect(clippy::print_stdout, reason = "a benchmark reports to the terminal")]
fn proof_table(rt: &tokio::runtime::Runtime, store: &Store, tree: &MemoryTree, url: &str) {
    let size = N as u64;
    let uncached = store.without_proof_cache();
    let mirror = store.with_proof_mirror();
    let start = Instant::now();
    let first = rt.block_on(mirror.inclusion_proof(7, size)).unwrap();
    println!("mirror loaded from {N} stored leaf hashes: {:.2} s", start.elapsed().as_secs_f64());
    assert_eq!(first.proof, tree.inclusion_proof(7, size).unwrap());
    let mut rng = Lcg(12345);
    let raw = rt.block_on(sqlx::SqlitePool::connect(url)).unwrap();
    let mut inc: Vec<Series> = [
        "inclusion, in memory (MemoryTree)",
        "inclusion from store, no cache (the old path)",
        "inclusion from store, cold cache (fresh per proof)",
        "inclusion from store, warm cache, random leaf",
        "inclusion from store, warm cache, one of the last 1,024 leaves",
        "inclusion from store, mirror, random leaf",
    ]
    .map(Series::new)
    .into();
    let mut con: Vec<Series> = [
        "consistency to 1M, in memory (MemoryTree)",
        "consistency from store, no cache (the old path)",
        "consistency from store, cold cache (fresh per proof)",
        "consistency from store, warm cache, random old size",
        "consistency from store, warm cache, old size in the last 1,024",
        "consistency from store, mirror, random old size",
    ]
    .map(Series::new)
    .into();
    let mut other: Vec<Series> = [
        "root at 1M from store, warm cache",
        "one SQLite query through the pool: one leaf hash by index",
        "one SQLite query: the 1,024 leaf hashes of a bottom subtree",
        "the same 1,024 leaf hashes read and hashed to their subtree root",
    ]
    .map(Series::new)
    .into();
    rt.block_on(async {
        for _ in 0..ROUNDS {
            let r = &mut rng;
            inc[0].time(|| r.below(size), |i| async move { tree.inclusion_proof(i, size) }).await;
            inc[1].time(|| r.below(size), |i| uncached.inclusion_proof(i, size)).await;
            inc[2]
                .time(
                    || (store.with_proof_cache(10, 1 << 16), r.below(size)),
                    |(s, i)| async move { s.inclusion_proof(i, size).await },
                )
                .await;
            inc[3].time(|| r.below(size), |i| store.inclusion_proof(i, size)).await;
            inc[4].time(|| size - 1 - r.below(RECENT), |i| store.inclusion_proof(i, size)).await;
            inc[5].time(|| r.below(size), |i| mirror.inclusion_proof(i, size)).await;

            let old = |r: &mut Lcg| 1 + r.below(size - 1);
            con[0].time(|| old(r), |o| async move { tree.consistency_proof(o, size) }).await;
            con[1].time(|| old(r), |o| uncached.consistency_proof(o, size)).await;
            con[2]
                .time(
                    || (store.with_proof_cache(10, 1 << 16), old(r)),
                    |(s, o)| async move { s.consistency_proof(o, size).await },
                )
                .await;
            con[3].time(|| old(r), |o| store.consistency_proof(o, size)).await;
            con[4].time(|| size - 1 - r.below(RECENT), |o| store.consistency_proof(o, size)).await;
            con[5].time(|| old(r), |o| mirror.consistency_proof(o, size)).await;

            other[0].time(|| (), |()| store.root_at(size)).await;
            other[1]
                .time(
                    || r.below(size),
                    |i| {
                        sqlx::query("SELECT leaf_hash FROM ledger_leaves WHERE idx = ?")
                            .bind(i as i64)
                            .fetch_one(&raw)
                    },
                )
                .await;
            let subtree = |i: u64| {
                sqlx::query(
                    "SELECT leaf_hash FROM ledger_leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
                )
                .bind((i & !1023) as i64)
                .bind((i & !1023) as i64 + 1024)
                .fetch_all(&raw)
            };
            other[2].time(|| r.below(size - 1024), subtree).await;
            other[3]
                .time(
                    || r.below(size - 1024),
                    |i| async move {
                        let rows = subtree(i).await.unwrap();
                        let mut level: Vec<Digest> = rows
                            .iter()
                            .map(|row| Digest::from_slice(row.get::<&[u8], _>(0)).unwrap())
                            .collect();
                        while level.len() > 1 {
                            level = level.chunks(2).map(|p| node_hash(&p[0], &p[1])).collect();
                        }
                        level[0]
                    },
                )
                .await;
        }
    });
    println!(
        "proofs at {N} leaves, {} samples each, {ROUNDS} interleaved rounds:",
        SAMPLES * ROUNDS
    );
    for s in inc.iter_mut().chain(&mut con).chain(&mut other) {
        s.report();
    }
    // The cache and the mirror must answer exactly what the database holds.
    for s in [store, &mirror] {
        for i in [7, size / 3, size - 1] {
            let check = rt.block_on(s.inclusion_proof(i, size)).unwrap();
            assert_eq!(check.proof, tree.inclusion_proof(i, size).unwrap());
            assert_eq!(Some(check.leaf_hash), tree.leaf_hash(i));
            let c = rt.block_on(s.consistency_proof(i + 1, size)).unwrap();
            assert_eq!(c.proof, tree.consistency_proof(i + 1, size).unwrap());
        }
    }
    let check = rt.block_on(mirror.inclusion_proof(7, size)).unwrap();
    assert_eq!(check.leaf_hash, leaf_hash(&batch(0)[7]));
}

fn sqlite(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let (store, tree) = fill(&rt, &url);
    proof_table(&rt, &store, &tree, &url);
    drop(tree);
    let size = N as u64;
    let uncached = store.without_proof_cache();
    let mut rng = Lcg(54321);

    let mut g = c.benchmark_group("sqlite_1m");
    g.bench_function("inclusion_uncached", |b| {
        b.to_async(&rt).iter(|| uncached.inclusion_proof(black_box(rng.below(size)), size))
    });
    g.bench_function("inclusion_warm_random", |b| {
        b.to_async(&rt).iter(|| store.inclusion_proof(black_box(rng.below(size)), size))
    });
    g.bench_function("consistency_uncached", |b| {
        b.to_async(&rt)
            .iter(|| uncached.consistency_proof(black_box(1 + rng.below(size - 1)), size))
    });
    g.bench_function("consistency_warm_random", |b| {
        b.to_async(&rt).iter(|| store.consistency_proof(black_box(1 + rng.below(size - 1)), size))
    });
    g.sample_size(10).throughput(Throughput::Elements(BATCH as u64));
    let mut appended = N;
    g.bench_function("append_batch_10k", |b| {
        b.to_async(&rt).iter_batched(
            || {
                appended += BATCH;
                batch(appended)
            },
            |leaves| {
                let store = store.clone();
                async move { store.append_leaves(&leaves).await.unwrap() }
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, sqlite);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
