//! The command line: commands, their flags and arguments (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "kefu",
    version,
    about = "kefu —— 客服规范执行引擎：检查坐席用语、识别客户场景、生成标准回复、计算工作日期限",
    // clap's own texts are English: its help flag, version flag and help
    // command are replaced by ones that say it in Chinese (see help_zh).
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    subcommand_value_name = "命令"
)]
pub struct Cli {
    /// 显示帮助
    #[arg(short = 'h', long = "help", action = clap::ArgAction::Help, global = true)]
    pub help: Option<bool>,
    /// 显示版本
    #[arg(short = 'V', long = "version", action = clap::ArgAction::Version)]
    pub version: Option<bool>,
    /// 从这个目录加载规则库（默认使用内置规则库）
    #[arg(long, global = true, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// 从这个目录加载节假日日历（默认：--rules 目录下的 calendar，或内置日历）
    #[arg(long, global = true, value_name = "DIR")]
    pub calendar: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// 检查坐席用语（每行一句）是否违反服务规范
    Lint(LintArgs),
    /// 识别客户话语（每行一句）的场景，给出标准回复
    Classify(ClassifyArgs),
    /// 生成某个场景（或开场白、结束语）的标准回复
    Reply(ReplyArgs),
    /// 法定节假日日历与按工作时间计算的期限
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// 浏览和校验规则库
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// 在标注数据（JSON Lines）上测量用语检查的精确率、召回率和场景识别准确率
    Eval(EvalArgs),
    /// 质检通话和在线会话记录：每个会话一张评分表
    Inspect(InspectArgs),
    /// 运行服务：HTTP 接口、实时辅助（WebSocket）和网页控制台
    Serve(ServeArgs),
    /// 在服务运行时把数据库复制到 DEST（SQLite 在线备份；PostgreSQL 请用 pg_dump）
    Backup(BackupArgs),
}

#[derive(Args)]
pub struct BackupArgs {
    /// 服务的数据目录（备份其中的 SQLite 数据库）
    #[arg(long, value_name = "DIR", default_value = "kefu-data")]
    pub data: PathBuf,
    /// PostgreSQL 数据库：kefu 不备份它（提示会说明如何用 pg_dump 备份）
    #[arg(long, value_name = "URL", env = "KEFU_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// 要写入的备份文件（不能已存在）
    pub dest: PathBuf,
}

#[derive(Args)]
pub struct ServeArgs {
    /// 监听的地址和端口
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// 数据目录（SQLite 数据库存放在这里；首次运行时创建）
    #[arg(long, value_name = "DIR", default_value = "kefu-data")]
    pub data: PathBuf,
    /// 用 PostgreSQL 代替 SQLite 文件：postgres://用户:密码@主机/库（多个实例可共用）
    #[arg(long, value_name = "URL", env = "KEFU_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// 客户端发送请求头的时限（秒，也是空闲长连接的时限），超时即断开
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub header_timeout: u64,
    /// 同时服务的连接数上限，超出的连接到达即关闭
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub max_connections: usize,
}

#[derive(Args)]
pub struct InspectArgs {
    /// 每个会话输出一个 JSON 对象（评分表），坏的输入输出错误记录
    #[arg(long)]
    pub json: bool,
    /// 写出一个独立的 HTML 报告
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// 把报告的表格写成 Excel 工作簿
    #[arg(long, value_name = "FILE.xlsx")]
    pub xlsx: Option<PathBuf>,
    /// 工作线程数（默认：全部 CPU 核）
    #[arg(long)]
    pub jobs: Option<usize>,
    /// 用这个评分表质检每个会话（默认：按会话的渠道和属性选，没有合适的用默认评分表）
    #[arg(long, value_name = "ID")]
    pub scorecard: Option<String>,
    /// 文件（JSON 或 JSON Lines）、目录，或用 - 表示标准输入
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Args)]
pub struct LintArgs {
    /// 每行输入输出一个 JSON 对象
    #[arg(long)]
    pub json: bool,
    /// 只输出有违规的行数
    #[arg(long, conflicts_with = "json")]
    pub count: bool,
    /// 对语义判断的每个命中，列出该类别中与这句话最接近的三条标注训练样例（取自 --corpus）
    #[arg(long, conflicts_with = "count")]
    pub explain: bool,
    /// --explain 使用的标注语料目录（读取其中的训练来源）
    #[arg(long, value_name = "DIR", default_value = "eval/corpus")]
    pub corpus: PathBuf,
    /// 输入文件；- 或不给出则读标准输入
    pub file: Option<PathBuf>,
}

