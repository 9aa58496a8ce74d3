#!/usr/bin/env python3
"""gen_b corpus generator (Python 3, standard library only, fixed seed).

Reads the hand-written seed bank in seeds/ and expands it with
meaning-preserving operators:

  * industry slot substitution ({biz} {id} {dept} {act} {app} ...)
  * politeness frames (prefix / suffix), chosen per category so that a frame
    never softens a violation into an acceptable sentence (no apology frame in
    front of a command or a blunt correction, no frame at all in front of a
    rude 喂/嘿/哎)
  * embedding a violation in a long polite sentence ("polite-wrapper")
  * merging two violations of different categories (both labels kept)
  * splitting / merging clauses
  * phone_asr transform: punctuation removed or odd, fillers, repeated
    words, homophone errors, numbers read out as Chinese numerals
  * chat transform: punctuation variants, emoji / kaomoji (friendly ones only on
    non-violations, sour ones on violations), traditional characters,
    net-speak, spaces/symbols inside the key words (不 归 我 管, 不*归*我*管)

Writes agent.jsonl, customer.jsonl and README.md next to this script.
Run:  python3 generate.py
"""
import collections
import json
import os
import re
import random

SEED = 20240611
SOURCE = "gen_b"
HERE = os.path.dirname(os.path.abspath(__file__))
SEED_DIR = os.path.join(HERE, "seeds")

N_AGENT = 9000
N_CUSTOMER = 9000
N_VIOLATION = 4050  # 45 %

CATEGORIES = ["command", "blame", "grumble", "lecture", "shirk", "impatient",
              "rude_address", "interrogate", "arrogant", "blunt_correction"]
OK_GROUPS = {  # non-violation subgroups and their line quotas (sum 4950)
    "formal": 900, "business": 1300, "self-correction": 650,
    "innocent-use": 850, "redirection": 550, "polite-refusal": 450,
    "empathy": 250,
}
SCENARIOS = ["greeting", "thanks", "praise", "apology", "cannot_hear",
             "not_understood", "complaint", "complaint_staff", "hard_to_reach",
             "abusive", "wants_manager", "suggestion", "urgent",
             "ask_agent_name", "personal_call", "harassment", "repair_request",
             "leave_message", "goodbye", "inquiry", "other"]
BIG_SCENARIOS = {"inquiry": 906, "complaint": 800, "repair_request": 700,
                 "thanks": 650, "goodbye": 600}
SMALL_QUOTA = 334  # 16 * 334 + 3656 = 9000

INDUSTRIES = ["telecom", "banking", "ecommerce", "utilities", "appliances",
              "logistics", "insurance", "travel", "government"]
IND_SHARE = {"telecom": .15, "banking": .15, "ecommerce": .15,
             "utilities": .15, "appliances": .15, "logistics": .15,
             "insurance": .034, "travel": .033, "government": .033}

# --------------------------------------------------------------------------
# industry slot values
SLOTS = {
    "telecom": {"biz": ["套餐", "宽带", "话费", "流量", "手机号"],
                "id": ["手机号码", "宽带账号"],
                "dept": ["营业厅", "装维部门", "技术部门"],
                "act": ["改套餐", "办停机保号", "开通国际漫游", "办宽带"],
                "app": ["营业厅App", "网上营业厅"]},
    "banking": {"biz": ["信用卡", "账户", "转账", "贷款", "储蓄卡"],
                "id": ["卡号", "卡号后四位", "身份证号"],
                "dept": ["柜台", "信用卡中心", "网点"],
                "act": ["挂失", "调整转账限额", "办理分期", "销户"],
                "app": ["手机银行", "手机银行App"]},
    "ecommerce": {"biz": ["订单", "退款", "商品", "退货", "优惠券"],
                  "id": ["订单号", "下单手机号"],
                  "dept": ["商家", "仓库", "售后部门"],
                  "act": ["申请退货", "修改收货地址", "开发票", "换货"],
                  "app": ["购物App", "订单详情页"]},
    "utilities": {"biz": ["电费", "水费", "燃气费", "电表", "水表"],
                  "id": ["户号", "缴费户号"],
                  "dept": ["供电所", "营业厅", "抢修班"],
                  "act": ["缴电费", "办理过户", "申请峰谷电价", "开通自动扣费"],
                  "app": ["网上营业厅", "缴费小程序"]},
    "appliances": {"biz": ["空调", "洗衣机", "热水器", "冰箱", "油烟机"],
                   "id": ["机器条码", "报修单号"],
                   "dept": ["维修网点", "厂家", "安装部门"],
                   "act": ["报修", "预约安装", "办延保", "以旧换新"],
                   "app": ["售后小程序", "服务号"]},
    "logistics": {"biz": ["快递", "包裹", "运单", "快件"],
                  "id": ["运单号", "寄件手机号"],
                  "dept": ["派件网点", "分拣中心", "转运中心"],
                  "act": ["寄快递", "改派", "申请理赔", "预约取件"],
                  "app": ["寄件小程序", "快递App"]},
    "insurance": {"biz": ["保单", "理赔", "车险"],
                  "id": ["保单号", "报案号"],
                  "dept": ["理赔部门", "核保部门"],
                  "act": ["报案", "退保", "续保"],
                  "app": ["保险App"]},
    "travel": {"biz": ["机票", "酒店订单", "退票"],
               "id": ["订单号", "身份证号"],
               "dept": ["航空公司", "酒店前台"],
               "act": ["改签", "退票", "预订酒店"],
               "app": ["旅行App"]},
    "government": {"biz": ["社保", "公积金", "居住证"],
                   "id": ["身份证号", "办件编号"],
                   "dept": ["街道办", "办事窗口", "区政务中心"],
                   "act": ["提取公积金", "办居住证", "转移社保"],
                   "app": ["政务App"]},
}
COMMON_SLOTS = {
    "time": ["24小时内", "三个工作日内", "明天上午", "今天下班前", "两小时内", "48小时内"],
    "date": ["3月12号", "下周三", "本月25号", "明天", "10月8号", "周五", "6月1号"],
    "city": ["杭州", "成都", "武汉", "西安", "广州", "沈阳", "济南", "昆明", "南京", "郑州"],
    "surname": ["张", "王", "李", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
                "马", "胡", "朱", "郭", "何", "林", "罗", "高"],
}

