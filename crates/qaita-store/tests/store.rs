//! The store suite: every check runs against embedded SQLite and against PostgreSQL/PostGIS
//! (`QAITA_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`), each test in a
//! schema of its own. PostgreSQL being unreachable is a failure, not a skip.

use qaita_model::{
    Confidence, CurrentPolicy, FigureField, ImportRecord, Kind, Location, Origin, Problem,
    Provenance, Quantity, RecordResult, Region, Status, Unit,
};
use qaita_store::{BBox, Backend, ImportOptions, Role, SortKey, Store, StoreError, TmfFilter};

#[macro_use]
mod common;

use common::{Guard, open};

fn provenance(source: &str, date: &str) -> Provenance {
    Provenance {
        source: source.into(),
        date: Some(date.parse().unwrap()),
        method: Some("survey".into()),
        confidence: Confidence::Medium,
        illustrative: false,
        note: None,
    }
}

fn record(id: &str, tonnage_mt: f64, source: &str) -> ImportRecord {
    ImportRecord {
        external_id: id.into(),
        name: Some(format!("Tailings {id}")),
        name_kk: Some("Байыту қалдықтары — Қарағанды".into()),
        name_ru: Some("Хвосты обогащения".into()),
        kind: Some(Kind::Tailings),
        region: Some(Region::Karaganda),
        location: Some(Location {
            lon: 73.1,
            lat: 49.8,
        }),
        figures: vec![
            (
                FigureField::Tonnage,
                Quantity::new(tonnage_mt, Unit::Megatonne),
                provenance(source, "2024"),
            ),
            (
                FigureField::Grade("Cu".parse().unwrap()),
                Quantity::new(0.2, Unit::Percent),
                provenance(source, "2024"),
            ),
        ],
        ..ImportRecord::default()
    }
}

fn ok(row: usize, r: ImportRecord) -> RecordResult {
    Ok((
        Origin {
            file: "t.csv".into(),
            row,
            unit: "row",
        },
        r,
    ))
}

fn bad(row: usize) -> RecordResult {
    let origin = Origin {
        file: "t.csv".into(),
        row,
        unit: "row",
    };
    Err((
        origin.clone(),
        vec![Problem::at(
            &origin,
            Some("tonnage"),
            "unknown unit 'furlongs'",
        )],
    ))
}

fn options() -> ImportOptions {
    ImportOptions {
        actor: "tester".into(),
        context: "test".into(),
        chunk_size: 2,
        ..ImportOptions::default()
    }
}

fn import_creates_audits_and_reads_back(store: &mut Store) {
    let report = store
        .import(
            vec![
                ok(2, record("A", 1.5, "s1")),
                ok(3, record("B", 2.0, "s1")),
                ok(4, record("C", 3.0, "s1")),
            ]
            .into_iter(),
            &options(),
            &mut |_| {},
        )
        .unwrap();
    assert!(report.committed);
    assert_eq!(report.counts.create, 3);
    assert_eq!(store.count(&TmfFilter::default()).unwrap(), 3);
    let a = store.get_by_external_id("A").unwrap().unwrap();
    assert_eq!(a.version, 1);
    assert_eq!(a.tmf.tonnage_t(), Some(1.5e6));
    assert_eq!(
        a.tmf.names.name_kk.as_deref(),
        Some("Байыту қалдықтары — Қарағанды")
    );
    assert_eq!(store.get(a.id).unwrap().unwrap(), a);
    let history = store.history(a.id).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].action.as_str(), history[0].actor.as_str()),
        ("create", "tester")
    );
    assert!(history[0].changes.iter().any(|c| c.field == "external_id"));
}

