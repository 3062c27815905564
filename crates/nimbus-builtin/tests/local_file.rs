//! local-file: the resource and the data source.

mod common;

use common::{Harness, Object, obj};
use nimbus_provider::nimbus_value::Value;
use nimbus_provider::{ErrorKind, Provider};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn text(object: &Object, name: &str) -> String {
    object
        .state
        .get(name)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

fn file_config(h: &Harness, filename: &str, content: &str, extra: &[(&str, Value)]) -> Value {
    let mut pairs = vec![
        ("filename", Value::string(filename)),
        ("content", Value::string(content)),
    ];
    pairs.extend(extra.iter().cloned());
    h.config("local-file", &pairs)
}

#[tokio::test]
async fn create_writes_content_and_applies_modes_exactly() {
    let h = Harness::new();
    let base_mode = mode(h.dir.path());
    let config = file_config(
        &h,
        "nested/dir/f.txt",
        "hello\n",
        &[
            ("file-permission", Value::string("0600")),
            ("directory-permission", Value::string("0750")),
        ],
    );
    let created = h.create("local-file", &config).await;
    let path = h.dir.path().join("nested/dir/f.txt");
    assert_eq!(fs::read_to_string(&path).unwrap(), "hello\n");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&h.dir.path().join("nested")), 0o750);
    assert_eq!(mode(&h.dir.path().join("nested/dir")), 0o750);
    assert_eq!(
        mode(h.dir.path()),
        base_mode,
        "existing directories are left alone"
    );
    // printf 'hello\n' | sha256sum / md5sum / sha1sum
    assert_eq!(
        text(&created, "content-sha256"),
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    );
    assert_eq!(
        text(&created, "content-md5"),
        "b1946ac92492d2347c6235b4d2611184"
    );
    assert_eq!(
        text(&created, "id"),
        "f572d396fae9206628714fb2ce00f72e94f2258f"
    );

    // Defaults: 0644 for the file; a mode without owner write still works
    // for directories because it is applied last.
    let config = file_config(
        &h,
        "ro/g.txt",
        "x",
        &[("directory-permission", Value::string("555"))],
    );
    let created = h.create("local-file", &config).await;
    assert_eq!(text(&created, "file-permission"), "0644");
    assert_eq!(mode(&h.dir.path().join("ro/g.txt")), 0o644);
    assert_eq!(mode(&h.dir.path().join("ro")), 0o555);
    fs::set_permissions(h.dir.path().join("ro"), fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn out_of_band_edits_show_as_drift_and_removal_as_gone() {
    let h = Harness::new();
    let config = file_config(&h, "a.txt", "original", &[]);
    let created = h.create("local-file", &config).await;
    let path = h.dir.path().join("a.txt");

    fs::write(&path, "edited").unwrap();
    let read = h.read("local-file", &created).await.expect("still there");
    assert_eq!(
        read.new_state.get("content"),
        Some(&Value::string("edited"))
    );
    assert_ne!(
        read.new_state.get("content-sha256"),
        created.state.get("content-sha256")
    );
    assert_eq!(
        read.new_state.get("id"),
        created.state.get("id"),
        "the id stays"
    );
    let drifted = Object {
        state: read.new_state,
        private: read.private,
    };
    let plan = h.plan("local-file", Some(&drifted), &config).await;
    assert_eq!(plan.requires_replace, vec!["content".to_string()]);
    assert_eq!(
        plan.planned_state.get("content"),
        Some(&Value::string("original"))
    );

    fs::remove_file(&path).unwrap();
    assert!(h.read("local-file", &created).await.is_none());
    // Deleting a file that is already gone is fine.
    h.delete("local-file", &created).await;
}

#[tokio::test]
async fn permission_changes_are_applied_in_place() {
    let h = Harness::new();
    let config = file_config(&h, "d1/d2/p.txt", "x", &[]);
    let created = h.create("local-file", &config).await;
    let path = h.dir.path().join("d1/d2/p.txt");
    assert_eq!(mode(&path), 0o644);
    assert_eq!(mode(&h.dir.path().join("d1/d2")), 0o755);

    let changed = file_config(
        &h,
        "d1/d2/p.txt",
        "x",
        &[
            ("file-permission", Value::string("0640")),
            ("directory-permission", Value::string("0700")),
        ],
    );
    let updated = h.update("local-file", &created, &changed).await;
    assert_eq!(mode(&path), 0o640);
    assert_eq!(mode(&h.dir.path().join("d1")), 0o700);
    assert_eq!(mode(&h.dir.path().join("d1/d2")), 0o700);
    assert_eq!(updated.state.get("id"), created.state.get("id"));
    assert_eq!(fs::read_to_string(&path).unwrap(), "x");

    // A mode changed behind our back is drift, repaired in place.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
    let read = h.read("local-file", &updated).await.unwrap();
    assert_eq!(
        read.new_state.get("file-permission"),
        Some(&Value::string("0666"))
    );
    let drifted = Object {
        state: read.new_state,
        private: read.private,
    };
    let repaired = h.update("local-file", &drifted, &changed).await;
    assert_eq!(mode(&path), 0o640);
    assert_eq!(repaired.state, updated.state);

    // Spelling the same mode differently is not drift.
    let short = file_config(
        &h,
        "d1/d2/p.txt",
        "x",
        &[("file-permission", Value::string("640"))],
    );
    let created = h.create("local-file", &short).await;
    assert_eq!(
        h.read("local-file", &created).await.unwrap().new_state,
        created.state
    );

    // Updating a file that vanished names it.
    fs::remove_file(&path).unwrap();
    let plan = h.plan("local-file", Some(&updated), &config).await;
    let err = h
        .try_update("local-file", &updated, &config, &plan)
        .await
        .unwrap_err();
    assert!(err.message.contains("p.txt"), "{}", err.message);
}

#[tokio::test]
async fn writes_are_atomic_renames() {
    let h = Harness::new();
    let path = h.dir.path().join("target.txt");
    let link = h.dir.path().join("link.txt");
    fs::write(&path, "old").unwrap();
    fs::hard_link(&path, &link).unwrap();

    h.create("local-file", &file_config(&h, "target.txt", "new", &[]))
        .await;
    assert_eq!(fs::read_to_string(&path).unwrap(), "new");
    // The old inode was replaced, not rewritten: a reader holding it sees
    // the old content whole, never a half-written file.
    assert_eq!(fs::read_to_string(&link).unwrap(), "old");
    let mut names: Vec<String> = fs::read_dir(h.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["link.txt", "target.txt"],
        "no temporary files left behind"
    );

    // A target that cannot be replaced fails cleanly.
    fs::create_dir(h.dir.path().join("a-dir")).unwrap();
    let config = file_config(&h, "a-dir", "x", &[]);
    let plan = h.plan("local-file", None, &config).await;
    let err = h
        .try_apply_create("local-file", &config, &plan)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Fatal);
    assert!(err.message.contains("a-dir"), "{}", err.message);
    assert_eq!(fs::read_dir(h.dir.path()).unwrap().count(), 3);
}

