//! A deterministic generator of realistic transcripts in the contract format,
//! for the inspection benchmark (`benches/inspect.rs`) and for writing a corpus
//! file (`examples/gen_transcripts.rs`).
//!
//! Conversation `i` depends only on `i` (its own seeded PRNG), so any prefix of
//! the corpus is the same whatever its length. About 70 % phone calls and 30 %
//! chats, 6–30 turns (silent calls are shorter: they have three agent turns).
//! The wording comes from the standards: agent turns from the standard phrases
//! of `rulebook/phrases/*.toml`, customer turns from the scenario examples of
//! `rulebook/scenarios.toml`, forbidden phrases from the `bad` examples of
//! `rulebook/forbidden/*.toml`. Timings are consistent: phone turns have start
//! and end at a plausible speaking rate, holds are events between turns, calls
//! end with a hangup event. Some conversations carry violations (forbidden
//! phrases, missing greetings, late answers without apology, holds without
//! asking or thanking, long holds, agent hang-ups, interruptions, skipped
//! confirmations, missing closings, silent calls handled wrongly, the agent's
//! own name); `Generated::injected` lists the check ids they were meant to fail.
//!
//! The texts are copied here rather than read from the rulebook so that the
//! benchmark corpus does not change when the rulebook is edited.

#![allow(dead_code)]

use kefu_core::inspect::{Agent, Channel, Conversation, Event, Party, Turn};

/// The corpus seed; change it and every conversation changes.
pub const SEED: u64 = 0x6b65_6675_2024_0003;

