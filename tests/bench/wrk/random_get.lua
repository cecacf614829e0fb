-- GET /v1/es-entities/{id} with an id drawn at random from the file given
-- after "--" on the wrk command line (and another resource when named after
-- the file: -- ids beneficiaries).
local ids = {}
local resource = "es-entities"
local threads = 0

-- each wrk thread its own number, so that their random sequences differ
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  resource = args[2] or resource
  math.randomseed(os.time() + (tid or 0))
end

function request()
  return wrk.format("GET", "/v1/" .. resource .. "/" .. ids[math.random(#ids)])
end
