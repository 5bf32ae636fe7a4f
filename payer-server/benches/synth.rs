//! How fast the synthetic payer data generator makes members, streamed one at a time and
//! serialized as a store would (`cargo bench -p payer-server --bench synth`). Under
//! `cargo xtask ci` it runs once, as a test.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use payer_server::synth::{Config, Generator};

/// Members per iteration: enough for every line of business and claim type.
const MEMBERS: usize = 20;

fn bench(c: &mut Criterion) {
    let config = Config {
        members: MEMBERS,
        ..Config::default()
    };
    let resources_per_run: usize = {
        let generator = Generator::new(&config);
        generator.directory().len() + generator.map(|m| m.resources.len()).sum::<usize>()
    };
    let mut group = c.benchmark_group("synth");
    group.throughput(Throughput::Elements(resources_per_run as u64));
    group.sample_size(10);
    group.bench_function(format!("{MEMBERS}_members_streamed_and_serialized"), |b| {
        b.iter(|| {
            let generator = Generator::new(black_box(&config));
            let mut bytes = generator
                .directory()
                .iter()
                .map(|r| fhir_model::to_json(r).len())
                .sum::<usize>();
            for member in generator {
                bytes += member
                    .resources
                    .iter()
                    .map(|r| fhir_model::to_json(r).len())
                    .sum::<usize>();
            }
            bytes
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
