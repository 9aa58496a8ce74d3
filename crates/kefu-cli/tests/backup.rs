//! `kefu backup`: a copy of the SQLite database taken while it is open and
//! being written, that opens as a store with everything acknowledged before
//! it; refusals (an existing file, PostgreSQL, no database) in Chinese.

mod common;
use common::{kefu, temp_dir};

use kefu_store::{NewUser, Role, Store};

fn user(store: &Store, name: &str) {
    store.create_user(&NewUser { username: name, display_name: name, role: Role::Agent, team: "备份组", agent_id: "", work_no: "", password_hash: "h" }).expect("user");
}

#[test]
fn backs_up_a_live_database_and_refuses_what_it_should() {
    let dir = temp_dir("backup");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    // The store stays open (its writer and WAL in use) while the backup runs.
    let live = Store::open_file(&data.join("kefu.sqlite3")).expect("store");
    for i in 0..50 {
        user(&live, &format!("before_{i}"));
    }
    let dest = dir.join("kefu-backup.sqlite3");
    let out = kefu(&["backup", "--data", data.to_str().expect("utf-8"), dest.to_str().expect("utf-8")], b"");
    let said = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("已备份") && said.contains("完整性检查通过"), "{said}");
    user(&live, "after_backup");

    let copy = Store::open_file(&dest).expect("the backup opens as a store");
    let names: Vec<String> = copy.users().expect("users").into_iter().map(|u| u.username).collect();
    assert_eq!(names.iter().filter(|n| n.starts_with("before_")).count(), 50, "everything written before the backup");
    assert!(!names.contains(&"after_backup".to_string()), "nothing written after it");

    // An existing file is never overwritten.
    let again = kefu(&["backup", "--data", data.to_str().expect("utf-8"), dest.to_str().expect("utf-8")], b"");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("已存在"), "{}", String::from_utf8_lossy(&again.stderr));
    // PostgreSQL: the way to do it, not a copy.
    let pg = kefu(&["backup", "--database", "postgres://kefu:secret@127.0.0.1/kefu", dir.join("x").to_str().expect("utf-8")], b"");
    let err = String::from_utf8_lossy(&pg.stderr).to_string();
    assert!(!pg.status.success() && err.contains("pg_dump"), "{err}");
    assert!(!err.contains("secret"), "the password is not shown: {err}");
    // No database where it is asked for.
    let none = kefu(&["backup", "--data", dir.join("nothing").to_str().expect("utf-8"), dir.join("y").to_str().expect("utf-8")], b"");
    assert!(!none.status.success() && String::from_utf8_lossy(&none.stderr).contains("没有找到数据库"));
    let _ = std::fs::remove_dir_all(&dir);
}