# --------------------------------------------------------------------------
# frames
AGENT_PREFIX = {
    "command": ["您好，", "先生，", "女士，", "这位先生，", "这位女士，", "亲，", "嗯，", "那个，"],
    "blame": ["您好，", "先生，", "女士，", "这边查了一下，", "我看了一下记录，", "说实话，", "亲，", "嗯，"],
    "grumble": ["唉，", "嗯，", "您好，", "先生，", "女士，", "我说，"],
    "lecture": ["您好，", "先生，", "女士，", "我跟您说，", "说句实在话，", "亲，"],
    "shirk": ["您好，", "不好意思，", "抱歉，", "先生，", "女士，", "亲，", "这个嘛，"],
    "impatient": ["嗯，", "行，", "好，", "您好，", "先生，", "女士，"],
    "rude_address": [],
    "interrogate": ["您好，", "先生，", "女士，", "亲，", "我说，"],
    "arrogant": ["您好，", "先生，", "女士，", "说实话，", "亲，", "呵呵，"],
    "blunt_correction": ["您好，", "先生，", "女士，", "嗯，", "亲，"],
}
AGENT_SUFFIX_V = ["。", "！", "，谢谢。", "，请问还有其他问题吗？", "，感谢您的来电。"]
AGENT_SUFFIX_RUDE = ["！", "？"]
WRAP_PRE = ["您好，非常感谢您的耐心等待，", "您好，很高兴为您服务，",
            "先生您好，您反映的情况我已经看到了，", "女士您好，感谢您的来电，",
            "亲，您好，这边已经收到您的问题了，", "您好，感谢您一直以来的支持，",
            "{surname}先生您好，这边是客服中心，", "{surname}女士您好，让您久等了，",
            "您好，您的来电我们非常重视，"]
WRAP_POST = ["，请问还有什么可以帮到您的吗？", "，感谢您的理解与支持。", "，祝您生活愉快。",
             "，如有其他问题欢迎随时联系我们。", "，感谢您的来电，再见。", "，请您对我的服务做出评价，谢谢。"]

OK_PREFIX_ALL = ["您好，", "好的，", "嗯好的，", "亲，", "先生，", "女士，",
                 "{surname}先生，", "{surname}女士，", "嗯，"]
OK_PREFIX_GROUP = {
    "business": ["这边帮您查到了，", "是这样的，", "我帮您看了一下，"],
    "polite-refusal": ["是这样的，"],
    "empathy": [],
    "self-correction": [],
    "redirection": ["是这样的，"],
    "formal": [],
    "innocent-use": [],
}
OK_SUFFIX = ["~", "哦。", "呢。", "，请问还有其他需要帮助的吗？", "，感谢您的耐心。", "，谢谢您。",
             "，祝您生活愉快。", "，有问题随时联系我们。"]
NO_PREFIX_STARTS = ("您好", "你好", "亲", "先生", "女士", "好的", "嗯", "早上好", "新年好",
                    "抱歉", "不好意思", "对不起", "很抱歉", "非常抱歉", "实在", "哎", "喂", "嘿", "唉")

CUST_PREFIX = {
    "greeting": [], "other": [], "abusive": [],
    "thanks": ["好的，", "嗯嗯，", "哦哦，", "OK，", "行，"],
    "praise": ["说真的，", "真的，", "不得不说，", "我跟你说，"],
    "apology": ["哎呀，", "那个，", "呃，"],
    "cannot_hear": ["喂，", "喂喂，"],
    "not_understood": ["呃，", "那个，", "等等，"],
    "complaint": ["我跟你说，", "说实话，", "真是的，", "我要反映个问题，", "你们怎么回事，"],
    "complaint_staff": ["我要投诉，", "我跟你说，", "说实话，", "我要反映一下，"],
    "hard_to_reach": ["我跟你说，", "真是的，", "唉，"],
    "wants_manager": ["行了，", "算了，", "我不管，"],
    "suggestion": ["我说个想法，", "那个，", "对了，", "我提个意见哈，"],
    "urgent": ["拜托，", "求你了，", "那个，"],
    "ask_agent_name": ["那个，", "对了，", "麻烦问一下，"],
    "personal_call": ["你好，", "那个，"],
    "harassment": ["嘿嘿，", "哈哈，", "美女，"],
    "repair_request": ["你好，", "您好，", "那个，", "我要报修，"],
    "leave_message": ["你好，", "那个，", "麻烦你，"],
    "goodbye": ["好的，", "行，", "嗯，", "那行，", "OK，"],
    "inquiry": ["你好，", "您好，", "请问一下，", "我想问一下，", "那个，", "麻烦问下，",
                "问一下哈，", "客服，"],
}
CUST_SUFFIX = {
    "greeting": ["？", "~", "呀"], "other": ["。", "…", "~"],
    "thanks": ["！", "啊", "哈", "~"],
    "praise": ["！", "，点赞", "，必须好评"],
    "apology": ["啊", "哈", "。"],
    "cannot_hear": ["啊", "？"],
    "not_understood": ["？", "啊", "呀"],
    "complaint": ["！", "，真是的", "，太离谱了", "，气死我了", "！！"],
    "complaint_staff": ["！", "，太过分了", "，你们管不管"],
    "hard_to_reach": ["！", "，太离谱了", "，怎么回事"],
    "abusive": ["！", "！！"],
    "wants_manager": ["！", "。"],
    "suggestion": ["。", "，你们考虑一下", "，我觉得会方便很多"],
    "urgent": ["！", "！！", "，真的急"],
    "ask_agent_name": ["？"],
    "personal_call": ["？", "。"],
    "harassment": ["~", "嘛", "哈哈"],
    "repair_request": ["，麻烦安排一下", "，什么时候能来", "。"],
    "leave_message": ["。", "，就这个事"],
    "goodbye": ["~", "啊", "哈"],
    "inquiry": ["？", "啊？", "呀？", "呢？"],
}
CUST_NO_PREFIX_STARTS = NO_PREFIX_STARTS + ("请问", "我想", "那个", "麻烦", "行", "说真的",
                                            "拜托", "我要", "我跟你说", "建议", "OK", "哦", "呃")
MERGE_SCEN = {"complaint", "complaint_staff", "hard_to_reach", "abusive", "urgent", "suggestion"}