/// SplitMix64: small, fast and good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as u128 * n as u128 >> 53) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below((hi - lo + 1) as usize) as u32
    }

    /// Uniform in `[lo, hi)`.
    pub fn float(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.float(0.0, 1.0) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One generated conversation and the checks it was built to fail.
pub struct Generated {
    pub conversation: Conversation,
    pub injected: Vec<&'static str>,
}

/// Conversations `0..n`.
pub fn corpus(n: usize) -> Vec<Conversation> {
    (0..n as u64).map(|i| generate(i).conversation).collect()
}

/// The conversations as JSON Lines (one contract-format object per line).
pub fn jsonl(convs: &[Conversation]) -> String {
    let mut out = String::new();
    for c in convs {
        out.push_str(&serde_json::to_string(c).expect("a conversation serialises"));
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------
// Wording.

const SURNAMES: [&str; 20] = ["张", "王", "李", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"];
const GIVEN: [&str; 16] = ["敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "晓红", "海燕", "建华", "志强", "秀英", "雪梅"];
const PHONE_COMPANIES: [&str; 3] = ["旭日装饰客服中心", "华业售后", "旭日装饰服务热线"];
const CHAT_OPENINGS: [&str; 3] = [
    "您好，欢迎访问旭日装饰官网，旭日客服竭诚为您服务！",
    "您好，欢迎访问网站，华业售后客服竭诚为您服务！",
    "您好，欢迎光临旭日装饰旗舰店，很高兴为您服务！",
];
const DISTRICTS: [&str; 8] = ["朝阳区", "海淀区", "浦东新区", "天河区", "南山区", "武侯区", "西湖区", "江北区"];
const COMMUNITIES: [&str; 8] = ["幸福小区", "阳光花园", "锦绣家园", "翠湖苑", "金色家园", "和平里", "滨江花园", "东方明珠苑"];

/// Customer opening lines of `rulebook/scenarios.toml` (greeting examples).
const CUSTOMER_GREETINGS: [&str; 6] = ["喂，你好", "你好", "您好！", "客服你好", "你好你好，在吗", "哎你好，是人工吧"];
const CHAT_HELLO: [&str; 4] = ["在吗？", "有人吗", "你好", "客服在吗"];

/// (customer says, agent restates): repair requests.
const REPAIRS: [(&str, &str); 12] = [
    ("我家空调坏了，能派个师傅来看看吗？", "家里空调坏了，需要师傅上门检修"),
    ("卫生间漏水，麻烦安排人上门维修。", "卫生间漏水，需要安排上门维修"),
    ("我要报修，热水器打不着火。", "热水器打不着火，需要报修"),
    ("墙面开裂了，你们什么时候能来修？", "墙面开裂，需要上门修补"),
    ("刚装的门关不上，帮我处理一下。", "新装的门关不上，需要上门调整"),
    ("冰箱不制冷了，还在保修期内。", "冰箱不制冷，在保修期内需要维修"),
    ("洗衣机不脱水，想预约上门维修。", "洗衣机不脱水，想预约上门维修"),
    ("我家厨房的柜门掉下来了，你们能派人来修吗？", "厨房柜门脱落，需要上门维修"),
    ("宽带没网了，报修一下。", "家里宽带断网，需要报修"),
    ("电视没信号了，能派师傅来看看吗？", "电视没有信号，需要师傅上门检查"),
    ("地板有几块翘起来了，能来看一下吗？", "地板起翘，需要上门查看"),
    ("卧室的灯不亮了，开关也没反应。", "卧室灯不亮、开关没有反应，需要上门检修"),
];
/// What the agent does about a repair.
const REPAIR_DONE: [&str; 4] = [
    "您的报修我已经登记，会在今天下午安排师傅与您联系。",
    "您的报修已经受理，师傅会在明天上午十点前上门，上门前会提前电话联系您。",
    "已经为您登记了维修工单，我们会在24小时内安排师傅上门。",
    "您的报修我已经记录，维修师傅会在两个小时内给您回电确认上门时间。",
];

/// (customer asks, agent answers): inquiries.
const INQUIRIES: [(&str, &str); 12] = [
    ("请问你们几点下班？", "我们的人工客服服务时间是每天早上八点到晚上十点，门店营业到晚上九点。"),
    ("我想咨询一下会员积分怎么兑换。", "会员积分可以在官网的会员中心兑换礼品或抵扣货款，一百积分可以抵一元。"),
    ("这个套餐多少钱一个月？", "这个套餐是每月九十九元，包含一次免费上门保养。"),
    ("退货需要什么手续？", "收到商品七天内，在订单页面申请退货就可以，请保持包装完好，快递员会上门取件。"),
    ("你们店在哪里？", "我们的门店在建国路八十八号，营业时间是上午九点到晚上九点。"),
    ("可以开发票吗？", "可以的，您在订单页面填写发票抬头，电子发票会发送到您的邮箱。"),
    ("有没有优惠活动？", "本月下单全屋定制可以享受九折优惠，老客户再送一次免费保洁。"),
    ("快递一般几天能到？", "一般三到五天送达，偏远地区会稍晚一两天。"),
    ("保修期是多久？", "保修期是两年，从安装完成之日算起，保修期内免费上门维修。"),
    ("想了解一下你们的装修报价。", "装修报价按面积和所选材料计算，我可以帮您预约设计师免费上门量房，量房后出详细报价。"),
    ("我想问一下我的订单什么时候发货。", "您的订单已经备货完成，明天上午发货，发货后会有短信通知。"),
    ("你们周末能上门量房吗？", "可以的，周末也可以预约上门量房。"),
];

/// (customer complains, agent restates): complaints.
const COMPLAINTS: [(&str, &str); 10] = [
    ("报修一个星期了到现在还没人来修。", "报修一周还没有人上门维修"),
    ("你们这是什么破产品，用了两天就坏了。", "产品用了两天就出现故障"),
    ("太失望了，说好的三天发货，现在都一周了。", "订单超过承诺的三天还没有发货"),
    ("我对你们的售后很不满意。", "对售后服务不满意"),
    ("反映了好几次都没人管。", "问题反映了多次还没有处理"),
    ("我订的是大号，你们给我寄了个小号。", "订的是大号，收到的却是小号"),
    ("快递盒子都压扁了，里面的杯子碎了一个。", "快递外箱压扁，里面的杯子碎了一个"),
    ("你们这样推来推去的，今天必须给我个说法。", "问题被推来推去，希望今天给出处理意见"),
    ("我要投诉，你们的网络三天两头断。", "网络经常断线"),
    ("乱扣费，我要退款。", "被多扣了费用，需要退款"),
];
/// (customer complains about staff, agent restates).
const STAFF_COMPLAINTS: [(&str, &str); 5] = [
    ("上次来的师傅态度恶劣，还骂人。", "上次上门的师傅态度恶劣"),
    ("昨天上门的维修工私自收费，我要投诉他。", "昨天上门的维修工私自收费"),
    ("你们那个送货的师傅把我家地板划了还不承认，态度特别横。", "送货师傅划伤了地板且态度不好"),
    ("我要投诉你们那个客服，态度太差了。", "之前接待您的客服态度不好"),
    ("你们的师傅爱答不理的。", "上门师傅对您爱答不理"),
];
const COMPLAINT_APOLOGY: [&str; 4] = [
    "很抱歉，给您添麻烦了。",
    "对不起，我们对此给您带来的不便，感到非常抱歉。",
    "非常理解您现在的心情，给您带来的不便我们深表歉意。",
    "我首先代表我们的工作人员向您道歉，希望您能谅解。",
];
const COMPLAINT_RECORD: [&str; 3] = [
    "您的投诉内容我们已做好了详细记录，会很快转发给相关部门，我们将在24小时（工作日）内给您答复。",
    "您反映的问题我已经做了记录，具体的情况我们还需要与相关部门做对接，等确认好方案之后，我们会第一时间与您联系。",
    "您的问题我已经详细记录下来了，我们会在三个工作日内与您联系。",
];
/// A record without a promised reply time (a `complaint.handling` failure).
const COMPLAINT_RECORD_ONLY: [&str; 2] = ["您反映的问题我已经记录下来了。", "好的，这个情况我这边登记一下。"];

/// (customer leaves a message, agent restates).
const MESSAGES: [(&str, &str); 5] = [
    ("麻烦帮我转告一下王经理，我明天不过去了。", "请转告王经理您明天不过去了"),
    ("他不在的话，让他回来给我回个电话。", "请他回来后给您回电话"),
    ("帮我跟李经理说一声，合同我下午送过去。", "请转告李经理合同您下午送过去"),
    ("你帮我转达一下，货已经发了。", "请转达货已经发出"),
    ("劳驾转达给张老师，今天的课孩子请假。", "请转告张老师孩子今天的课请假"),
];
const SUGGESTIONS: [&str; 6] = [
    "我有个建议，你们的APP能不能加个夜间模式。",
    "希望你们以后能延长一下客服时间。",
    "要是周末也能上门安装就好了。",
    "可以考虑增加一个在线预约功能。",
    "如果能短信提醒一下就更好了。",
    "你们下单页面能不能加个备注栏。",
];
const HARD_TO_REACH: [&str; 4] = ["打了十几次才打通。", "等了半个小时才有人接。", "终于打通了，排队排了好久。", "你们客服电话怎么老是打不进来。"];
const ASK_NAME: [&str; 4] = ["你叫什么名字？", "请问您贵姓？", "怎么称呼你？", "告诉我你的名字，我记一下。"];
const PERSONAL_CALLS: [&str; 3] = ["我找一下小王，她在吗？", "我是她同学，找她有点私事。", "麻烦叫她接一下电话，我是她妈妈。"];

const YES: [&str; 5] = ["对的。", "是的。", "对，没错。", "嗯，是这样。", "对。"];
const OK: [&str; 5] = ["好的。", "好。", "嗯，好的。", "行。", "好的，谢谢。"];
const NOTHING_ELSE: [&str; 5] = ["不用了。", "没有了，谢谢。", "不用了，谢谢。", "没其他问题了。", "没有了。"];
const THANKS: [&str; 4] = ["谢谢", "好的，谢谢你", "太感谢了！", "麻烦你了"];

const ANYTHING_ELSE: [&str; 4] = ["请问您还需要其它帮助吗？", "请问还有什么可以帮到您吗？", "请问您还有其它问题吗？", "除了这个问题，请问您还有其他需要帮助的吗？"];
const FAREWELLS: [&str; 3] = ["感谢您的来电，祝您生活愉快，再见。", "谢谢您的来电，再见！", "感谢您的来电，如有任何问题，欢迎随时联系我们。祝您生活愉快，再见！"];
const CHAT_FAREWELLS: [&str; 2] = ["感谢您的咨询，请您稍后对我的服务进行评价，再见！", "请您稍后对我的服务进行评价，谢谢，再见！"];

/// `bad` examples of `rulebook/forbidden/*.toml`, as an agent would say them.
const FORBIDDEN: [&str; 24] = [
    "不行就是不行，这是规定。",
    "你问我，我问谁？",
    "没法查，我没办法。",
    "有意见找领导去，要告就告去！",
    "说了你也不懂。",
    "你怎么还不明白。",
    "你怎么不早说。",
    "我不是已经说了吗。",
    "知道了，知道了，不要再讲了。",
    "好了，好了，不是正在给你查吗？",
    "你催什么，我都不急，你急什么？",
    "什么乱七八糟的，你以后想清楚再问！",
    "我不知道。",
    "这事儿不归我管，你找别的部门。",
    "那不是我的错！",
    "你自己去问问吧。",
    "跟我说没用。",
    "我们公司就是这么规定的。",
    "你听清楚了没有？",
    "能不能再说清楚点呀？",
    "你到底想怎么样？",
    "我忙着呢。",
    "等着吧，急也没用。",
    "你不会自己看吗？",
];
/// Openings without a greeting (and on the phone, without the work number).
const NO_GREETING: [&str; 3] = ["喂，哪位？", "旭日装饰，请讲。", "喂，请讲。"];

// ---------------------------------------------------------------------------
// Building one conversation.

struct Builder<'r> {
    rng: &'r mut Rng,
    phone: bool,
    /// Agent speaking rate, in characters other than punctuation per second.
    agent_rate: f64,
    turns: Vec<Turn>,
    events: Vec<Event>,
    /// When the last turn (or hold) ended.
    t: f64,
    injected: Vec<&'static str>,
}

fn tenth(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn spoken_chars(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphanumeric()).count().max(1)
}

impl Builder<'_> {
    fn push(&mut self, speaker: Party, text: String, start: f64) {
        let start = tenth(start.max(0.0));
        if self.phone {
            let rate = if speaker == Party::Agent { self.agent_rate } else { self.rng.float(2.6, 4.2) };
            let end = tenth(start + (spoken_chars(&text) as f64 / rate).max(0.6));
            self.t = self.t.max(end);
            self.turns.push(Turn { speaker, start, end: Some(end), text });
        } else {
            self.t = self.t.max(start);
            self.turns.push(Turn { speaker, start, end: None, text });
        }
    }

    fn gap(&mut self, speaker: Party, text: &str) -> f64 {
        if self.phone {
            self.rng.float(0.4, 1.3)
        } else if speaker == Party::Agent {
            // Typing: a few seconds plus a little per character.
            self.rng.float(3.0, 8.0) + 0.25 * text.chars().count() as f64
        } else {
            self.rng.float(4.0, 40.0)
        }
    }

    fn say(&mut self, speaker: Party, text: impl Into<String>) {
        let text = text.into();
        let start = self.t + self.gap(speaker, &text);
        self.push(speaker, text, start);
    }

    fn agent(&mut self, text: impl Into<String>) {
        self.say(Party::Agent, text);
    }

    fn customer(&mut self, text: impl Into<String>) {
        self.say(Party::Customer, text);
    }

    /// The agent says one of `texts`.
    fn agent_one(&mut self, texts: &[&str]) {
        let text = *self.rng.pick(texts);
        self.agent(text);
    }

    /// The customer says one of `texts`.
    fn customer_one(&mut self, texts: &[&str]) {
        let text = *self.rng.pick(texts);
        self.customer(text);
    }

    /// The agent cuts into the customer's last turn, over a second before it ends.
    fn agent_cuts_in(&mut self, text: impl Into<String>) -> bool {
        let Some(last) = self.turns.last() else { return false };
        let (Party::Customer, Some(end)) = (last.speaker, last.end) else { return false };
        if end - last.start < 2.5 {
            return false;
        }
        let start = end - self.rng.float(1.0, 2.0);
        self.push(Party::Agent, text.into(), start);
        true
    }

    fn hold(&mut self, seconds: f64) {
        let start = tenth(self.t + self.rng.float(0.3, 1.0));
        let end = tenth(start + seconds);
        self.events.push(Event::Hold { start, end });
        self.t = end;
    }

    fn len(&self) -> usize {
        self.turns.len()
    }
}

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.below(10) as u8)).collect()
}

