-- wrk script for bench_track.py: realistic /api/track bodies as tracking.js sends them
-- (single pageviews as application/json, batches of ~5 events as text/plain sendBeacon),
-- every event with a unique event_id, from a normal browser User-Agent and a visitor address
-- in CF-Connecting-IP. Counts the events built into requests ("sent") and those the server
-- acknowledged (202 {"accepted": n}); the difference is what was in flight when wrk stopped.
--   LT_RUN          8 hex digits, unique per run: the first group of every event_id
--   LT_BATCH_SHARE  fraction of requests that are batches (default 0.5)

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

local function event(kind, page, visitor, session, gclid, ref, extra)
  local now = os.time() * 1000
  return string.format(
    '{"event_id":"%s","type":"%s","url":"https://eslamed.example%s","ref":"%s","title":"%s",' ..
    '"gclid":"%s","utm_source":"%s","utm_medium":"%s","utm_campaign":"%s","visitor_id":"%s",' ..
    '"session_id":"%s","ts":%d,"screen":"412x915","lang":"tr-TR","props":{"variant":"%s"%s}}',
    uuid(), kind, page[1], ref, page[2], gclid, gclid ~= "" and "google" or "",
    gclid ~= "" and "cpc" or "", gclid ~= "" and "pmax-istanbul-oksijen" or "", visitor, session,
    now, math.random() < 0.5 and "a" or "b", extra or "")
end

function request()
  local page = pages[math.random(#pages)]
  local visitor, session = rand_hex(16), rand_hex(16)
  local gclid = math.random() < 0.4 and ("EAIaIQobChMI" .. rand_hex(24)) or ""
  local ref = refs[math.random(#refs)]
  local headers = {
    ["User-Agent"] = agents[math.random(#agents)],
    ["CF-Connecting-IP"] = addresses[math.random(#addresses)],
    ["Origin"] = "https://eslamed.example",
  }
  local body
  if math.random() < batch_share then
    local n = math.random(3, 7)
    local parts = {}
    for i = 1, n do
      local kind = batch_types[math.random(#batch_types)]
      local extra = kind == "scroll" and ',"depth":"' .. (25 * math.random(1, 4)) .. '"' or ""
      parts[i] = event(kind, page, visitor, session, gclid, ref, extra)
    end
    body = '{"events":[' .. table.concat(parts, ",") .. "]}"
    sent = sent + n
    headers["Content-Type"] = "text/plain;charset=UTF-8"
  else
    body = event("pageview", page, visitor, session, gclid, ref)
    sent = sent + 1
    headers["Content-Type"] = "application/json"
  end
  return wrk.format("POST", "/api/track", headers, body)
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
