//! Store benchmarks on SQLite (WAL, `synchronous=FULL`): durable append of 1M leaves of 200 bytes
//! in batched transactions (leaves/s printed), and proofs read from the database at 1M leaves.
//!
//! Run with `cargo bench -p store`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, Criterion, Throughput};
use store::Store;

const N: usize = 1_000_000;
const LEAF_LEN: usize = 200;
const BATCH: usize = 10_000;

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

/// Appends 1M leaves to a fresh database and prints the durable rate.
#[expect(clippy::print_stdout, reason = "a benchmark reports to the terminal")]
fn fill(rt: &tokio::runtime::Runtime, dir: &tempfile::TempDir) -> Store {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    rt.block_on(async {
        let store = Store::connect(&url).await.unwrap();
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
        store
    })
}

fn sqlite(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = fill(&rt, &dir);
    let size = N as u64;
    let mut x: u64 = 12345;
    let mut next = move || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (x >> 11) % size
    };

    let mut g = c.benchmark_group("sqlite_1m");
    g.bench_function("inclusion_generate", |b| {
        b.to_async(&rt).iter(|| store.inclusion_proof(black_box(next()), size))
    });
    g.bench_function("consistency_generate", |b| {
        b.to_async(&rt).iter(|| store.consistency_proof(black_box(next()), size))
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