# --------------------------------------------------------------------------
# channel material
FILLERS_AGENT = ["嗯", "啊", "那个", "就是", "呃", "这个", "然后", "嗯那个", "就是说"]
FILLERS_CUST = ["嗯", "啊", "那个", "就是", "呃", "这个", "然后", "我说", "就是说", "哎呀"]
HOMOPHONES = [("宽带", "款待"), ("流量", "流亮"), ("账单", "帐单"), ("已经", "以经"),
              ("师傅", "师父"), ("查询", "察询"), ("电费", "点费"), ("包裹", "包过"),
              ("信号", "新号"), ("订单", "定单"), ("稍等", "烧等"), ("核实", "合适"),
              ("记录", "纪录"), ("反馈", "反溃"), ("营业厅", "营业听"), ("运单", "云单"),
              ("快递", "快第"), ("维修", "维休"), ("套餐", "套参"), ("预约", "预月"),
              ("投诉", "头诉"), ("短信", "短新"), ("信用卡", "信用咖"), ("空调", "空跳"),
              ("燃气", "然气"), ("不好意思", "不好意识"), ("麻烦", "麻凡"), ("工号", "公号"),
              ("密码", "秘码"), ("客服", "客福"), ("经理", "经历"), ("领导", "领到"),
              ("再", "在"), ("在", "再"), ("账户", "帐户"), ("处理", "出理"), ("登记", "登机"),
              ("热水器", "热水气"), ("保修", "保休"), ("系统", "细统"), ("以后", "已后")]
EMO = {
    "pos": ["😊", "🙏", "🌹", "😄", "👍", "[微笑]", "[抱拳]", "(^_^)", "(｡･ω･｡)", "^_^", "🤝",
            "💪", "(*^▽^*)", "✨", "☺️", "[玫瑰]", "😃"],
    "neg": ["🙄", "😒", "😑", "💢", "😤", "[白眼]", "[撇嘴]", "-_-", "(￣へ￣)", "=_=", "😓",
            "🤷", "[抠鼻]", "(¬_¬)", "😮‍💨"],
    "angry": ["😡", "😠", "💢", "😤", "[发怒]", "(╯‵□′)╯︵┻━┻", "👎", "🙄", "😾"],
    "abuse": ["🤬", "😡", "💢", "🖕", "👎", "[发怒]"],
    "sorry": ["🙏", "😅", "[捂脸]", "(ㄒoㄒ)", "😓", "[流汗]"],
    "hurry": ["😭", "😰", "🙏", "[流泪]", "😫", "⏰"],
    "puzzle": ["🤔", "😵", "[疑问]", "❓", "(・_・?)"],
    "flirt": ["😘", "😏", "🥰", "[色]", "💋", "😜"],
    "idea": ["💡", "🙂", "👍", "😊"],
    "neutral": ["🙂", "🙏", "😊", "[微笑]", "👌"],
    "ask": ["🙂", "🙏", "🤔", "❓", "[微笑]"],
    "other": ["🙂", "😂", "😶", "👌"],
}
SCEN_MOOD = {"greeting": "pos", "thanks": "pos", "praise": "pos", "goodbye": "pos",
             "apology": "sorry", "cannot_hear": "puzzle", "not_understood": "puzzle",
             "complaint": "angry", "complaint_staff": "angry", "hard_to_reach": "angry",
             "wants_manager": "angry", "abusive": "abuse", "urgent": "hurry",
             "harassment": "flirt", "suggestion": "idea", "inquiry": "ask",
             "ask_agent_name": "neutral", "personal_call": "neutral",
             "leave_message": "neutral", "repair_request": "neutral", "other": "other"}
NETSPEAK = [("什么", "啥"), ("不知道", "不造"), ("这样", "酱紫"), ("没有", "木有"), ("好的", "好滴"),
            ("是的", "是哒"), ("怎么", "咋"), ("喜欢", "稀饭"), ("谢谢", "谢谢啦"), ("知道了", "造了"),
            ("我们", "偶们"), ("一样", "一样样")]
OBF_SEPS = [" ", "*", "-", ".", "/", "_", "~"]