#[tokio::test]
async fn binary_content_via_base64() {
    let h = Harness::new();
    let config = h.config(
        "local-file",
        &[
            ("filename", Value::string("bin")),
            ("content-base64", Value::string("AP8BAg==")),
        ],
    );
    let created = h.create("local-file", &config).await;
    let path = h.dir.path().join("bin");
    assert_eq!(fs::read(&path).unwrap(), vec![0, 255, 1, 2]);
    assert_eq!(
        h.read("local-file", &created).await.unwrap().new_state,
        created.state
    );
    fs::write(&path, [9u8, 9]).unwrap();
    let read = h.read("local-file", &created).await.unwrap();
    assert_eq!(
        read.new_state.get("content-base64"),
        Some(&Value::string("CQk="))
    );
    assert_eq!(read.new_state.get("content"), Some(&Value::Null));
}

#[tokio::test]
async fn absolute_filenames_ignore_the_base_directory() {
    let h = Harness::new();
    let other = tempfile::tempdir().unwrap();
    let path = other.path().join("abs.txt");
    let created = h
        .create(
            "local-file",
            &file_config(&h, path.to_str().unwrap(), "abs", &[]),
        )
        .await;
    assert_eq!(fs::read_to_string(&path).unwrap(), "abs");
    h.delete("local-file", &created).await;
    assert!(!path.exists());
}

