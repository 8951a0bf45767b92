//! EVO entries shaped like `core.evo_entries` (docs/data-contract.md#evo-entries): one
//! turnstile event per row, most optional ids NULL, short Portuguese strings.

use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, Int64Builder, StringBuilder, StringViewBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use skyfit_load::{PgColumn, PgType};

const FIRST: &[&str] = &[
    "Maria",
    "João",
    "Ana",
    "José",
    "Francisca",
    "Antônio",
    "Luíza",
    "Carlos",
    "Paula",
    "Lucas",
];
const LAST: &[&str] = &[
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
];
const DEVICES: &[&str] = &[
    "Catraca 1",
    "Catraca 2",
    "Recepção",
    "Catraca Acessível",
    "App",
];
const BLOCKS: &[&str] = &["Inadimplente", "Contrato vencido", "Fora do horário"];

/// Target columns of `core.evo_entries` (minus `_loaded_at`, which defaults).
pub fn columns() -> Vec<PgColumn> {
    use PgType::*;
    [
        ("entry_id", Int8),
        ("entry_date", Timestamptz),
        ("entry_date_turn", Timestamptz),
        ("timezone", Text),
        ("member_id", Int8),
        ("member_name", Text),
        ("prospect_id", Int8),
        ("employee_id", Int8),
        ("branch_id", Int8),
        ("entry_type", Text),
        ("entry_action", Text),
        ("device", Text),
        ("block_reason", Text),
        ("releases_by_id", Int8),
        ("migration_id", Text),
        ("_source_run_id", Text),
    ]
    .into_iter()
    .map(|(n, t)| PgColumn::new(n, t))
    .collect()
}

/// `core.evo_entries` DDL without keys or partitions, for load benches.
pub const TABLE_DDL: &str = "CREATE TABLE evo_entries (entry_id bigint NOT NULL, \
    entry_date timestamptz NOT NULL, entry_date_turn timestamptz, timezone text, member_id bigint, \
    member_name text, prospect_id bigint, employee_id bigint, branch_id bigint, entry_type text, \
    entry_action text, device text, block_reason text, releases_by_id bigint, migration_id text, \
    _source_run_id text, _loaded_at timestamptz NOT NULL DEFAULT now())";

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// A string column builder: plain `Utf8` or `Utf8View`.
enum Strings {
    Plain(StringBuilder),
    View(StringViewBuilder),
}

impl Strings {
    fn new(view: bool, rows: usize) -> Self {
        if view {
            Strings::View(StringViewBuilder::with_capacity(rows))
        } else {
            Strings::Plain(StringBuilder::with_capacity(rows, rows * 16))
        }
    }
    fn append(&mut self, v: Option<&str>) {
        match self {
            Strings::Plain(b) => b.append_option(v),
            Strings::View(b) => b.append_option(v),
        }
    }
    fn finish(&mut self) -> ArrayRef {
        match self {
            Strings::Plain(b) => Arc::new(b.finish()),
            Strings::View(b) => Arc::new(ArrayBuilder::finish(b)),
        }
    }
}

/// The Arrow schema of generated batches.
pub fn schema(view: bool) -> Arc<Schema> {
    let text = if view {
        DataType::Utf8View
    } else {
        DataType::Utf8
    };
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Arc::new(Schema::new(
        columns()
            .iter()
            .map(|c| {
                let t = match c.pg_type {
                    PgType::Int8 => DataType::Int64,
                    PgType::Timestamptz => ts.clone(),
                    _ => text.clone(),
                };
                Field::new(&c.name, t, c.name != "entry_id" && c.name != "entry_date")
            })
            .collect::<Vec<_>>(),
    ))
}

/// `rows` entries in batches of `batch_rows`, strings as `Utf8View` if `view`.
pub fn batches(rows: usize, batch_rows: usize, view: bool) -> Vec<RecordBatch> {
    let schema = schema(view);
    let mut rng = Lcg(42);
    let mut out = Vec::new();
    let mut name = String::new();
    let mut start = 0;
    while start < rows {
        let n = batch_rows.min(rows - start);
        start += n;
        let mut ints: Vec<Int64Builder> = (0..7).map(|_| Int64Builder::with_capacity(n)).collect();
        let mut times: Vec<TimestampMicrosecondBuilder> = (0..2)
            .map(|_| TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC"))
            .collect();
        let mut texts: Vec<Strings> = (0..7).map(|_| Strings::new(view, n)).collect();
        for _ in 0..n {
            let member = rng.below(100) < 93;
            // entry_id, member_id, prospect_id, employee_id, branch_id, releases_by_id
            ints[0].append_value(rng.next() as i64 * 1_000 % 1_000_000_000_000_000);
            let date = 1_577_836_800_000_000 + (rng.next() as i64 % 220_000_000) * 1_000_000;
            times[0].append_value(date);
            times[1]
                .append_option((rng.below(10) < 8).then_some(date + rng.below(5_000_000) as i64));
            texts[0].append(Some("America/Sao_Paulo"));
            ints[1].append_option(member.then(|| 100_000 + rng.below(900_000) as i64));
            name.clear();
            name.push_str(rng.pick(FIRST));
            name.push(' ');
            name.push_str(rng.pick(LAST));
            name.push(' ');
            name.push_str(rng.pick(LAST));
            texts[1].append(member.then_some(name.as_str()));
            ints[2].append_option((!member && rng.below(2) == 0).then(|| rng.below(99_999) as i64));
            ints[3].append_option((!member && rng.below(2) == 1).then(|| rng.below(999) as i64));
            ints[4].append_value(1 + rng.below(40) as i64);
            texts[2].append(Some(if member { "Membro" } else { "Prospect" }));
            texts[3].append(Some(if rng.below(2) == 0 {
                "Entrada"
            } else {
                "Saída"
            }));
            texts[4].append(Some(rng.pick(DEVICES)));
            texts[5].append((rng.below(100) < 3).then(|| rng.pick(BLOCKS)));
            ints[5].append_option((rng.below(100) < 2).then(|| rng.below(999) as i64));
            texts[6].append(None);
        }
        let run_id = Strings::new(view, n);
        let mut run_id = run_id;
        for _ in 0..n {
            run_id.append(Some("20250101T020000Z-7f3a9c"));
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(ints[0].finish()),
            Arc::new(times[0].finish()),
            Arc::new(times[1].finish()),
            texts[0].finish(),
            Arc::new(ints[1].finish()),
            texts[1].finish(),
            Arc::new(ints[2].finish()),
            Arc::new(ints[3].finish()),
            Arc::new(ints[4].finish()),
            texts[2].finish(),
            texts[3].finish(),
            texts[4].finish(),
            texts[5].finish(),
            Arc::new(ints[5].finish()),
            texts[6].finish(),
            run_id.finish(),
        ];
        out.push(
            RecordBatch::try_new(schema.clone(), columns).expect("generated batch matches schema"),
        );
    }
    out
}

/// `n` EVO entries as the API sends them (JSON text), spread over the simulator's timeline of
/// 1M entries (every 17th), so dates, members and devices vary as in a real part.
pub fn api_records(n: u64) -> Vec<String> {
    let mut scale = skyfit_api_sim::Scale::medium();
    scale.evo_entries = 1_000_000;
    let g = skyfit_api_sim::Gen::new(42, scale);
    (0..n)
        .map(|i| {
            let mut s = String::with_capacity(420);
            skyfit_api_sim::evo::entries::write_record(&g, i * 17, &mut s);
            s
        })
        .collect()
}
