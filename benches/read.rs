//! Criterion benchmarks on generated archives of 64 MiB and 1 GiB of state (generated at bench
//! time and cached under target/bench-data, never committed): the raw inflate of the file as
//! the reference line, inspect, the read pass that verify builds on, and pack.
//!
//! `cargo bench --bench read`; `SNAPINSPECT_BENCH_SIZES=64MiB` limits the sizes.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use snapinspect::report::inspect::{KvOptions, KvStats};
use snapinspect::snapshot::archive::{read_path, ReadOptions};
use snapinspect::snapshot::state::NullSink;
use snapinspect::write::generate::{generate_snapshot, generate_state, meta_for, GenOptions};
use snapinspect::write::{write_snapshot, WriteOptions};

fn data_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The cached archive of about `size` bytes of state, generated on first use.
fn archive(label: &str, size: u64) -> PathBuf {
    variant(label, size, 0)
}

/// The cached archive, or a variant of it for diffs (about 1% of KV entries differ).
fn variant(label: &str, size: u64, variant: u64) -> PathBuf {
    let name = match variant {
        0 => format!("bench-{label}-seed1.snap"),
        v => format!("bench-{label}-seed1-variant{v}.snap"),
    };
    let p = data_dir().join(name);
    if !p.exists() {
        eprintln!("generating {} ...", p.display());
        generate_snapshot(
            GenOptions {
                size,
                seed: 1,
                variant,
            },
            &p,
            WriteOptions {
                level: 6,
                mtime: 0,
                threads: 2,
            },
            &snapinspect::write::TempFiles::new(),
        )
        .unwrap();
    }
    p
}

/// VmHWM of this process, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmHWM:")
                    .map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0))
            })
        })
        .unwrap_or(0)
}

fn sizes() -> Vec<(String, u64)> {
    let spec = std::env::var("SNAPINSPECT_BENCH_SIZES").unwrap_or_else(|_| "64MiB,1GiB".into());
    spec.split(',')
        .map(|s| {
            let s = s.trim().to_string();
            let n = match s.as_str() {
                "64MiB" => 64 << 20,
                "1GiB" => 1 << 30,
                other => panic!("unknown bench size {other}"),
            };
            (s, n)
        })
        .collect()
}

fn inflate(path: &Path) -> u64 {
    let f = std::fs::File::open(path).unwrap();
    let mut d = flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, f));
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = d.read(&mut buf).unwrap();
        if n == 0 {
            return total;
        }
        total += n as u64;
    }
}

fn bench(c: &mut Criterion) {
    for (label, size) in sizes() {
        let path = archive(&label, size);
        let mut g = c.benchmark_group(format!("read-{label}"));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(if size > 100 << 20 { 40 } else { 10 }));
        g.throughput(Throughput::Bytes(size));
        g.bench_function(BenchmarkId::new("inflate-reference", &label), |b| {
            b.iter(|| inflate(&path))
        });
        g.bench_function(BenchmarkId::new("verify-pass", &label), |b| {
            b.iter(|| read_path(&path, &ReadOptions::default(), &mut NullSink).unwrap())
        });
        g.bench_function(BenchmarkId::new("inspect-kvdetails", &label), |b| {
            b.iter(|| {
                let mut kv = KvStats::new(KvOptions {
                    enabled: true,
                    depth: 2,
                    filter: Vec::new(),
                });
                read_path(&path, &ReadOptions::default(), &mut kv).unwrap()
            })
        });
        if size <= 64 << 20 {
            g.bench_function(BenchmarkId::new("decode-null-sink", &label), |b| {
                b.iter(|| {
                    let filter = snapinspect::report::decode::Filter::default();
                    let redactor = snapinspect::model::secrets::Redactor::new_random();
                    let mut sink = snapinspect::report::decode::DecodeSink::new(
                        std::io::sink(),
                        filter,
                        redactor,
                    );
                    read_path(&path, &ReadOptions::default(), &mut sink).unwrap();
                    sink.printed
                })
            });
            g.bench_function(BenchmarkId::new("verify-full", &label), |b| {
                b.iter(|| {
                    let input = snapinspect::snapshot::archive::Input::Archive(path.clone());
                    let opts = snapinspect::report::verify::VerifyOptions::default();
                    assert!(snapinspect::report::verify::verify_input(&input, "bench", &opts).valid)
                })
            });
        }
        g.finish();

        // diff: the archive against its variant (three streamed passes).
        let other = variant(&label, size, 1);
        let mut g = c.benchmark_group(format!("diff-{label}"));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(if size > 100 << 20 { 60 } else { 10 }));
        g.throughput(Throughput::Bytes(size * 2));
        g.bench_function(BenchmarkId::new("diff-variant", &label), |b| {
            b.iter(|| {
                let (old, new) = (
                    snapinspect::snapshot::archive::Input::Archive(path.clone()),
                    snapinspect::snapshot::archive::Input::Archive(other.clone()),
                );
                let r = snapinspect::report::diff::diff(
                    &old,
                    &new,
                    &Default::default(),
                    &ReadOptions::default(),
                )
                .unwrap();
                assert!(!r.identical);
            })
        });
        g.finish();
        eprintln!(
            "peak RSS of the bench process so far: {} KiB",
            peak_rss_kib()
        );

        // pack: state already in memory for 64 MiB only (1 GiB would measure the page cache).
        if size <= 64 << 20 {
            let mut state = Vec::new();
            let snapinspect::write::generate::Generated {
                state_len: len,
                last_index: last,
            } = generate_state(
                GenOptions {
                    size,
                    seed: 1,
                    variant: 0,
                },
                &mut state,
            )
            .unwrap();
            let meta = meta_for(len, last, 0);
            let mut g = c.benchmark_group(format!("pack-{label}"));
            g.sample_size(10);
            g.throughput(Throughput::Bytes(len));
            for threads in [1, 2] {
                let id = BenchmarkId::new(format!("pack-level6-threads{threads}"), &label);
                g.bench_function(id, |b| {
                    b.iter(|| {
                        let opts = WriteOptions {
                            level: 6,
                            mtime: 0,
                            threads,
                        };
                        write_snapshot(std::io::sink(), &meta, &mut &state[..], len, opts).unwrap()
                    })
                });
            }
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