# simplified -> traditional, common characters only (ambiguous ones left out)
_TRAD_PAIRS = """
们們 这這 个個 么麼 说說 话話 吗嗎 还還 来來 时時 问問 题題 没沒 会會 对對 为為 动動 过過 边邊
号號 单單 费費 电電 线線 网網 络絡 务務 业業 办辦 帮幫 询詢 记記 录錄 给給 请請 谢謝 让讓 样樣
现現 经經 发發 货貨 递遞 买買 卖賣 钱錢 银銀 户戶 账賬 帐帳 员員 师師 维維 换換 机機 统統 门門
开開 关關 闭閉 间間 进進 运運 输輸 处處 补補 偿償 应應 该該 当當 实實 际際 态態 认認 识識 气氣
东東 车車 长長 头頭 岁歲 场場 见見 观觀 视視 觉覺 听聽 声聲 总總 结結 体體 验驗 报報 设設 备備
够夠 宽寬 带帶 语語 读讀 写寫 级級 别別 闻聞 爱愛 里裡 两兩 厅廳 脑腦 罗羅 啰囉 烦煩 恼惱 难難
专專 丢丟 严嚴 临臨 举舉 义義 乐樂 习習 书書 乱亂 争爭 亏虧 产產 亲親 仅僅 从從 价價 众眾 优優
伟偉 传傳 伤傷 侧側 债債 储儲 儿兒 兴興 养養 内內 军軍 农農 冲衝 决決 况況 冻凍 净淨 准準 凉涼
减減 几幾 凭憑 击擊 划劃 则則 刚剛 创創 删刪 剧劇 劝勸 励勵 劳勞 势勢 区區 医醫 华華 协協 卫衛
却卻 厂廠 历歷 压壓 厌厭 县縣 参參 双雙 变變 叶葉 叹嘆 后後 吓嚇 启啟 响響 哟喲 唤喚 团團 园園
围圍 国國 图圖 圆圓 坏壞 块塊 坚堅 墙牆 壮壯 壳殼 复復 夸誇 夹夾 夺奪 奋奮 奖獎 妇婦 妈媽 娱娛
婴嬰 孙孫 学學 宁寧 宝寶 宠寵 审審 宫宮 宾賓 寻尋 导導 寿壽 将將 尔爾 尘塵 尝嘗 尽盡 层層 属屬
岛島 币幣 帅帥 广廣 庄莊 庆慶 库庫 庙廟 废廢 异異 弃棄 张張 弯彎 弹彈 强強 归歸 彻徹 径徑 忆憶
忧憂 怀懷 怜憐 恋戀 恳懇 恶惡 悬懸 惊驚 惧懼 惨慘 惯慣 愿願 懒懶 戏戲 战戰 扑撲 执執 扩擴 扫掃
扬揚 扰擾 抢搶 护護 担擔 拥擁 拦攔 拨撥 择擇 挂掛 挡擋 挤擠 挥揮 损損 捡撿 据據 搅攪 携攜 摄攝
摆擺 摇搖 摊攤 撑撐 敌敵 数數 断斷 无無 旧舊 显顯 晒曬 晓曉 晕暈 暂暫 术術 杀殺 杂雜 权權 条條
杨楊 极極 构構 枪槍 柜櫃 标標 栏欄 树樹 桥橋 档檔 梦夢 检檢 楼樓 横橫 欢歡 残殘 毁毀 毕畢 汇匯
汉漢 汤湯 沟溝 泪淚 洁潔 浅淺 测測 济濟 浓濃 涂塗 润潤 涨漲 渐漸 温溫 湾灣 湿濕 满滿 滤濾 灭滅
灯燈 灵靈 灾災 炉爐 点點 烂爛 烟煙 烧燒 热熱 爷爺 牵牽 状狀 犹猶 独獨 猪豬 猫貓 献獻 环環 画畫
畅暢 疗療 疯瘋 盐鹽 监監 盖蓋 盘盤 码碼 础礎 确確 碍礙 礼禮 离離 种種 积積 称稱 税稅 稳穩 穷窮
窝窩 竞競 笔筆 筑築 签簽 简簡 类類 粮糧 紧緊 纠糾 红紅 约約 纪紀 纯純 纸紙 纳納 纷紛 练練 组組
细細 织織 终終 绍紹 绑綁 绕繞 绝絕 继繼 绩績 续續 综綜 绿綠 缓緩 编編 缘緣 缩縮 缴繳 罚罰 罢罷
职職 联聯 聪聰 肠腸 肤膚 胀脹 胆膽 胜勝 脏髒 脚腳 脱脫 脸臉 腾騰 艺藝 节節 苏蘇 药藥 获獲 营營
蓝藍 虑慮 虚虛 虫蟲 虽雖 装裝 规規 览覽 计計 订訂 讨討 训訓 议議 讯訊 讲講 许許 论論 访訪 证證
评評 诈詐 诉訴 诊診 词詞 译譯 试試 诚誠 详詳 误誤 诺諾 课課 谁誰 调調 谅諒 谈談 谎謊 谓謂 谦謙
谨謹 负負 贡貢 财財 责責 败敗 质質 贪貪 贫貧 购購 贯貫 贴貼 贵貴 贷貸 贸貿 贺賀 资資 赔賠 赖賴
赚賺 赛賽 赞讚 赠贈 赢贏 赶趕 跃躍 践踐 轨軌 转轉 轮輪 软軟 轻輕 载載 较較 辆輛 辈輩 辑輯 辞辭
达達 迁遷 迈邁 远遠 违違 连連 迟遲 适適 选選 逻邏 遗遺 邮郵 邻鄰 酱醬 释釋 针針 钟鐘 钢鋼 钥鑰
铁鐵 铃鈴 铜銅 铺鋪 链鏈 销銷 锁鎖 锅鍋 错錯 键鍵 镜鏡 闪閃 闯闖 闲閒 闷悶 闹鬧 阅閱 队隊 阳陽
阴陰 阶階 陆陸 陈陳 险險 随隨 隐隱 静靜 页頁 顶頂 项項 顺順 须須 顾顧 顿頓 预預 领領 频頻 颜顏
额額 风風 飞飛 饭飯 饮飲 饱飽 馆館 马馬 驾駕 骗騙 鱼魚 鲜鮮 鸟鳥 鸡雞 麦麥 黄黃 齐齊 龄齡 龙龍
着著 厉厲 剂劑 丝絲 钮鈕 呗唄 鉴鑑  归歸 惠惠 乡鄉 厨廚 讶訝 潜潛 泼潑 缺缺 犯犯 织織 绪緒
闭閉 嘱囑 啥啥 咨咨 邀邀 顺順 愤憤 恼惱 骂罵 蠢蠢 傻傻 滚滾 猜猜 拼拼 险險 轰轟 亿億 汽汽 靓靚 虑慮 
"""
TRAD = {}
for _p in _TRAD_PAIRS.split():
    if len(_p) == 2:
        TRAD[_p[0]] = _p[1]

CN_DIG = "零一二三四五六七八九"


def int2zh(n):
    if n == 0:
        return "零"
    units = [(10000, "万"), (1000, "千"), (100, "百"), (10, "十")]
    out = ""
    zero = False
    for val, name in units:
        q, n = divmod(n, val)
        if q:
            if zero and out:
                out += "零"
            out += (int2zh(q) if val == 10000 else CN_DIG[q]) + name
            zero = False
        elif out:
            zero = True
    if n:
        if zero and out:
            out += "零"
        out += CN_DIG[n]
    if out.startswith("一十"):
        out = out[1:]
    return out


def num_to_speech(m):
    s = m.group(0)
    pct = s.endswith("%")
    core = s[:-1] if pct else s
    if "." in core:
        a, b = core.split(".", 1)
        spoken = int2zh(int(a)) + "点" + "".join(CN_DIG[int(c)] for c in b)
    elif len(core) >= 4 or core.startswith("0"):
        spoken = "".join(CN_DIG[int(c)] for c in core)
    else:
        spoken = int2zh(int(core))
    return ("百分之" + spoken) if pct else spoken