fn mobile(rng: &mut Rng) -> String {
    format!("1{}{}", rng.pick(&["38", "39", "58", "86", "35", "77"]), digits(rng, 8))
}

fn address(rng: &mut Rng) -> String {
    format!("{}{}{}号楼{}单元{}0{}", rng.pick(&DISTRICTS), rng.pick(&COMMUNITIES), rng.range(1, 30), rng.range(1, 6), rng.range(1, 28), rng.range(1, 4))
}

/// A short exchange that fits in the middle of most conversations. `confirms`:
/// whether it may contain a confirmation (`confirm.restate`'s cue).
/// Kinds already used are avoided until all have been; turns alternate (an
/// acknowledgement goes between two turns of the same party).
fn filler(b: &mut Builder, confirms: bool, used: &mut u32) {
    let kinds = if confirms { 10 } else { 8 };
    let all = (1u32 << kinds) - 1;
    if *used & all == all {
        *used = 0;
    }
    let kind = loop {
        let k = b.rng.below(kinds);
        if *used & (1 << k) == 0 {
            break k;
        }
    };
    *used |= 1 << kind;
    let customer_first = matches!(kind, 3 | 5 | 7);
    match (b.turns.last().map(|t| t.speaker), customer_first) {
        (Some(Party::Agent), false) => b.customer_one(&["嗯。", "好的。", "嗯，好。"]),
        (Some(Party::Customer), true) => b.agent_one(&["嗯，我明白了。", "好的，您请说。", "是的，我理解您的意思。"]),
        _ => {}
    }
    match kind {
        0 => {
            b.agent("请问您的订单号是多少？");
            let no = format!("订单号是2026{}。", digits(b.rng, 7));
            b.customer(no);
        }
        1 => {
            b.agent("请问怎么称呼您呢？");
            let s = *b.rng.pick(&SURNAMES);
            b.customer(format!("我姓{s}。"));
        }
        2 => {
            let a = address(b.rng);
            b.agent("请问您的地址是哪里？");
            b.customer(format!("我家住在{a}。"));
            b.agent(format!("好的，{a}，我记下了。"));
        }
        3 => {
            b.customer("我还是不太明白。");
            b.agent("对不起，也许我说的不够清楚，请允许我再解释一遍。");
            b.customer("嗯，你说。");
        }
        4 => {
            b.agent("请问设备是什么时候购买的？");
            let m = b.rng.range(1, 12);
            b.customer(format!("是去年{m}月份买的。"));
        }
        5 => {
            b.customer("稍等我找一下单子。");
            b.agent("好的，不着急，您慢慢找。");
            let no = format!("找到了，单号是2026{}。", digits(b.rng, 7));
            b.customer(no);
        }
        6 => {
            b.agent("请问您家里方便的上门时间是什么时候？");
            b.customer_one(&["工作日白天家里都有人。", "周末比较方便。", "晚上六点以后吧。"]);
        }
        7 => {
            b.customer_one(&["我很急，麻烦快点帮我处理。", "能快点吗，我等着用。"]);
            b.agent("理解您的心情，我这边马上为您加急处理。");
        }
        8 => {
            let m = mobile(b.rng);
            b.agent("请问您的联系电话是多少？");
            b.customer(format!("我的手机号是{m}。"));
            b.agent(format!("回电号码是{m}，对吗？"));
            b.customer_one(&YES);
        }
        _ => {
            b.agent("请问我刚才的解释您是否明白？");
            b.customer("明白了。");
        }
    }
}