fn invalid_row_means_nothing_written(store: &mut Store) {
    store
        .import(
            vec![ok(2, record("A", 1.5, "s1"))].into_iter(),
            &options(),
            &mut |_| {},
        )
        .unwrap();
    let report = store
        .import(
            vec![
                ok(2, record("A", 9.0, "s2")),
                ok(3, record("B", 2.0, "s1")),
                bad(4),
                ok(5, record("D", 1.0, "s1")),
            ]
            .into_iter(),
            &options(),
            &mut |_| {},
        )
        .unwrap();
    assert!(!report.committed);
    assert_eq!(report.rejected_rows, vec![4]);
    assert_eq!(
        report.problems[0].to_string(),
        "t.csv: row 4: field 'tonnage': unknown unit 'furlongs'"
    );
    assert_eq!(store.count(&TmfFilter::default()).unwrap(), 1);
    let a = store.get_by_external_id("A").unwrap().unwrap();
    assert_eq!((a.version, a.tmf.tonnage_t()), (1, Some(1.5e6)));
    assert_eq!(store.history(a.id).unwrap().len(), 1);
}

fn keep_valid_writes_the_good_rows(store: &mut Store) {
    let opts = ImportOptions {
        keep_valid: true,
        ..options()
    };
    let report = store
        .import(
            vec![
                ok(2, record("A", 1.5, "s1")),
                bad(3),
                ok(4, record("C", 1.0, "s1")),
            ]
            .into_iter(),
            &opts,
            &mut |_| {},
        )
        .unwrap();
    assert!(report.committed);
    assert_eq!((report.counts.create, report.counts.rejected), (2, 1));
    assert_eq!(store.count(&TmfFilter::default()).unwrap(), 2);
}

fn dry_run_writes_nothing(store: &mut Store) {
    let opts = ImportOptions {
        dry_run: true,
        ..options()
    };
    let report = store
        .import(
            vec![ok(2, record("A", 1.5, "s1"))].into_iter(),
            &opts,
            &mut |_| {},
        )
        .unwrap();
    assert!(!report.committed);
    assert_eq!(report.counts.create, 1);
    assert_eq!(report.changes[0].action, "create");
    assert_eq!(store.count(&TmfFilter::default()).unwrap(), 0);
}

