//! `kefu backup DEST`: a consistent copy of the SQLite database, taken while
//! the server keeps running (SQLite's online backup API), then checked.

use kefu_store::db::{Db, Location};

use crate::args::BackupArgs;

pub fn run(args: &BackupArgs) -> Result<u8, String> {
    if let Some(url) = args.database.as_deref().filter(|u| !u.trim().is_empty()) {
        return Err(format!(
            "PostgreSQL 数据库（{}）不由 kefu 备份，请用 PostgreSQL 自带的 pg_dump，例如：\n  pg_dump --format=custom --file=kefu-$(date +%F).dump \"$KEFU_DATABASE_URL\"\n恢复：pg_restore --clean --dbname=\"$KEFU_DATABASE_URL\" kefu-日期.dump",
            Location::parse(url).display()
        ));
    }
    let source = args.data.join("kefu.sqlite3");
    if !source.is_file() {
        return Err(format!("没有找到数据库 {}（用 --data 指定 kefu serve 的数据目录）", source.display()));
    }
    if args.dest.exists() {
        return Err(format!("{} 已存在：备份不覆盖已有文件，请换一个文件名", args.dest.display()));
    }
    let db = Db::open(&Location::SqliteFile(source.clone())).map_err(|e| format!("无法打开数据库 {}：{e}", source.display()))?;
    db.backup_to(&args.dest).map_err(|e| {
        let _ = std::fs::remove_file(&args.dest);
        format!("备份失败（未写入任何文件）：{e}")
    })?;
    let size = std::fs::metadata(&args.dest).map(|m| m.len()).unwrap_or(0);
    println!("已备份 {} → {}（{size} 字节，完整性检查通过）", source.display(), args.dest.display());
    println!("恢复：停止 kefu serve，把备份文件复制为数据目录下的 kefu.sqlite3（并删除旁边的 kefu.sqlite3-wal、kefu.sqlite3-shm），再启动。");
    Ok(0)
}