/// What the customer came for.
#[derive(Clone, Copy, PartialEq)]
enum Topic {
    Repair,
    Inquiry,
    Complaint,
    StaffComplaint,
    Message,
    Suggestion,
    AskName,
    PersonalCall,
}

fn topic(rng: &mut Rng, phone: bool) -> Topic {
    let x = rng.below(100);
    if phone {
        match x {
            0..=29 => Topic::Repair,
            30..=59 => Topic::Inquiry,
            60..=73 => Topic::Complaint,
            74..=78 => Topic::StaffComplaint,
            79..=86 => Topic::Message,
            87..=91 => Topic::Suggestion,
            92..=96 => Topic::AskName,
            _ => Topic::PersonalCall,
        }
    } else {
        match x {
            0..=19 => Topic::Repair,
            20..=69 => Topic::Inquiry,
            70..=84 => Topic::Complaint,
            85..=89 => Topic::StaffComplaint,
            90..=94 => Topic::Suggestion,
            _ => Topic::AskName,
        }
    }
}

fn started_at(rng: &mut Rng) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date") + chrono::Duration::days(rng.below(360) as i64);
    // Busier in office hours.
    let hour = if rng.chance(0.8) { rng.range(9, 17) } else { rng.range(8, 21) };
    format!("{}T{:02}:{:02}:{:02}+08:00", day.format("%Y-%m-%d"), hour, rng.range(0, 59), rng.range(0, 59))
}