#[tokio::test]
async fn validation() {
    let h = Harness::new();
    let cases: Vec<(Vec<(&str, Value)>, &str)> = vec![
        (vec![("filename", Value::string("f"))], "content"),
        (
            vec![
                ("filename", Value::string("f")),
                ("content", Value::string("a")),
                ("content-base64", Value::string("YQ==")),
            ],
            "content-base64",
        ),
        (
            vec![
                ("filename", Value::string("f")),
                ("content-base64", Value::string("%%%")),
            ],
            "content-base64",
        ),
        (
            vec![
                ("filename", Value::string("f")),
                ("content", Value::string("a")),
                ("file-permission", Value::string("rw-r--r--")),
            ],
            "file-permission",
        ),
        (
            vec![
                ("filename", Value::string("f")),
                ("content", Value::string("a")),
                ("directory-permission", Value::string("0999")),
            ],
            "directory-permission",
        ),
        (
            vec![
                ("filename", Value::string("")),
                ("content", Value::string("a")),
            ],
            "filename",
        ),
    ];
    for (pairs, attribute) in &cases {
        let d = h.validate("local-file", pairs).await;
        assert!(
            d.iter()
                .any(|d| d.error && d.attribute.as_deref() == Some(attribute)),
            "{pairs:?}: expected an error on {attribute}, got {d:?}"
        );
    }
    assert!(
        h.validate(
            "local-file",
            &[("filename", Value::Unknown), ("content", Value::Unknown)]
        )
        .await
        .is_empty()
    );
    assert!(
        h.validate(
            "local-file",
            &[
                ("filename", Value::string("f")),
                ("content", Value::string(""))
            ]
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn import_by_filename() {
    let h = Harness::new();
    let path = h.dir.path().join("existing.conf");
    fs::write(&path, "key = 1\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let imported = h
        .provider
        .import("local-file", "existing.conf")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(imported.type_name, "local-file");
    assert_eq!(
        imported.state.get("content"),
        Some(&Value::string("key = 1\n"))
    );
    assert_eq!(
        imported.state.get("file-permission"),
        Some(&Value::string("0640"))
    );
    let object = Object {
        state: imported.state.clone(),
        private: imported.private,
    };
    assert_eq!(
        h.read("local-file", &object).await.unwrap().new_state,
        imported.state
    );
    let config = file_config(
        &h,
        "existing.conf",
        "key = 1\n",
        &[("file-permission", Value::string("0640"))],
    );
    let plan = h.plan("local-file", Some(&object), &config).await;
    assert!(plan.requires_replace.is_empty());
    assert_eq!(plan.planned_state, imported.state);

    let err = h
        .provider
        .import("local-file", "missing.conf")
        .await
        .unwrap_err();
    assert!(err.message.contains("missing.conf"), "{}", err.message);
}

#[tokio::test]
async fn data_source_reads_files() {
    let h = Harness::new();
    fs::write(h.dir.path().join("in.txt"), "one").unwrap();
    let data = h
        .provider
        .read_data("local-file", &obj(&[("filename", Value::string("in.txt"))]))
        .await
        .unwrap();
    assert_eq!(data.get("content"), Some(&Value::string("one")));
    assert_eq!(data.get("content-base64"), Some(&Value::string("b25l")));
    assert_eq!(
        data.get("content-sha256"),
        Some(&Value::string(
            "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed"
        ))
    );
    assert_eq!(
        data.get("content-md5"),
        Some(&Value::string("f97c5d29941bfb1b2fdab0874906ab82"))
    );
    assert_eq!(data.get("filename"), Some(&Value::string("in.txt")));
    let schema = h.provider.schema();
    let keys: Vec<&String> = data.as_map().unwrap().keys().collect();
    assert_eq!(
        keys,
        schema.data_sources["local-file"]
            .attributes
            .keys()
            .collect::<Vec<_>>()
    );

    let err = h
        .provider
        .read_data(
            "local-file",
            &obj(&[("filename", Value::string("nope.txt"))]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Fatal);
    assert_eq!(err.attribute.as_deref(), Some("filename"));
    assert!(
        err.message
            .contains(&h.dir.path().join("nope.txt").display().to_string()),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_file_recorded_before_source_existed_plans_no_change() {
    let h = Harness::new();
    let config = file_config(&h, "old.txt", "kept", &[]);
    let created = h.create("local-file", &config).await;
    // What an older Nimbus recorded: schema version 0, no `source`.
    let mut old = created.state.as_map().unwrap().clone();
    old.remove("source");
    let upgraded = h
        .provider
        .upgrade_state("local-file", 0, Value::Map(old))
        .await
        .unwrap();
    assert_eq!(upgraded, created.state);
    assert_eq!(h.schema("local-file").version, 1);
    let plan = h
        .plan("local-file", Some(&Object::from(upgraded.clone())), &config)
        .await;
    assert_eq!(plan.planned_state, upgraded);
}
