-- POST /v1/es-entities with a distinct, valid NIP on every request: the
-- first digit comes from the run (argument after "--"), the second from the
-- wrk thread, the next seven from a counter; then the checksum. Each request
-- has an Idempotency-Key of its own (bench-NIP), so that the server claims
-- and stores one as a client retrying safely would make it do.
local threads = 0
local counter = 0
local run = 1

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  run = tonumber(args[1] or "1")
end

local weights = {6, 5, 7, 2, 3, 4, 5, 6, 7}

local function next_nip()
  while true do
    counter = counter + 1
    local base = string.format("%d%d%07d", run, tid, counter)
    local sum = 0
    for i = 1, 9 do sum = sum + weights[i] * tonumber(base:sub(i, i)) end
    local check = sum % 11
    if check ~= 10 then return base .. check end
  end
end

function request()
  local nip = next_nip()
  local body = string.format(
    '{"name":"Bench POST %s","legal_form":"cis","teryt_gmina":"1604013","nip":"%s"}', counter, nip)
  -- wrk.format uses these headers instead of the -H ones: keep those too
  local headers = {["Content-Type"] = "application/json", ["Idempotency-Key"] = "bench-" .. nip}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  return wrk.format("POST", "/v1/es-entities", headers, body)
end