fn time_greeting(hour: u32) -> &'static str {
    match hour {
        0..=10 => "早上好",
        11 => "上午好",
        12..=13 => "中午好",
        14..=17 => "下午好",
        _ => "晚上好",
    }
}

/// Conversation number `index` of the corpus.
pub fn generate(index: u64) -> Generated {
    let mut rng = Rng::new(SEED ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let phone = rng.chance(0.7);
    let started = started_at(&mut rng);
    let hour: u32 = started[11..13].parse().expect("hour");
    let agent_no = rng.below(400);
    let agent = Agent {
        id: format!("A{:04}", 1000 + agent_no),
        work_no: format!("{:04}", 1000 + agent_no),
        name: format!("{}{}", SURNAMES[agent_no % SURNAMES.len()], GIVEN[(agent_no / SURNAMES.len()) % GIVEN.len()]),
    };
    let rings = phone.then(|| if rng.chance(0.12) { rng.range(4, 7) } else { rng.range(1, 3) });
    let agent_rate = match rng.below(100) {
        0..=2 => rng.float(2.6, 3.0),  // too fast
        3..=4 => rng.float(1.2, 1.5),  // too slow
        _ => rng.float(1.75, 2.25),    // 105–135 characters a minute
    };
    let mut b = Builder { rng: &mut rng, phone, agent_rate, turns: Vec::new(), events: Vec::new(), t: 0.0, injected: Vec::new() };
    if agent_rate > 2.5 || agent_rate < 1.6 {
        if phone {
            b.injected.push("voice.speech_rate");
        }
    }

    if phone && b.rng.chance(0.02) {
        silent_call(&mut b, rings.is_some_and(|r| r > 3));
    } else {
        dialogue(&mut b, &agent, rings, hour);
    }
    let Builder { turns, events, injected, .. } = b;
    let mut injected = injected;
    injected.sort_unstable();
    injected.dedup();
    Generated {
        conversation: Conversation {
            id: format!("gen-{index:06}"),
            channel: if phone { Channel::Phone } else { Channel::Chat },
            started_at: Some(started),
            agent,
            rings,
            turns,
            events,
            metadata: Default::default(),
        },
        injected,
    }
}

/// A phone call where the customer says nothing (the procedure of
/// `phrases/line_quality.toml` silent_call).
fn silent_call(b: &mut Builder, late: bool) {
    if late {
        b.injected.push("opening.late_answer_apology");
    }
    b.t = b.rng.float(0.2, 1.0);
    b.agent("您好，您的电话已接通。");
    let pause = b.rng.float(3.0, 6.0);
    b.t += pause;
    b.agent("您好，您的电话已接通，请问您能听见我的声音吗？");
    b.t += b.rng.float(3.0, 6.0);
    if b.rng.chance(0.2) {
        b.agent("喂？喂？听不到我就挂了。");
        b.injected.push("silent_call.procedure");
        b.injected.push("language.forbidden");
    } else {
        b.agent("对不起，听不到您的声音，请您换一部话机再拨，谢谢。");
    }
    let at = tenth(b.t + b.rng.float(0.5, 2.0));
    b.events.push(Event::Hangup { at, by: Party::Agent });
}

fn dialogue(b: &mut Builder, agent: &Agent, rings: Option<u32>, hour: u32) {
    let phone = b.phone;
    // Fillers add at most five turns past the target, so 6..=26 gives 6–30 turns.
    let target = b.rng.range(6, 26) as usize;
    let topic = topic(b.rng, phone);
    let late = rings.is_some_and(|r| r > 3);
    b.t = if phone { b.rng.float(0.0, 1.0) } else { 0.0 };

    // Opening.
    if !phone && b.rng.chance(0.5) {
        let hello = *b.rng.pick(&CHAT_HELLO);
        b.customer(hello);
    }
    let company = *b.rng.pick(&PHONE_COMPANIES);
    let no = &agent.work_no;
    let opening = if b.rng.chance(0.03) {
        b.injected.push("opening.greeting");
        if late {
            b.injected.push("opening.late_answer_apology");
        }
        let text = *b.rng.pick(&NO_GREETING);
        if text.starts_with('喂') {
            // 直呼“喂” is itself a forbidden phrase (rude_address.hey).
            b.injected.push("language.forbidden");
        }
        text.to_string()
    } else if !phone {
        b.rng.pick(&CHAT_OPENINGS).to_string()
    } else if late && b.rng.chance(0.75) {
        match b.rng.below(2) {
            0 => format!("您好，非常抱歉让您久等了，我是工号{no}，请问有什么可以帮到您？"),
            _ => format!("对不起，让您久等了！您好，{company}，工号{no}，请问有什么可以帮到您？"),
        }
    } else {
        if late {
            b.injected.push("opening.late_answer_apology");
        }
        match b.rng.below(10) {
            0..=4 => format!("您好！{company}，工号{no}，请问有什么可以帮到您？"),
            5..=6 => format!("您好，{company}{no}号客服人员为您服务。"),
            7 => format!("您好，很高兴为您服务！我是工号{no}，请问有什么可以帮到您？"),
            8 if b.rng.chance(0.1) => {
                b.injected.push("opening.time_of_day");
                let wrong = if hour < 12 { "晚上好" } else { "早上好" };
                format!("{wrong}！{company}，工号{no}，请问有什么可以帮到您？")
            }
            8 => format!("{}！{company}，工号{no}，请问有什么可以帮到您？", time_greeting(hour)),
            _ if b.rng.chance(0.2) => {
                b.injected.push("privacy.agent_name");
                let surname: String = agent.name.chars().take(1).collect();
                format!("您好，{company}，我是小{surname}，工号{no}，请问有什么可以帮到您？")
            }
            _ => format!("您好，{company}，工号{no}，请问有什么可以帮到您？"),
        }
    };
    b.agent(opening);
    if phone && b.rng.chance(0.15) {
        let hello = *b.rng.pick(&CUSTOMER_GREETINGS);
        b.customer(hello);
        b.agent("您好！请问有什么可以帮助您？");
    }
    if phone && b.rng.chance(0.04) {
        let moan = *b.rng.pick(&HARD_TO_REACH);
        b.customer(moan);
        b.agent("对不起，让您久等了，现在线路比较繁忙，请问有什么可以帮到您？");
    }

    // The request, and the agent restating it.
    let forbidden = b.rng.chance(0.05);
    let skip_confirm = b.rng.chance(0.05);
    let restate = |b: &mut Builder, summary: &str, interrupt_ok: bool| {
        if skip_confirm {
            b.injected.push("confirm.restate");
            b.agent("好的。");
            return;
        }
        let text = format!("{}，您是说{summary}，对吗？", b.rng.pick(&["好的", "明白", "嗯"]));
        if phone && interrupt_ok && b.rng.chance(0.05) {
            if b.rng.chance(0.5) {
                if b.agent_cuts_in(format!("对不起，打断一下，{text}")) {
                    b.customer_one(&YES);
                    return;
                }
            } else if b.agent_cuts_in(text.clone()) {
                b.injected.push("listen.no_interrupt");
                b.customer_one(&YES);
                return;
            }
        }
        b.agent(text);
        b.customer_one(&YES);
    };
    let mut resolution: Vec<String> = Vec::new();
    let mut confirms_later = true;
    match topic {
        Topic::Repair => {
            let (ask, summary) = *b.rng.pick(&REPAIRS);
            b.customer(ask);
            restate(b, summary, true);
            resolution.push(b.rng.pick(&REPAIR_DONE).to_string());
            confirms_later = !skip_confirm;
        }
        Topic::Inquiry => {
            let (ask, answer) = *b.rng.pick(&INQUIRIES);
            b.customer(ask);
            resolution.push(answer.to_string());
        }
        Topic::Complaint | Topic::StaffComplaint => {
            let (ask, summary) = if topic == Topic::Complaint { *b.rng.pick(&COMPLAINTS) } else { *b.rng.pick(&STAFF_COMPLAINTS) };
            b.customer(ask);
            restate(b, summary, true);
            confirms_later = !skip_confirm;
            if b.rng.chance(0.1) {
                b.injected.push("complaint.handling");
                resolution.push(b.rng.pick(&COMPLAINT_RECORD_ONLY).to_string());
            } else {
                resolution.push(b.rng.pick(&COMPLAINT_APOLOGY).to_string());
                resolution.push(b.rng.pick(&COMPLAINT_RECORD).to_string());
            }
        }
        Topic::Message => {
            let (ask, summary) = *b.rng.pick(&MESSAGES);
            b.customer(ask);
            restate(b, summary, false);
            confirms_later = !skip_confirm;
            resolution.push("好的，您的留言我已经记录，会尽快转达。".to_string());
        }
        Topic::Suggestion => {
            let s = *b.rng.pick(&SUGGESTIONS);
            b.customer(s);
            resolution.push("非常感谢您的宝贵建议，我已经记录下来，会反馈给相关部门。".to_string());
        }
        Topic::AskName => {
            b.customer("我想问一下我的订单什么时候发货。");
            b.agent("您的订单明天上午发货，发货后会有短信通知。");
            let ask = *b.rng.pick(&ASK_NAME);
            b.customer(ask);
            if b.rng.chance(0.2) {
                b.injected.push("privacy.agent_name");
                resolution.push(format!("我叫{}，工号是{}。", agent.name, agent.work_no));
            } else {
                resolution.push(format!("您好，我们公司规定对外只报工作编号，我的工号是{}，如您需要帮助，请拨打本热线与我联系。", agent.work_no));
            }
        }
        Topic::PersonalCall => {
            let ask = *b.rng.pick(&PERSONAL_CALLS);
            b.customer(ask);
            resolution.push("对不起，公司有规定，上班时间不允许接听私人电话，请您留下联系电话，我会转告她下班后与您联系，谢谢您！".to_string());
        }
    }

    // The middle: details, maybe a forbidden phrase, maybe a hold.
    let hold = phone && matches!(topic, Topic::Repair | Topic::Inquiry | Topic::Complaint) && b.rng.chance(0.25);
    let thanks = b.rng.chance(0.2);
    let skip_ask = b.rng.chance(0.04);
    let tail = resolution.len() + usize::from(hold) * 2 + usize::from(thanks) * 2 + if skip_ask { 2 } else { 3 };
    let mut said_forbidden = false;
    let mut used = 0u32;
    while b.len() + tail < target {
        if forbidden && !said_forbidden && b.rng.chance(0.4) {
            let bad = *b.rng.pick(&FORBIDDEN);
            b.agent(bad);
            b.customer_one(&OK);
            said_forbidden = true;
            continue;
        }
        filler(b, confirms_later, &mut used);
    }
    if forbidden && !said_forbidden {
        let bad = *b.rng.pick(&FORBIDDEN);
        b.agent(bad);
        b.customer_one(&OK);
        said_forbidden = true;
    }
    if said_forbidden {
        b.injected.push("language.forbidden");
    }
    if hold {
        let ask = b.rng.chance(0.93);
        if ask {
            b.agent_one(&["请您稍等，我帮您查询一下。", "对不起，我帮您查询一下，请您稍等片刻，好吗？谢谢！", "请稍等，我帮您查一下。"]);
        } else {
            b.injected.push("wait.ask_before_hold");
            b.agent("我帮您查询一下。");
        }
        b.customer_one(&OK);
        let seconds = if b.rng.chance(0.15) {
            b.injected.push("wait.long_hold_callback");
            b.rng.float(125.0, 300.0)
        } else {
            b.rng.float(10.0, 100.0)
        };
        b.hold(seconds);
        let first = resolution.remove(0);
        if b.rng.chance(0.93) {
            resolution.insert(0, format!("{}{first}", b.rng.pick(&["感谢您的耐心等待，", "对不起，让您久等了，", "谢谢您的等待，"])));
        } else {
            b.injected.push("wait.thanks_after_hold");
            resolution.insert(0, first);
        }
    }
    for r in resolution {
        b.agent(r);
    }
    if thanks {
        b.customer_one(&THANKS);
        b.agent("不客气！");
    }

    // Closing.
    if skip_ask {
        b.injected.push("closing.anything_else");
        b.customer("好的，那就这样吧。");
    } else {
        let ask = if phone { *b.rng.pick(&ANYTHING_ELSE) } else { "请问还有什么需要帮助的吗？" };
        b.agent(ask);
        b.customer_one(&NOTHING_ELSE);
    }
    if b.rng.chance(0.03) {
        b.injected.push("closing.farewell");
        if !phone {
            b.injected.push("closing.rating_invite");
        }
        b.agent("好的。");
    } else if phone {
        let bye = *b.rng.pick(&FAREWELLS);
        b.agent(bye);
    } else if b.rng.chance(0.15) {
        b.injected.push("closing.rating_invite");
        b.agent("感谢您的咨询，再见！");
    } else {
        let bye = *b.rng.pick(&CHAT_FAREWELLS);
        b.agent(bye);
    }
    if phone {
        let by = if b.rng.chance(0.05) {
            b.injected.push("closing.customer_hangs_up_first");
            Party::Agent
        } else {
            Party::Customer
        };
        let at = tenth(b.t + b.rng.float(0.5, 2.5));
        b.events.push(Event::Hangup { at, by });
    }
}