# --------------------------------------------------------------------------
def parse_seeds(path):
    out = collections.OrderedDict()
    sec = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("## "):
                sec = line[3:].strip()
                out.setdefault(sec, [])
                continue
            if not line.strip() or line.startswith("#"):
                continue
            style, tags, text = line.split("|")
            t = {"style": style, "ind": None, "extra": [], "channel": None, "text": text}
            for tag in filter(None, tags.split(",")):
                if tag.startswith("ind="):
                    t["ind"] = tag[4:]
                elif tag.startswith("+"):
                    t["extra"].append(tag[1:])
                elif tag in ("chat", "phone"):
                    t["channel"] = tag
                else:
                    raise ValueError("unknown tag %r in %s" % (tag, path))
            out[sec].append(t)
    return out


class Gen:
    def __init__(self, rng):
        self.rng = rng

    def pick(self, seq):
        return self.rng.choice(seq)

    def fill(self, text, ind):
        rng = self.rng

        def rep(m):
            k = m.group(1)
            if k in SLOTS[ind]:
                return rng.choice(SLOTS[ind][k])
            if k in COMMON_SLOTS:
                return rng.choice(COMMON_SLOTS[k])
            if k == "d4":
                return "%04d" % rng.randint(0, 9999)
            if k == "d3":
                return "%03d" % rng.randint(1, 999)
            if k == "money":
                v = rng.choice([18, 29, 39, 58, 68, 88, 99, 128, 158, 199, 236, 300, 45.5, 12.8, 76.3, 1280, 560])
                return "%s元" % v
            raise KeyError(k)
        return re.sub(r"\{(\w+)\}", rep, text)

    # ---- helpers on texts with [key] markers
    @staticmethod
    def strip_markers(t):
        return t.replace("[", "").replace("]", "")

    @staticmethod
    def plain_start(t):
        return Gen.strip_markers(t)

    @staticmethod
    def end_punct(t):
        return re.sub(r"[。！？!?.…~，,]+$", "", t)

    # ---- ASR
    def asr(self, t, fillers, start_fillers=None):
        rng = self.rng
        t = self.strip_markers(t)
        t = re.sub(r"[“”\"'《》「」（）()]", "", t)
        t = t.replace("App", rng.choice(["app", "APP", "App"]))
        if rng.random() < 0.6:
            t = re.sub(r"(?<![A-Za-z])\d+(?:\.\d+)?%?(?![A-Za-z])", num_to_speech, t)
        clauses = [c for c in re.split(r"[，。！？、；：,!?;:~…\s]+", t) if c]
        if not clauses:
            clauses = [t]
        # homophone error
        if rng.random() < 0.3:
            cand = [(a, b) for a, b in HOMOPHONES if any(a in c for c in clauses)]
            if cand:
                a, b = rng.choice(cand)
                for i, c in enumerate(clauses):
                    if a in c:
                        clauses[i] = c.replace(a, b, 1)
                        break
        # repeated word at a clause start
        if rng.random() < 0.25:
            i = rng.randrange(len(clauses))
            c = clauses[i]
            k = 2 if len(c) >= 4 and rng.random() < 0.5 else 1
            if len(c) > k:
                clauses[i] = c[:k] + c
        # filler in the middle
        if len(clauses) > 1 and rng.random() < 0.3:
            i = rng.randrange(1, len(clauses))
            clauses.insert(i, rng.choice(fillers))
        joiner = rng.choice(["", " ", " ", ""])
        out = joiner.join(clauses) if joiner else "".join(
            c + (" " if rng.random() < 0.25 else "") for c in clauses).strip()
        if rng.random() < 0.55:
            sf = start_fillers or fillers
            out = rng.choice(sf) + rng.choice(["", " "]) + out
        if rng.random() < 0.08 and len(out) > 6:  # odd punctuation
            p = rng.randrange(2, len(out) - 1)
            out = out[:p] + rng.choice(["，", "。"]) + out[p:]
        return out.strip()

    # ---- chat
    def obfuscate(self, t, key):
        rng = self.rng
        sep = rng.choice(OBF_SEPS)
        m = re.search(r"\[([^\]]+)\]", t) if key else None
        if m:
            span = m.group(1)
            # keep it to a word-sized chunk
            cjk = [i for i, ch in enumerate(span) if "\u4e00" <= ch <= "\u9fff"]
            if len(span) > 6 and len(cjk) > 4:
                s0 = rng.randrange(0, max(1, len(span) - 4))
                sub = span[s0:s0 + rng.randint(3, 4)]
            else:
                sub = span
            new = span.replace(sub, sep.join(sub), 1)
            return t[:m.start()] + "[" + new + "]" + t[m.end():]
        plain = self.strip_markers(t)
        runs = [m for m in re.finditer(r"[\u4e00-\u9fff]{3,}", plain)]
        if not runs:
            return t
        r = rng.choice(runs)
        s0 = rng.randrange(r.start(), r.end() - 2)
        ln = rng.randint(2, min(4, r.end() - s0))
        sub = plain[s0:s0 + ln]
        return plain[:s0] + sep.join(sub) + plain[s0 + ln:]

    def chat(self, t, mood, obf_p, allow_friendly_tilde=True):
        rng = self.rng
        if rng.random() < obf_p:
            t = self.obfuscate(t, key=True)
        t = self.strip_markers(t)
        if rng.random() < 0.15:
            cand = [(a, b) for a, b in NETSPEAK if a in t]
            if cand:
                a, b = rng.choice(cand)
                t = t.replace(a, b, 1)
        if rng.random() < 0.12:
            t = "".join(TRAD.get(ch, ch) for ch in t)
        r = rng.random()
        if r < 0.2:
            t = t.replace("，", ",").replace("？", "?").replace("！", "!").replace("。", ".")
        elif r < 0.3:
            t = t.replace("，", " ")
        elif r < 0.38:
            t = t.replace("。", "。。。", 1) if "。" in t[:-1] else t
        if rng.random() < 0.15:
            t = self.end_punct(t)
        if allow_friendly_tilde and rng.random() < 0.08:
            t = self.end_punct(t) + "~"
        if rng.random() < 0.3:
            e = rng.choice(EMO[mood])
            if rng.random() < 0.1:
                t = e + t
            else:
                t = t + e
        return t.strip()


# --------------------------------------------------------------------------
class Balancer:
    def __init__(self, shares, rng):
        self.shares = shares
        self.count = collections.Counter()
        self.n = 0
        self.rng = rng

    def choose(self, allowed=None):
        keys = allowed or list(self.shares)
        best = max(keys, key=lambda k: self.shares[k] * (self.n + 1) - self.count[k] + self.rng.random() * 0.8)
        return best

    def add(self, k):
        self.count[k] += 1
        self.n += 1


