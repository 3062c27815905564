//! Property test of the saved-plan contract: for a random small
//! configuration applied first, a random second configuration saved as a
//! plan, and a random edit made after saving it, applying the saved plan
//! either is refused before anything changes (same head event, same
//! objects, same outputs, same files), or does exactly what the plan
//! said: every value the plan knew is the value recorded, and the
//! addresses that changed are the plan's.

mod support;

use nimbus_engine::saved::conforms;
use nimbus_engine::{Action, ApplyReport, SavedPlan};
use nimbus_state::ResourceRecord;
use nimbus_value::Value;
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use support::{Project, Snapshot};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// `terraform-data`: `input`, echoed as `output`; updated in place.
    Data,
    /// `local-file`: a real file; a new `content` replaces it.
    File,
}

/// Where a block's value (`input` or `content`) comes from.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    Literal(u8),
    /// An attribute of an earlier block (index taken modulo the blocks
    /// before this one): its echo (`output`/`content`) or its `id`.
    Reference {
        block: usize,
        id: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct Block {
    kind: Kind,
    count: Option<u8>,
    source: Source,
}

#[derive(Debug, Clone, PartialEq)]
struct Model {
    blocks: Vec<Block>,
    /// The block whose echo the output `out` shows.
    output: Option<usize>,
}

#[derive(Debug, Clone)]
enum Edit {
    Nothing,
    SetLiteral(usize, u8),
    SetCount(usize, Option<u8>),
    Add(Block),
    RemoveLast,
    SetOutput(Option<usize>),
}

impl Model {
    fn apply(&mut self, edit: &Edit) {
        let len = self.blocks.len();
        match edit {
            Edit::Nothing => {}
            Edit::SetLiteral(i, n) => self.blocks[i % len].source = Source::Literal(*n),
            Edit::SetCount(i, count) => self.blocks[i % len].count = *count,
            Edit::Add(block) => self.blocks.push(block.clone()),
            // Blocks refer only to earlier ones, and the output's index is
            // taken modulo the blocks there are: the last block can go.
            Edit::RemoveLast if len > 1 => {
                self.blocks.pop();
            }
            Edit::RemoveLast => {}
            Edit::SetOutput(output) => self.output = *output,
        }
    }

    fn kind_name(kind: Kind) -> &'static str {
        match kind {
            Kind::Data => "terraform-data",
            Kind::File => "local-file",
        }
    }

    /// `(ref ...)` of block `j`'s echo or id (its first instance if it has
    /// `count`).
    fn reference(&self, j: usize, id: bool) -> String {
        let block = &self.blocks[j];
        let attribute = match (block.kind, id) {
            (_, true) => "id",
            (Kind::Data, false) => "output",
            (Kind::File, false) => "content",
        };
        let index = if block.count.is_some() { " 0" } else { "" };
        format!(
            "(ref {} \"r{j}\"{index} \"{attribute}\")",
            Model::kind_name(block.kind)
        )
    }

    fn render(&self) -> String {
        let mut text = String::new();
        for (i, block) in self.blocks.iter().enumerate() {
            let value = match block.source {
                Source::Literal(n) => format!("\"value-{n}\""),
                Source::Reference { block: j, id } if i > 0 => self.reference(j % i, id),
                // The first block has nothing to refer to.
                Source::Reference { .. } => "\"first\"".to_string(),
            };
            let _ = writeln!(text, "(resource {} \"r{i}\"", Model::kind_name(block.kind));
            if let Some(count) = block.count {
                let _ = writeln!(text, "  (count {count})");
            }
            match block.kind {
                Kind::Data => {
                    let _ = writeln!(text, "  (input {value}))");
                }
                Kind::File => {
                    let filename = if block.count.is_some() {
                        format!("(format \"f{i}-~a.txt\" count-index)")
                    } else {
                        format!("\"f{i}.txt\"")
                    };
                    let _ = writeln!(text, "  (filename {filename})\n  (content {value}))");
                }
            }
        }
        if let Some(o) = self.output {
            let o = o % self.blocks.len();
            let _ = writeln!(
                text,
                "(output \"out\"\n  (value {}))",
                self.reference(o, false)
            );
        }
        text
    }
}

fn block() -> impl Strategy<Value = Block> {
    let kind = prop_oneof![Just(Kind::Data), Just(Kind::File)];
    let count = prop_oneof![3 => Just(None), 1 => (1u8..=3).prop_map(Some)];
    let source = prop_oneof![
        (0u8..4).prop_map(Source::Literal),
        (0usize..8, any::<bool>()).prop_map(|(block, id)| Source::Reference { block, id }),
    ];
    (kind, count, source).prop_map(|(kind, count, source)| Block {
        kind,
        count,
        source,
    })
}

