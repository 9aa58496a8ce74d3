-- wrk script: POST /api/v1/lint with an API token (KEFU_TOKEN), cycling
-- through agent utterances, some with forbidden phrases.
local token = os.getenv("KEFU_TOKEN") or ""
local texts = {
  "您好，华业售后，工号1024，请问有什么可以帮到您？",
  "这事儿不归我管，你找别的部门吧。",
  "好的，您是说冰箱不制冷需要上门维修，对吗？我已经为您登记。",
  "我都说了好几遍了，你怎么还听不懂？",
  "请您稍等，我帮您查询一下订单的物流信息。",
  "感谢您的来电，祝您生活愉快，再见！",
  "急什么急，师傅下午才有空。",
  "非常抱歉给您带来不便，我们会在24小时内给您回复。",
}
local i = 0
request = function()
  i = i % #texts + 1
  local body = '{"text":"' .. texts[i] .. '"}'
  return wrk.format("POST", "/api/v1/lint", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