#[derive(Args)]
pub struct ClassifyArgs {
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
    /// 同时列出命中了哪些场景的哪些线索（供规则库编写者使用）
    #[arg(long)]
    pub explain: bool,
    /// 生成回复所按的时间（RFC 3339，默认现在）
    #[arg(long)]
    pub at: Option<String>,
    /// 输入文件；- 或不给出则读标准输入
    pub file: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LineArg {
    /// 普通线路
    Standard,
    /// VIP 线路
    Vip,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ChannelArg {
    /// 电话
    Phone,
    /// 在线会话
    Chat,
}

#[derive(Args)]
pub struct ReplyArgs {
    /// 场景编号，opening（开场白）或 closing（结束语），也可以是规则库中任一话术编号
    #[arg(long)]
    pub scenario: String,
    /// 回复的时间（RFC 3339，默认现在）
    #[arg(long)]
    pub at: Option<String>,
    /// 服务线路：standard（普通）或 vip
    #[arg(long, value_enum, default_value = "standard")]
    pub line: LineArg,
    /// 渠道：phone（电话）或 chat（在线）
    #[arg(long, value_enum, default_value = "phone")]
    pub channel: ChannelArg,
    /// 称谓：先生 或 女士
    #[arg(long)]
    pub title: Option<String>,
    /// 客户的姓
    #[arg(long)]
    pub surname: Option<String>,
    /// 公司名称
    #[arg(long)]
    pub company: Option<String>,
    /// 坐席工号
    #[arg(long = "work-no")]
    pub work_no: Option<String>,
    /// 承诺回复的时限（小时）
    #[arg(long)]
    pub hours: Option<u32>,
    /// 响铃超过三声才接听
    #[arg(long)]
    pub late: bool,
    /// 坐席是实习生
    #[arg(long)]
    pub trainee: bool,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// 某一天是工作日、周末、法定节假日还是调休上班日
    Day {
        /// 日期，YYYY-MM-DD
        date: String,
        /// 以 JSON 输出
        #[arg(long)]
        json: bool,
    },
    /// 按自然时间或工作时间计算期限
    Due(DueArgs),
    /// 日历包含哪些年份
    Years,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("duration").required(true).args(["minutes", "working_hours", "working_days"])))]
pub struct DueArgs {
    /// 起算时间（RFC 3339）
    #[arg(long)]
    pub from: String,
    /// 自然时间分钟数
    #[arg(long)]
    pub minutes: Option<i64>,
    /// 工作小时数（可为小数，如 1.5）
    #[arg(long = "working-hours")]
    pub working_hours: Option<f64>,
    /// 受理次日起的工作日数，截止到最后一个工作日下班
    #[arg(long = "working-days")]
    pub working_days: Option<u32>,
    /// 对没有节假日安排的年份，只按周末和法定节日推算（不含调休）并标为暂定，而不是拒绝
    #[arg(long)]
    pub provisional: bool,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// 列出规则
    List {
        /// 以 JSON 输出
        #[arg(long)]
        json: bool,
        /// 只列这个类别
        #[arg(long)]
        category: Option<String>,
    },
    /// 完整显示一条规则、场景、话术或流程
    Show {
        /// 编号
        id: String,
        /// 以 JSON 输出
        #[arg(long)]
        json: bool,
    },
    /// 把规则库（内置的，或 --rules 给出的）写到一个新目录，作为本中心修改的起点
    Export {
        /// 要写入的目录（不存在或为空）
        dir: PathBuf,
    },
    /// 校验规则库目录并运行其中所有样例
    Check {
        /// 规则库目录
        dir: PathBuf,
    },
}

#[derive(Args)]
pub struct EvalArgs {
    /// 用语检查的标注样例（JSON Lines：text、violation、categories）
    #[arg(long)]
    pub lint: Vec<PathBuf>,
    /// 场景识别的标注样例（JSON Lines：text、scenario）
    #[arg(long)]
    pub scenario: Vec<PathBuf>,
    /// 纯文本，每行一句正常礼貌的坐席用语：报告被误报的比例
    #[arg(long)]
    pub polite: Vec<PathBuf>,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
    /// 列出每一处错误
    #[arg(long)]
    pub verbose: bool,
    /// 只用规则，不用语义判断（用来看语义判断的作用）
    #[arg(long = "no-semantic")]
    pub no_semantic: bool,
}