fn model() -> impl Strategy<Value = Model> {
    (
        prop::collection::vec(block(), 1..=4),
        prop::option::of(0usize..8),
    )
        .prop_map(|(blocks, output)| Model { blocks, output })
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        2 => Just(Edit::Nothing),
        3 => (0usize..8, 0u8..4).prop_map(|(i, n)| Edit::SetLiteral(i, n)),
        1 => (0usize..8, prop::option::of(1u8..=3)).prop_map(|(i, c)| Edit::SetCount(i, c)),
        1 => block().prop_map(Edit::Add),
        1 => Just(Edit::RemoveLast),
        1 => prop::option::of(0usize..8).prop_map(Edit::SetOutput),
    ]
}

/// The first configuration, the one saved as a plan, and the one the plan
/// is applied with.
fn scenario() -> impl Strategy<Value = (Model, Model, Model)> {
    (model(), prop::collection::vec(edit(), 0..=2), edit()).prop_map(
        |(applied, to_plan, after_saving)| {
            let mut planned = applied.clone();
            for edit in &to_plan {
                planned.apply(edit);
            }
            let mut edited = planned.clone();
            edited.apply(&after_saving);
            (applied, planned, edited)
        },
    )
}

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

async fn load_and_apply(project: &Project, text: &str) -> Result<(), TestCaseError> {
    project.configure(text);
    let (config, diagnostics) = project.load();
    if !diagnostics.is_empty() {
        return Err(fail(format!(
            "invalid configuration: {diagnostics:?}\n{text}"
        )));
    }
    let applied = project
        .apply(&config, &Default::default(), false)
        .await
        .map_err(|e| fail(format!("the first apply was refused: {e:?}\n{text}")))?;
    if let Some(report) = applied.report
        && !report.succeeded()
    {
        return Err(fail(format!(
            "the first apply failed: {:?}",
            report.diagnostics
        )));
    }
    Ok(())
}

async fn save_plan(project: &Project, text: &str) -> Result<SavedPlan, TestCaseError> {
    project.configure(text);
    let (config, diagnostics) = project.load();
    if !diagnostics.is_empty() {
        return Err(fail(format!(
            "invalid configuration: {diagnostics:?}\n{text}"
        )));
    }
    let (_, saved) = project
        .save_plan(&config, &Default::default(), false)
        .await
        .map_err(|e| fail(format!("planning was refused: {e:?}\n{text}")))?;
    Ok(saved)
}

/// Objects by address, to compare before and after.
fn by_address(records: &[ResourceRecord]) -> BTreeMap<&str, &ResourceRecord> {
    records.iter().map(|r| (r.address.as_str(), r)).collect()
}

/// Addresses whose object appeared, went away, or has other values or
/// another status. Recorded dependencies alone are not a change of the
/// object.
fn changed_addresses(before: &Snapshot, after: &Snapshot) -> BTreeSet<String> {
    let old = by_address(&before.resources);
    let new = by_address(&after.resources);
    old.keys()
        .chain(new.keys())
        .filter(|a| match (old.get(*a), new.get(*a)) {
            (Some(o), Some(n)) => o.attributes != n.attributes || o.status != n.status,
            _ => true,
        })
        .map(|a| a.to_string())
        .collect()
}