fn conflicting_sources_are_kept_and_audited(store: &mut Store) {
    store
        .import(
            vec![ok(2, record("A", 1.5, "company report"))].into_iter(),
            &options(),
            &mut |_| {},
        )
        .unwrap();
    let mut second = ImportRecord {
        external_id: "A".into(),
        ..ImportRecord::default()
    };
    second.figures.push((
        FigureField::Tonnage,
        Quantity::new(1.2, Unit::Megatonne),
        provenance("inventory 2018", "2018"),
    ));
    second.status = Some(Status::Abandoned);
    let opts = ImportOptions {
        policy: CurrentPolicy::KeepCurrent,
        ..options()
    };
    let report = store
        .import(vec![ok(2, second.clone())].into_iter(), &opts, &mut |_| {})
        .unwrap();
    assert_eq!(report.counts.update, 1);
    assert!(report.changes[0].fields.iter().any(|f| f == "status"));
    let a = store.get_by_external_id("A").unwrap().unwrap();
    assert_eq!(a.version, 2);
    assert_eq!(
        a.tmf.tonnage_t(),
        Some(1.5e6),
        "stored current figure stays current"
    );
    assert_eq!(
        a.tmf
            .figures
            .iter()
            .filter(|f| f.field == FigureField::Tonnage)
            .count(),
        2
    );
    let history = store.history(a.id).unwrap();
    assert_eq!(history.len(), 2);
    let update = &history[1];
    assert_eq!((update.action.as_str(), update.version), ("update", 2));
    let status = update.changes.iter().find(|c| c.field == "status").unwrap();
    assert_eq!(
        (status.before.as_str(), status.after.as_str()),
        (Some("unknown"), Some("abandoned"))
    );
    assert!(
        update
            .changes
            .iter()
            .any(|c| c.field.starts_with("figure tonnage [inventory 2018") && c.before.is_null())
    );
    // The same file again changes nothing and writes no audit record.
    let report = store
        .import(vec![ok(2, second)].into_iter(), &opts, &mut |_| {})
        .unwrap();
    assert_eq!(report.counts.unchanged, 1);
    assert_eq!(store.history(a.id).unwrap().len(), 2);
    // A third version: each history entry shows only its own change.
    let third = ImportRecord {
        external_id: "A".into(),
        owner: Some("New owner LLP".into()),
        ..ImportRecord::default()
    };
    store
        .import(vec![ok(2, third)].into_iter(), &opts, &mut |_| {})
        .unwrap();
    let history = store.history(a.id).unwrap();
    assert_eq!(
        history.iter().map(|h| h.version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let fields = |i: usize| {
        history[i]
            .changes
            .iter()
            .map(|c| c.field.clone())
            .collect::<Vec<_>>()
    };
    assert!(fields(1).contains(&"status".to_string()) && !fields(1).contains(&"owner".to_string()));
    assert_eq!(fields(2), ["owner"]);
    assert_eq!(history[2].changes[0].after.as_str(), Some("New owner LLP"));
}

fn filters_select_the_right_objects(store: &mut Store) {
    let mut zinc = record("Z", 1.0, "s1");
    zinc.figures[1].0 = FigureField::Grade("Zn".parse().unwrap());
    zinc.region = Some(Region::EastKazakhstan);
    zinc.location = Some(Location {
        lon: 82.6,
        lat: 49.97,
    });
    zinc.owner = Some("Kazzinc".into());
    store
        .import(
            vec![ok(2, record("A", 1.0, "s1")), ok(3, zinc)].into_iter(),
            &options(),
            &mut |_| {},
        )
        .unwrap();
    let ids = |store: &mut Store, filter: TmfFilter| -> Vec<String> {
        store
            .list(&filter)
            .unwrap()
            .into_iter()
            .map(|s| s.tmf.external_id)
            .collect()
    };
    assert_eq!(
        ids(
            store,
            TmfFilter {
                commodity: Some("Zn".parse().unwrap()),
                ..TmfFilter::default()
            }
        ),
        ["Z"]
    );
    assert_eq!(
        ids(
            store,
            TmfFilter {
                commodity: Some("Cu".parse().unwrap()),
                ..TmfFilter::default()
            }
        ),
        ["A"]
    );
    assert_eq!(
        ids(
            store,
            TmfFilter {
                region: Some(Region::EastKazakhstan),
                ..TmfFilter::default()
            }
        ),
        ["Z"]
    );
    assert_eq!(
        ids(
            store,
            TmfFilter {
                owner_known: Some(false),
                ..TmfFilter::default()
            }
        ),
        ["A"]
    );
    assert_eq!(
        ids(
            store,
            TmfFilter {
                owner_known: Some(true),
                ..TmfFilter::default()
            }
        ),
        ["Z"]
    );
    assert_eq!(
        ids(
            store,
            TmfFilter {
                kind: Some(Kind::Slag),
                ..TmfFilter::default()
            }
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(
            store,
            TmfFilter {
                limit: Some(1),
                offset: Some(1),
                ..TmfFilter::default()
            }
        ),
        ["Z"]
    );
    assert_eq!(
        store
            .count(&TmfFilter {
                region: Some(Region::Karaganda),
                ..TmfFilter::default()
            })
            .unwrap(),
        1
    );
    let located = store.locations(&TmfFilter::default()).unwrap();
    assert_eq!(located.len(), 2);
    assert_eq!((located[1].lon, located[1].lat), (82.6, 49.97));
}

fn reopening_keeps_data_and_schema(store: &mut Store, target: &str) {
    store
        .import(
            vec![ok(2, record("A", 1.0, "s1"))].into_iter(),
            &options(),
            &mut |_| {},
        )
        .unwrap();
    let mut again = Store::open(target).unwrap();
    assert_eq!(again.schema_version().unwrap(), 4);
    assert_eq!(again.count(&TmfFilter::default()).unwrap(), 1);
}

fn analyses_are_versioned(store: &mut Store) {
    store
        .import(
            vec![ok(2, record("A", 1.0, "s1"))].into_iter(),
            &options(),
            &mut |_| {},
        )
        .unwrap();
    let id = store.get_by_external_id("A").unwrap().unwrap().id;
    for npv in [1.5, 2.5] {
        store
            .add_analysis(
                id,
                "valuation",
                "tester",
                "test engine",
                &serde_json::json!({"rate": 0.08}),
                &serde_json::json!({"npv": npv}),
                Some(npv),
            )
            .unwrap();
    }
    let all = store.analyses(id, "valuation").unwrap();
    assert_eq!(all.iter().map(|a| a.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(all[1].result["npv"], 2.5);
    assert_eq!(all[0].parameters["rate"], 0.08);
    assert!(store.analyses(id, "resource_estimate").unwrap().is_empty());
}

fn located(id: &str, lon: f64, lat: f64, operator: &str) -> ImportRecord {
    let mut r = record(id, 1.0, "Survey");
    r.location = Some(Location { lon, lat });
    r.operator = Some(operator.into());
    r
}

fn bbox_text_and_sort(store: &mut Store) {
    let records = [
        located("A", 70.0, 45.0, "Қазмырыш LLP"),
        located("B", 70.1, 45.1, "Other"),
        located("C", 75.0, 50.0, "Казцинк"),
        located("D", 70.2, 45.2, "Edge"),
    ];
    store
        .import(
            records.into_iter().enumerate().map(|(i, r)| ok(i + 2, r)),
            &options(),
            &mut |_| {},
        )
        .unwrap();
    let ids = |store: &mut Store, filter: TmfFilter| -> Vec<String> {
        store
            .list(&filter)
            .unwrap()
            .into_iter()
            .map(|s| s.tmf.external_id)
            .collect()
    };
    let bbox: BBox = "70,45,70.2,45.2".parse().unwrap();
    assert_eq!(
        ids(
            store,
            TmfFilter {
                bbox: Some(bbox),
                ..Default::default()
            }
        ),
        ["A", "B", "D"],
        "edges included"
    );
    assert!("70,45,69,46".parse::<BBox>().is_err());
    // Unicode-aware, case-insensitive search; LIKE wildcards are literal.
    assert_eq!(
        ids(
            store,
            TmfFilter {
                text: Some("ҚАЗМЫРЫШ".into()),
                ..Default::default()
            }
        ),
        ["A"]
    );
    assert_eq!(
        ids(
            store,
            TmfFilter {
                text: Some("казЦинк".into()),
                ..Default::default()
            }
        ),
        ["C"]
    );
    assert!(
        ids(
            store,
            TmfFilter {
                text: Some("%".into()),
                ..Default::default()
            }
        )
        .is_empty()
    );
    let filter = TmfFilter {
        sort: SortKey::ExternalId,
        descending: true,
        limit: Some(2),
        offset: Some(1),
        ..Default::default()
    };
    assert_eq!(ids(store, filter.clone()), ["C", "B"]);
    let (total, page) = store.list_page(&filter).unwrap();
    assert_eq!((total, page.len()), (4, 2));
    let past = TmfFilter {
        offset: Some(10),
        ..filter
    };
    assert_eq!(store.list_page(&past).unwrap().0, 4);
}

fn edits_conflicts_and_soft_delete(store: &mut Store) {
    store
        .import(
            std::iter::once(ok(2, record("A", 1.0, "Survey"))),
            &options(),
            &mut |_| {},
        )
        .unwrap();
    let stored = store.find("A").unwrap().unwrap();
    let mut tmf = stored.tmf.clone();
    tmf.owner = Some("Owner LLP".into());
    let updated = store
        .update(stored.id, stored.version, &tmf, "editor", "test edit")
        .unwrap();
    assert_eq!(updated.version, stored.version + 1);
    // The same document again: no new version, no audit row.
    assert_eq!(
        store
            .update(stored.id, updated.version, &tmf, "editor", "again")
            .unwrap()
            .version,
        updated.version
    );
    // A stale version is refused and nothing changes.
    tmf.owner = Some("Someone else".into());
    assert!(matches!(
        store.update(stored.id, stored.version, &tmf, "editor", "stale"),
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        store.get(stored.id).unwrap().unwrap().tmf.owner.as_deref(),
        Some("Owner LLP")
    );
    // A duplicate creation is refused.
    assert!(matches!(
        store.create(&updated.tmf, "editor", "dup"),
        Err(StoreError::Duplicate(_))
    ));
    // Soft delete: gone from reads, history kept, revived by an import.
    store
        .soft_delete(stored.id, updated.version, "editor", "test delete")
        .unwrap();
    assert!(store.find("A").unwrap().is_none());
    assert_eq!(store.count(&TmfFilter::default()).unwrap(), 0);
    let actions: Vec<String> = store
        .history(stored.id)
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.action, e.actor))
        .collect();
    assert_eq!(actions, ["create tester", "update editor", "delete editor"]);
    store
        .import(
            std::iter::once(ok(2, record("A", 2.0, "Resurvey"))),
            &options(),
            &mut |_| {},
        )
        .unwrap();
    assert!(store.find("A").unwrap().is_some());
}

fn users_tokens_and_sessions(store: &mut Store) {
    let user = store
        .add_user("amina", Role::Editor, Some("$argon2id$fake"), "admin")
        .unwrap();
    assert!(matches!(
        store.add_user("amina", Role::Viewer, None, "admin"),
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        store.password_hash("amina").unwrap().unwrap().1,
        "$argon2id$fake"
    );
    let token = store.add_token("amina", "QGIS", "hash-1").unwrap();
    assert_eq!(store.token(token).unwrap().unwrap().0.username, "amina");
    store
        .add_session(
            "cookie-hash",
            user.id,
            "csrf",
            &qaita_store::timestamp_in(chrono::Duration::hours(1)),
        )
        .unwrap();
    store
        .add_session(
            "old-hash",
            user.id,
            "csrf",
            &qaita_store::timestamp_in(chrono::Duration::hours(-1)),
        )
        .unwrap();
    assert_eq!(
        store.session("cookie-hash").unwrap().unwrap().user.role,
        Role::Editor
    );
    assert!(store.session("old-hash").unwrap().is_none(), "expired");
    // Revoking the user ends everything at once; the user stays listed.
    store.revoke_user("amina", "admin").unwrap();
    assert!(store.token(token).unwrap().is_none());
    assert!(store.session("cookie-hash").unwrap().is_none());
    assert!(store.password_hash("amina").unwrap().is_none());
    assert_eq!(
        store.users().unwrap()[0].revoked_by.as_deref(),
        Some("admin")
    );
}

on_both_backends!(
    import_creates_audits_and_reads_back,
    invalid_row_means_nothing_written,
    keep_valid_writes_the_good_rows,
    dry_run_writes_nothing,
    conflicting_sources_are_kept_and_audited,
    filters_select_the_right_objects,
    analyses_are_versioned,
    bbox_text_and_sort,
    edits_conflicts_and_soft_delete,
    users_tokens_and_sessions,
);

#[test]
fn sqlite_reopening_keeps_data_and_schema() {
    let (mut store, _guard, target) = open(Backend::Sqlite, "reopen");
    reopening_keeps_data_and_schema(&mut store, &target);
}

#[test]
fn postgres_reopening_keeps_data_and_schema() {
    let (mut store, _guard, target) = open(Backend::Postgres, "reopen");
    reopening_keeps_data_and_schema(&mut store, &target);
}

#[test]
fn postgres_exposes_postgis_geometry() {
    let (mut store, guard, _) = open(Backend::Postgres, "postgis");
    let mut r = record("A", 1.0, "s1");
    r.footprint = Some(
        qaita_model::geometry::parse_footprint(
            "POLYGON((73.1 49.8,73.11 49.8,73.11 49.81,73.1 49.8))",
        )
        .unwrap(),
    );
    store
        .import(vec![ok(2, r)].into_iter(), &options(), &mut |_| {})
        .unwrap();
    let Guard::Postgres(pg) = &guard else {
        unreachable!()
    };
    let mut client = ::postgres::Client::connect(&pg.admin_url, ::postgres::NoTls).unwrap();
    let row = client
        .query_one(&format!("SELECT ST_AsText(geom), ST_GeometryType(footprint_geom), ST_SRID(geom) FROM {}.tmf", pg.schema), &[])
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "POINT(73.1 49.8)");
    assert_eq!(row.get::<_, String>(1), "ST_MultiPolygon");
    assert_eq!(row.get::<_, i32>(2), 4326);
}