def cycle_picker(rng, items):
    pool = []
    while True:
        if not pool:
            pool = list(items)
            rng.shuffle(pool)
        yield pool.pop()


def style_for_customer(seed_style, text, prefixed, merged, scenario):
    if merged:
        return "verbose"
    if seed_style in ("regional", "netspeak", "formal"):
        return seed_style
    plain = re.sub(r"\s", "", text)
    if prefixed and any(plain.startswith(p) for p in ("请问", "麻烦", "您好", "你好")):
        return "polite"
    if len(plain) <= 6:
        return "terse"
    if len(plain) > 28:
        return "verbose"
    if scenario in ("complaint", "complaint_staff", "hard_to_reach", "wants_manager") and \
            re.search(r"凭什么|为什么|难道|怎么回事|是不是|吗[？?]?$|什么|[？?]$", plain):
        return "rhetorical"
    return seed_style


# --------------------------------------------------------------------------
def build_agent(rng, g):
    vseeds = parse_seeds(os.path.join(SEED_DIR, "agent_violations.txt"))
    oseeds = parse_seeds(os.path.join(SEED_DIR, "agent_ok.txt"))
    assert list(vseeds) == CATEGORIES, list(vseeds)
    for c in CATEGORIES:
        assert len(vseeds[c]) >= 60, (c, len(vseeds[c]))
    assert sum(len(v) for v in oseeds.values()) >= 400
    ind_bal = Balancer(IND_SHARE, rng)
    ch_bal = Balancer({"phone_asr": .5, "chat": .5}, rng)
    seen = set()
    rows = []
    pickers = {c: cycle_picker(rng, vseeds[c]) for c in CATEGORIES}
    okpickers = {k: cycle_picker(rng, v) for k, v in oseeds.items()}

    def pick_ind(seed, other=None):
        fixed = seed["ind"] or (other["ind"] if other else None)
        return fixed if fixed else ind_bal.choose()

    def pick_channel(seed, other=None):
        want = seed["channel"] or (other["channel"] if other else None)
        if want == "phone":
            return "phone_asr"
        if want == "chat":
            return "chat"
        return ch_bal.choose()

    def finish(text_m, channel, viol):
        if channel == "phone_asr":
            return g.asr(text_m, FILLERS_AGENT)
        if viol:
            return g.chat(text_m, "neg", obf_p=0.16, allow_friendly_tilde=False)
        return g.chat(text_m, "pos", obf_p=0.04)

    def emit(text, viol, cats, ind, channel, style):
        plain = text  # markers were removed by the channel transform
        assert "[" not in plain or re.search(r"\[[\u4e00-\u9fff]{1,3}\]$|^\[[\u4e00-\u9fff]{1,3}\]", plain), plain
        if not (2 <= len(plain) <= 120) or plain in seen:
            return False
        seen.add(plain)
        rows.append({"text": plain, "violation": viol, "categories": cats, "industry": ind,
                     "channel": channel, "style": style, "source": SOURCE})
        ind_bal.add(ind)
        ch_bal.add(channel)
        return True

    # ---- violations: round robin over categories
    per_cat = N_VIOLATION // len(CATEGORIES)
    made = collections.Counter()
    attempts = 0
    while sum(made.values()) < N_VIOLATION:
        attempts += 1
        assert attempts < 200000, "violation generation stuck"
        c = min(CATEGORIES, key=lambda k: (made[k], rng.random()))
        s = next(pickers[c])
        other = None
        cats = [c] + [e for e in s["extra"] if e != c]
        style = s["style"]
        if rng.random() < 0.08:
            oc = rng.choice([k for k in CATEGORIES if k != c and k != "rude_address"])
            other = rng.choice(vseeds[oc])
            if other["ind"] and s["ind"] and other["ind"] != s["ind"]:
                other = None
            if other and (other["channel"] and s["channel"] and other["channel"] != s["channel"]):
                other = None
        ind = pick_ind(s, other)
        channel = pick_channel(s, other)
        t = g.fill(s["text"], ind)
        if other:
            t2 = g.fill(other["text"], ind)
            t = g.end_punct(t) + "，" + t2
            for e in [other_c for other_c in CATEGORIES if other_c in ([oc] + other["extra"])]:
                if e not in cats:
                    cats.append(e)
            style = "mixed"
        r = rng.random()
        if c != "rude_address" and not t.startswith("[喂") and r < 0.22 and not s["style"] == "netspeak":
            wraps = [w for w in WRAP_PRE if channel == "chat" or not w.startswith("亲")]
            pre = g.fill(rng.choice(wraps), ind) if rng.random() < 0.85 else ""
            post = rng.choice(WRAP_POST) if (rng.random() < 0.7 or not pre) else ""
            core = g.end_punct(t) if post else t
            t = pre + core + post
            style = "polite-wrapper"
        else:
            pres = [p for p in AGENT_PREFIX[c] if channel == "chat" or not p.startswith("亲")]
            if pres and rng.random() < 0.35 and not g.plain_start(t).startswith(NO_PREFIX_STARTS):
                t = rng.choice(pres) + t
            if rng.random() < 0.3:
                suf = rng.choice(AGENT_SUFFIX_RUDE if c == "rude_address" else AGENT_SUFFIX_V)
                t = g.end_punct(t) + suf
        if channel == "chat" and "，" in t and rng.random() < 0.12:
            t = t.replace("，", "。", 1)
        text = finish(t, channel, True)
        if emit(text, True, sorted(set(cats), key=CATEGORIES.index), ind, channel, style):
            made[c] += 1

    # ---- non-violations
    attempts = 0
    for grp, quota in OK_GROUPS.items():
        done = 0
        while done < quota:
            attempts += 1
            assert attempts < 400000, "ok generation stuck"
            s = next(okpickers[grp])
            ind = pick_ind(s)
            channel = pick_channel(s)
            t = g.fill(s["text"], ind)
            style = s["style"]
            if grp == "business" and rng.random() < 0.1:
                same = [x for x in oseeds["business"] if x["ind"] == ind and x is not s]
                if same:
                    t = g.end_punct(t) + "。" + g.fill(rng.choice(same)["text"], ind)
            if rng.random() < 0.3 and not t.startswith(NO_PREFIX_STARTS):
                pres = [p for p in OK_PREFIX_ALL + OK_PREFIX_GROUP.get(grp, [])
                        if channel == "chat" or not p.startswith("亲")]
                t = g.fill(rng.choice(pres), ind) + t
            if rng.random() < 0.25 and not re.search(r"[？?]$", t):
                t = g.end_punct(t) + rng.choice(OK_SUFFIX)
            if channel == "chat" and "，" in t and rng.random() < 0.1:
                t = t.replace("，", "。", 1)
            text = finish(t, channel, False)
            if emit(text, False, [], ind, channel, style):
                done += 1
    rng.shuffle(rows)
    return rows, vseeds, oseeds