/// What the contract promises of an apply that verification let through.
fn check_applied_as_planned(
    saved: &SavedPlan,
    report: &ApplyReport,
    before: &Snapshot,
    after: &Snapshot,
) -> Result<(), TestCaseError> {
    if !report.succeeded() {
        return Err(fail(format!(
            "the verified plan failed to apply: {:?}",
            report.diagnostics
        )));
    }
    let recorded = by_address(&after.resources);
    let changed = changed_addresses(before, after);
    let mut planned = BTreeSet::new();
    for change in &saved.plan.changes {
        let address = change.address.as_str();
        match change.action {
            Action::NoOp | Action::Read => continue,
            Action::Delete | Action::Forget => {
                if recorded.contains_key(address) {
                    return Err(fail(format!(
                        "{address} was planned for deletion but is in state"
                    )));
                }
            }
            Action::Create | Action::Update | Action::Replace => {
                let record = recorded
                    .get(address)
                    .ok_or_else(|| fail(format!("{address} was planned but is not in state")))?;
                let promised = change.after.as_ref().expect("planned values");
                let now = Value::from_json(&record.attributes);
                if !conforms(promised, &now) {
                    return Err(fail(format!(
                        "{address}: recorded {now:?}, but the plan promised {promised:?}"
                    )));
                }
            }
        }
        // An update or replacement whose unknown values turned out equal
        // to the old ones is not needed any more (ARCHITECTURE.md's
        // invariant); everything else must happen.
        let may_be_skipped = matches!(change.action, Action::Update | Action::Replace)
            && !change.after.as_ref().is_some_and(Value::is_wholly_known);
        if !may_be_skipped || changed.contains(address) {
            planned.insert(address.to_string());
        }
    }
    if changed != planned {
        return Err(fail(format!(
            "changed {changed:?}, but the plan changes {planned:?}"
        )));
    }
    let outputs: BTreeMap<&str, Value> = after
        .outputs
        .iter()
        .map(|o| (o.name.as_str(), Value::from_json(&o.value)))
        .collect();
    for output in &saved.plan.outputs {
        if output.removed {
            if outputs.contains_key(output.name.as_str()) {
                return Err(fail(format!(
                    "output {} was to be removed but is still recorded",
                    output.name
                )));
            }
            continue;
        }
        let value = outputs
            .get(output.name.as_str())
            .ok_or_else(|| fail(format!("output {} was not recorded", output.name)))?;
        if !conforms(&output.after, value) {
            return Err(fail(format!(
                "output {}: recorded {value:?}, but the plan promised {:?}",
                output.name, output.after
            )));
        }
    }
    // What state records of each file is what is on disk.
    for record in after
        .resources
        .iter()
        .filter(|r| r.resource_type == "local-file")
    {
        let filename = record.attributes["filename"].as_str().unwrap_or_default();
        let content = record.attributes["content"].as_str().unwrap_or_default();
        let on_disk = after
            .files
            .get(filename)
            .map(|b| String::from_utf8_lossy(b));
        if on_disk.as_deref() != Some(content) {
            return Err(fail(format!(
                "{}: state records {content:?} in {filename}, the disk holds {on_disk:?}",
                record.address
            )));
        }
    }
    Ok(())
}

async fn check_contract(
    applied: &Model,
    planned: &Model,
    edited: &Model,
) -> Result<(), TestCaseError> {
    let project = Project::new();
    load_and_apply(&project, &applied.render()).await?;
    let saved = save_plan(&project, &planned.render()).await?;

    project.configure(&edited.render());
    let (config, diagnostics) = project.load();
    if !diagnostics.is_empty() {
        return Err(fail(format!("invalid edit: {diagnostics:?}")));
    }
    let before = project.snapshot();
    match project.apply_saved(&config, &saved).await {
        Err(refusal) => {
            if edited.render() == planned.render() {
                return Err(fail(format!(
                    "the unedited configuration was refused: {refusal:?}"
                )));
            }
            let after = project.snapshot();
            if after != before {
                return Err(fail(format!(
                    "a refused plan changed something: {refusal:?}\nbefore: {before:?}\nafter: {after:?}"
                )));
            }
            Ok(())
        }
        Ok(report) => check_applied_as_planned(&saved, &report, &before, &project.snapshot()),
    }
}

proptest! {
    // Each case runs three engine runs against a fresh state store.
    #![proptest_config(ProptestConfig {
        cases: 32,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/saved_plan_contract.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_saved_plan_is_applied_exactly_or_refused_without_side_effects(
        (applied, planned, edited) in scenario()
    ) {
        let runtime = support::runtime();
        let result = runtime.block_on(check_contract(&applied, &planned, &edited));
        result.map_err(|e| {
            fail(format!(
                "{e}\n--- applied:\n{}\n--- planned:\n{}\n--- edited:\n{}",
                applied.render(),
                planned.render(),
                edited.render()
            ))
        })?;
    }
}

/// The seeds of the `read_plan_file` fuzz target are plan files written by
/// `nimbus plan --out` (one turned into an older format): each reads, or
/// is refused as the other format it is, and reads back unchanged.
#[test]
fn the_fuzz_seeds_are_plan_files() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/read_plan_file");
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).expect("the seeds") {
        let path = entry.expect("a seed").path();
        let bytes = std::fs::read(&path).expect("read a seed");
        match SavedPlan::from_bytes(&bytes) {
            Ok(plan) => {
                let again = SavedPlan::from_bytes(&plan.to_bytes()).expect("written back");
                assert_eq!(again.to_bytes(), plan.to_bytes(), "{}", path.display());
                read += 1;
            }
            Err(e) => assert!(
                matches!(
                    e,
                    nimbus_engine::SavedPlanError::UnsupportedFormat { found: 2 }
                ),
                "{}: {e}",
                path.display()
            ),
        }
    }
    assert!(read >= 4, "only {read} plans read");
}
