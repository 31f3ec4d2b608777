-- wrk script for bench_track.py: /api/track bodies as site/assets/tracking.js sends them: always
-- {"events":[...]} as text/plain (sendBeacon), 1 event (a page view) or a batch of 2-7, each with
-- the tracker's fields (props.pv, props.variant, the 8 attribution keys on an ad click, visitor_id
-- and the copy's expiry e once consent was given), every event with a unique event_id, from a
-- normal browser User-Agent and a visitor address
-- in CF-Connecting-IP. Counts the events built into requests ("sent") and those the server
-- acknowledged (202 {"accepted": n}); the difference is what was in flight when wrk stopped.
--   LT_RUN          8 hex digits, unique per run: the first group of every event_id
--   LT_BATCH_SHARE  fraction of requests that are batches of 2-7 (default 0.5)

local run = os.getenv("LT_RUN") or "0badbeef"
local batch_share = tonumber(os.getenv("LT_BATCH_SHARE") or "0.5")

local pages = {
  {"/", "Eslamed | Medikal Oksijen"},
  {"/hizmetler/oksijen-tupu", "Oksijen Tüpü Dolumu ve Satışı"},
  {"/hizmetler/oksijen-konsantratoru", "Oksijen Konsantratörü Kiralama"},
  {"/kiralama", "Kiralık Oksijen Cihazı İstanbul"},
  {"/iletisim", "İletişim"},
  {"/blog/evde-oksijen-tedavisi", "Evde Oksijen Tedavisi Rehberi"},
}
local agents = {
  "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Linux; Android 12; SM-A525F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
}
local addresses = {
  "81.2.69.142", "81.2.69.160", "2.125.160.216", "216.160.83.56", "89.160.20.112",
  "67.43.156.1", "175.16.199.1", "88.230.14.7", "78.180.55.21", "95.70.12.9",
}
local refs = {"https://www.google.com/", "https://www.google.com.tr/", "", "https://www.instagram.com/", "google"}
local batch_types = {"scroll", "click", "scroll", "call_click", "whatsapp_click", "click", "form_start"}

threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_no * 7919)
  counter = 0
  sent = 0
  accepted = 0
  rejected = 0
end

local function uuid()
  counter = counter + 1
  return string.format("%s-%04x-4%03x-%04x-%012x", run, thread_no, math.random(0, 0xfff),
    0x8000 + math.random(0, 0x3fff), counter)
end

local function rand_hex(n)
  local t = {}
  for i = 1, n do t[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(t)
end

local function event(kind, page, who, extra)
  local now = os.time() * 1000
  return string.format(
    '{%s"event_id":"%s","type":"%s","url":"https://eslamed.example%s","ref":"%s","title":"%s",' ..
    '"ts":%d,"screen":"412x915","lang":"tr-TR","props":{%s"variant":"%s","pv":"%s"}}',
    who.attribution, uuid(), kind, page[1], who.ref, page[2], now, extra or "", who.variant, who.pv)
end

-- What tracking.js spreads into every event: the click's 8 keys on an ad click (else nothing
-- before consent), visitor_id and the copy's expiry e after consent.
local function visitor()
  local gclid = math.random() < 0.4 and ("EAIaIQobChMI" .. rand_hex(24)) or nil
  local parts = {}
  if gclid then
    table.insert(parts, string.format(
      '"gclid":"%s","gbraid":"","wbraid":"","utm_source":"google","utm_medium":"cpc",' ..
      '"utm_campaign":"pmax-istanbul-oksijen","utm_term":"","utm_content":"",', gclid))
  end
  if math.random() < 0.6 then
    table.insert(parts, string.format('"visitor_id":"%s-%s","e":%d,', rand_hex(8), rand_hex(27),
      os.time() * 1000 + 7776000000))
  end
  return {
    attribution = table.concat(parts),
    ref = refs[math.random(#refs)],
    variant = math.random() < 0.5 and "a" or "b",
    pv = rand_hex(8) .. "-" .. rand_hex(4) .. "-4" .. rand_hex(3) .. "-a" .. rand_hex(3) .. "-" .. rand_hex(12),
  }
end

function request()
  local page = pages[math.random(#pages)]
  local who = visitor()
  local n = math.random() < batch_share and math.random(2, 7) or 1
  local parts = {event("pageview", page, who)}
  for i = 2, n do
    local kind = batch_types[math.random(#batch_types)]
    local extra = ""
    if kind == "scroll" then
      extra = '"depth":' .. (25 * math.random(1, 4)) .. ","
    elseif kind ~= "form_start" then
      extra = '"el":"' .. (kind == "call_click" and "tel:+902125550000" or "https://wa.me/905320000000") .. '",'
    end
    parts[i] = event(kind, page, who, extra)
  end
  sent = sent + n
  local headers = {
    ["User-Agent"] = agents[math.random(#agents)],
    ["CF-Connecting-IP"] = addresses[math.random(#addresses)],
    ["Origin"] = "https://eslamed.example",
    ["Content-Type"] = "text/plain;charset=UTF-8",
  }
  return wrk.format("POST", "/api/track", headers, '{"events":[' .. table.concat(parts, ",") .. "]}")
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + tonumber(string.match(body, '"accepted":%s*(%d+)') or "0")
  else
    rejected = rejected + 1
  end
end

function done(summary, latency, requests)
  local snt, acc, rej = 0, 0, 0
  for _, thread in ipairs(threads) do
    snt = snt + thread:get("sent")
    acc = acc + thread:get("accepted")
    rej = rej + thread:get("rejected")
  end
  local e = summary.errors
  io.write(string.format(
    'LT_JSON {"requests":%d,"duration_us":%d,"sent":%d,"accepted":%d,"rejected":%d,"errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, snt, acc, rej, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