def build_customer(rng, g):
    seeds = collections.OrderedDict()
    for fn in sorted(os.listdir(SEED_DIR)):
        if fn.startswith("customer_") and fn.endswith(".txt"):
            for k, v in parse_seeds(os.path.join(SEED_DIR, fn)).items():
                seeds.setdefault(k, []).extend(v)
    assert set(seeds) == set(SCENARIOS), set(seeds) ^ set(SCENARIOS)
    for k in SCENARIOS:
        assert len(seeds[k]) >= 60, (k, len(seeds[k]))
    ind_bal = Balancer(IND_SHARE, rng)
    ch_bal = Balancer({"phone_asr": .5, "chat": .5}, rng)
    seen = set()
    rows = []
    quotas = {k: BIG_SCENARIOS.get(k, SMALL_QUOTA) for k in SCENARIOS}
    assert sum(quotas.values()) == N_CUSTOMER, sum(quotas.values())
    pickers = {k: cycle_picker(rng, v) for k, v in seeds.items()}
    made = collections.Counter()
    attempts = 0
    while sum(made.values()) < N_CUSTOMER:
        attempts += 1
        assert attempts < 600000, ("customer generation stuck", made)
        open_ = [k for k in SCENARIOS if made[k] < quotas[k]]
        k = min(open_, key=lambda x: (made[x] / quotas[x], rng.random()))
        s = next(pickers[k])
        ind = s["ind"] or ind_bal.choose()
        if s["channel"] == "phone":
            channel = "phone_asr"
        elif s["channel"] == "chat":
            channel = "chat"
        else:
            channel = ch_bal.choose()
        t = g.fill(s["text"], ind)
        merged = prefixed = False
        if k in MERGE_SCEN and rng.random() < 0.1:
            o = rng.choice(seeds[k])
            if o is not s and (o["ind"] in (None, ind)) and o["channel"] in (None, s["channel"]):
                t = g.end_punct(t) + "，" + g.fill(o["text"], ind)
                merged = True
        if CUST_PREFIX[k] and rng.random() < 0.3 and not t.startswith(CUST_NO_PREFIX_STARTS):
            p = rng.choice(CUST_PREFIX[k])
            if not (k == "repair_request" and "报修" in t and "报修" in p):
                t = p + t
                prefixed = True
        if rng.random() < 0.3:
            suf = rng.choice(CUST_SUFFIX[k])
            base = g.end_punct(t)
            core = suf.strip("，！？。~…")
            if base and not (core and base.endswith(core)):
                t = base + suf
        if channel == "phone_asr":
            start = FILLERS_CUST + (["喂"] if k in ("inquiry", "complaint", "repair_request", "urgent",
                                                    "complaint_staff", "wants_manager", "personal_call",
                                                    "leave_message", "hard_to_reach") else [])
            text = g.asr(t, FILLERS_CUST, start)
        else:
            text = g.chat(t, SCEN_MOOD[k], obf_p=0.06)
        if not (2 <= len(text) <= 120):
            continue
        if text in seen:
            continue
        seen.add(text)
        style = style_for_customer(s["style"], text, prefixed, merged, k)
        rows.append({"text": text, "scenario": k, "industry": ind, "channel": channel,
                     "style": style, "source": SOURCE})
        ind_bal.add(ind)
        ch_bal.add(channel)
        made[k] += 1
    rng.shuffle(rows)
    return rows, seeds


def table(counter, total, order=None):
    keys = order or sorted(counter, key=lambda k: -counter[k])
    lines = ["| value | lines | share |", "|---|---:|---:|"]
    for k in keys:
        lines.append("| %s | %d | %.1f %% |" % (k, counter[k], 100.0 * counter[k] / total))
    return "\n".join(lines)


def main():
    rng = random.Random(SEED)
    g = Gen(rng)
    agent, vseeds, oseeds = build_agent(rng, g)
    cust, cseeds = build_customer(rng, g)
    assert len(agent) == N_AGENT, len(agent)
    assert len(cust) == N_CUSTOMER, len(cust)
    with open(os.path.join(HERE, "agent.jsonl"), "w", encoding="utf-8") as f:
        for r in agent:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(os.path.join(HERE, "customer.jsonl"), "w", encoding="utf-8") as f:
        for r in cust:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    write_readme(agent, cust, vseeds, oseeds, cseeds)


