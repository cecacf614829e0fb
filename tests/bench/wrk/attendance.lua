-- PUT /v1/deliveries/{d}/participants/{b} {"attended": true|false} for
-- random pairs of the delivery and beneficiary ids in the two files given
-- after "--".
local deliveries, beneficiaries = {}, {}
local threads = 0

-- each wrk thread its own number, so that their random sequences differ
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do deliveries[#deliveries + 1] = line end
  for line in io.lines(args[2]) do beneficiaries[#beneficiaries + 1] = line end
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  local path = "/v1/deliveries/" .. deliveries[math.random(#deliveries)] .. "/participants/" ..
               beneficiaries[math.random(#beneficiaries)]
  local headers = {["Content-Type"] = "application/json"}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  return wrk.format("PUT", path, headers, math.random(2) == 1 and '{"attended":true}' or '{"attended":false}')
end