def write_readme(agent, cust, vseeds, oseeds, cseeds):
    nv = sum(r["violation"] for r in agent)
    cat = collections.Counter(c for r in agent for c in r["categories"])
    multi = sum(1 for r in agent if len(r["categories"]) > 1)
    a_ind = collections.Counter(r["industry"] for r in agent)
    a_ch = collections.Counter(r["channel"] for r in agent)
    a_st = collections.Counter(r["style"] for r in agent)
    sc = collections.Counter(r["scenario"] for r in cust)
    c_ind = collections.Counter(r["industry"] for r in cust)
    c_ch = collections.Counter(r["channel"] for r in cust)
    c_st = collections.Counter(r["style"] for r in cust)
    alen = sorted(len(r["text"]) for r in agent)
    clen = sorted(len(r["text"]) for r in cust)
    def share_in(lens, lo, hi):
        return 100.0 * sum(lo <= x <= hi for x in lens) / len(lens)
    seed_v = ", ".join("%s %d" % (c, len(vseeds[c])) for c in CATEGORIES)
    seed_o = ", ".join("%s %d" % (k, len(v)) for k, v in oseeds.items())
    seed_c = ", ".join("%s %d" % (k, len(cseeds[k])) for k in SCENARIOS)
    txt = f"""# Corpus source `gen_b`

Written by one independent writer (an AI helper session) from the brief
`eval/corpus/SPEC.md` and the five standards in `shared/standards/` only; nothing
else of the repository was read and kefu was not run on this data.

## Method

1. **Hand-written seed bank** (`seeds/`): whole sentences written by hand, in
   mixed registers (plain 普通话, 北方口语, 书面, 年轻人网络用语, a few 台湾/香港
   用字 and 粤语 lines). Key words of each violation are marked `[...]` and
   industry-dependent nouns are slots such as `{{biz}} {{id}} {{dept}} {{act}} {{app}}`.
   * agent violations (`seeds/agent_violations.txt`): {sum(len(v) for v in vseeds.values())} sentences —
     {seed_v}. A few seeds carry a second category (`+cat`) where the sentence
     clearly does two things (e.g. 地址是您自己填错的，跟我们没关系 = blame + shirk).
   * agent non-violations (`seeds/agent_ok.txt`): {sum(len(v) for v in oseeds.values())} sentences —
     {seed_o}. Hard negatives: the agent correcting itself (刚才说的不对，我再确认了一下…),
     listed words in innocent use (凉拌木耳, 错不了, 冷静期, 喂食器, quotes of what a courier
     said: 您说的“不关我的事”是那位快递员说的吗), polite redirection with hand-over
     and follow-up, polite refusals, empathy, and plain business talk per industry.
   * customer (`seeds/customer_*.txt`): {sum(len(v) for v in cseeds.values())} sentences — {seed_c}.
     Hard cases: thanks that mention a repair or a complaint, complaints phrased as
     questions, polite complaints, angry inquiries, inquiries that mention dinner or
     an outing, praise that mentions 领导.
2. **Generator** `generate.py` (Python 3 standard library only, `random.Random({SEED})`,
   deterministic: re-running gives byte-identical files). Operators, all
   label-preserving:
   * industry slot substitution (9 industries; seeds without an industry tag get the
     industry that balances the spread);
   * politeness frames, chosen per category: no apology frame before a command or a
     blunt correction, no frame at all before a rude 喂/嘿/哎; suffixes such as
     “，请问还有其他问题吗？” never retract the violation;
   * polite-wrapper: a violation embedded between a long polite opening and a polite
     close (style `polite-wrapper`);
   * merging two violations of different categories into one line (both labels, style
     `mixed`); merging two business sentences of one industry; splitting a clause with 。;
   * `phone_asr`: punctuation dropped (or an odd one inserted), spaces, fillers
     嗯/啊/那个/就是/呃, repeated syllables (我我, 就是就是), one homophone error
     (款待 for 宽带, 以经, 师父, 领到 …), numbers read out (二十四小时, 一二三四);
     agent fillers never include 喂/哎 so no rude address is created;
   * `chat`: punctuation variants (half-width, spaces, 。。。, dropped final), emoji and
     kaomoji — friendly ones only on non-violations and friendly customer acts, sour
     ones (🙄 -_- [白眼]) only on violations —, traditional characters, net-speak
     (啥, 不造, 酱紫, 木有), spaces or symbols inside the key words (不 归 我 管, 不*归*我*管).
3. **Label check**: 60 random lines of each file were read after generation and the
   seed bank / operators corrected where a label was doubtful (see below).

No duplicate texts within the source. All texts are 2–120 characters.

## Label check (what was read and fixed)

Random samples (60 agent + 60 customer lines, several times, plus 7 lines per
category / 6 per scenario) were read; fixes made before the final run:

* a product name 嘿嘿音乐 was dropped from the hard negatives: in `phone_asr`, without
  quotes and with a repeated syllable, it read like an agent laughing at the customer;
* the ASR "odd punctuation" operator no longer inserts `?`, which could turn a
  statement (customer `other`, agent business talk) into a question;
* the chat-only address 亲 is no longer used as a frame on `phone_asr` lines;
* repair requests lost their hurry words (赶紧, 快派人, 尽快) so that they do not read as
  `urgent`; two complaint seeds that were really `hard_to_reach` (排队, 只有机器人) were
  replaced; 嗯？ was removed from `other` (it reads as `not_understood`); ambiguous
  `leave_message` / `apology` / `greeting` seeds (我对处理结果不满意, 我又忘了密码,
  终于转到人工了) were replaced;
* emoji: ❓ is kept for inquiries only, friendly emoji never go on a violation.

## Counts — agent.jsonl ({len(agent)} lines)

Violations: {nv} ({100.0*nv/len(agent):.1f} %), non-violations: {len(agent)-nv}; lines with two or
more categories: {multi}. Length: median {alen[len(alen)//2]} characters, {share_in(alen, 6, 40):.0f} % within 6–40.

Per category (a multi-label line counts once per category):

{table(cat, nv, CATEGORIES)}

Per industry:

{table(a_ind, len(agent), INDUSTRIES)}

Per channel:

{table(a_ch, len(agent))}

Per style:

{table(a_st, len(agent))}

## Counts — customer.jsonl ({len(cust)} lines)

Length: median {clen[len(clen)//2]} characters, {share_in(clen, 6, 40):.0f} % within 6–40 (greetings,
goodbyes and fillers are naturally short).

Per scenario:

{table(sc, len(cust), SCENARIOS)}

Per industry:

{table(c_ind, len(cust), INDUSTRIES)}

Per channel:

{table(c_ch, len(cust))}

Per style:

{table(c_st, len(cust))}

## Notes

* `industry` on short industry-neutral lines (您好, 知道了知道了, 谢谢) is the industry the
  line was assigned to for balance; the text itself does not depend on it.
* `style` comes from the seed (terse, verbose, colloquial, regional, netspeak,
  rhetorical, sarcasm, implication, paraphrase, formal, business, self-correction,
  innocent-use, redirection, polite-refusal, empathy) or from the operator
  (polite-wrapper, mixed); customer styles are refined from the final text (terse,
  verbose, polite, rhetorical).
* Regenerate with `python3 generate.py` inside this folder.
"""
    with open(os.path.join(HERE, "README.md"), "w", encoding="utf-8") as f:
        f.write(txt)


if __name__ == "__main__":
    main()
